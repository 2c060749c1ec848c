/**
 * The seccomp compiler on the real kernel: a rule's errno comes back from inside the container, a default-allow
 * profile lets the program run, an argument rule matches only its value, and an unknown action kills.
 */
import { strict as assert } from 'node:assert';
import { compileSeccomp, type SeccompProfile } from '../../src/index.js';
import { guardContainers, probe, runCaptured, sh, toolSpec } from './helpers.js';

const allowAllBut = (rules: SeccompProfile['syscalls']): SeccompProfile => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: rules ?? [] });

describe('seccomp, from inside the container', function () {
  before(function () { guardContainers(this); });
  const tmp = { type: 'tmpfs', target: '/tmp' } as const;

  it('runContainer, mkdir blocked with EPERM', async () => {
    const r = await runCaptured(toolSpec(probe('mkdir', '/tmp/d'), {
      mounts: [tmp], seccomp: allowAllBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }]),
    }));
    assert.match(r.stdout, /EPERM/);
  });

  it('runContainer, the same mkdir without the profile succeeds', async () => {
    const r = await runCaptured(toolSpec(probe('mkdir', '/tmp/d'), { mounts: [tmp] }));
    assert.equal(r.stdout, 'ok\n');
  });

  it('runContainer, errnoRet chooses the errno (ENOSYS)', async () => {
    const r = await runCaptured(toolSpec(probe('mkdir', '/tmp/d'), {
      mounts: [tmp], seccomp: allowAllBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]),
    }));
    assert.match(r.stdout, /ENOSYS/);
  });

  it('runContainer, a default-allow profile with no_new_privs still runs a shell', async () => {
    const r = await runCaptured(toolSpec(sh('echo hi; mkdir /tmp/x && echo made'), {
      mounts: [tmp], noNewPrivileges: true, seccomp: allowAllBut([{ names: ['reboot'], action: 'SCMP_ACT_ERRNO' }]),
    }));
    assert.equal(r.stdout, 'hi\nmade\n');
  });

  it('runContainer, a default-errno profile allowing the probe\'s syscalls', async () => {
    const profile: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1,
      syscalls: [{
        names: ['execve', 'brk', 'arch_prctl', 'set_tid_address', 'set_robust_list', 'rseq', 'prlimit64', 'mprotect',
          'readlinkat', 'getrandom', 'newfstatat', 'fstat', 'write', 'exit_group', 'getuid', 'geteuid', 'getgid',
          'getegid', 'getresuid', 'getresgid', 'ioctl', 'mmap', 'munmap', 'uname', 'readlink', 'getgroups', 'access', 'openat', 'read', 'close'],
        action: 'SCMP_ACT_ALLOW',
      }],
    };
    const r = await runCaptured(toolSpec(probe('id'), { seccomp: profile, noNewPrivileges: true }));
    assert.equal(r.status, 0);
    assert.match(r.stdout, /uid=0/);
    const blocked = await runCaptured(toolSpec(probe('mkdir', '/d'), { seccomp: profile, noNewPrivileges: true, writableRoot: true }));
    assert.match(blocked.stdout, /EPERM/);
  });

  it('runContainer, an argument rule matches only its value (mode 0700 misses, masked 0755 hits)', async () => {
    const profile = allowAllBut([{
      names: ['mkdirat', 'mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13,
      args: [{ index: 1, value: 0o700n, op: 'SCMP_CMP_EQ' }],
    }, {
      names: ['mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13,
      args: [{ index: 2, value: 0o700n, op: 'SCMP_CMP_EQ' }],
    }]);
    // probe mkdir uses mode 0755: neither rule matches.
    const r = await runCaptured(toolSpec(probe('mkdir', '/tmp/d'), { mounts: [tmp], seccomp: profile }));
    assert.equal(r.stdout, 'ok\n');
    const masked = allowAllBut([{
      names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13,
      args: [{ index: 1, value: 0o7777n, valueTwo: 0o755n, op: 'SCMP_CMP_MASKED_EQ' }],
    }, {
      names: ['mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13,
      args: [{ index: 2, value: 0o7777n, valueTwo: 0o755n, op: 'SCMP_CMP_MASKED_EQ' }],
    }]);
    const hit = await runCaptured(toolSpec(probe('mkdir', '/tmp/d'), { mounts: [tmp], seccomp: masked }));
    assert.match(hit.stdout, /EACCES/);
  });

  it('runContainer, a filter with jump trampolines loads and decides (150 argument rules before the match)', async () => {
    // mode checks that never match 0755 make a long argument block; the kernel checks every jump of the result
    // mkdir(2) has the mode in args[1], mkdirat(2) in args[2]
    const mode = (value: bigint, errnoRet: number): NonNullable<SeccompProfile['syscalls']> => [
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet, args: [{ index: 1, value, op: 'SCMP_CMP_EQ' }] },
      { names: ['mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet, args: [{ index: 2, value, op: 'SCMP_CMP_EQ' }] },
    ];
    const misses = Array.from({ length: 150 }, (_, i) => mode((BigInt(i) << 20n) | 1n, 1)).flat();
    const hit = mode(0o755n, 13);
    const padding = ['getpid', 'getppid', 'reboot', 'swapon', 'acct'].map((name) => ({ names: [name], action: 'SCMP_ACT_ERRNO' as const, errnoRet: 2 }));
    const seccomp = allowAllBut([...misses, ...hit, ...padding]);
    assert.ok(compileSeccomp(seccomp).bpf.some((byte, i) => i % 8 === 0 && byte === 0x05), 'the filter has a ja trampoline');
    const r = await runCaptured(toolSpec(probe('mkdir', '/tmp/d'), { mounts: [tmp], seccomp }));
    assert.match(r.stdout, /EACCES/);
  });

  it('runContainer, a profile with every accepted flag loads (WAIT_KILLABLE_RECV without a listener too)', async () => {
    const seccomp: SeccompProfile = {
      ...allowAllBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }]),
      flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
    };
    const r = await runCaptured(toolSpec(probe('mkdir', '/tmp/d'), { mounts: [tmp], seccomp }));
    assert.match(r.stdout, /EPERM/);
  });

  it('runContainer, SCMP_ACT_KILL_PROCESS kills with SIGSYS (159)', async () => {
    const r = await runCaptured(toolSpec(probe('mkdir', '/tmp/d'), {
      mounts: [tmp], seccomp: allowAllBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL_PROCESS' }]),
    }));
    assert.equal(r.status, 128 + 31);
  });
});
