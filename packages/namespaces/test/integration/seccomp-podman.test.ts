/**
 * podman's default seccomp profile (as podman 4.3.1 passes it to a runtime) loaded into a real container, as
 * root and unprivileged: each raw system call below is made by a static helper (fixtures/seccomp-syscall.c,
 * built here with gcc) once under the profile and once without it, so every expected errno is the profile's
 * doing, not the kernel's. i386 calls (int $0x80) are covered by the unit tests only: this VM's kernel does not
 * run them (SIGSEGV).
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireFeature } from '@ct/test-utils';
import type { SeccompProfile } from '../../src/index.js';
import { X86_64_SYSCALLS } from '../../src/seccomp/syscall-table.generated.js';
import { podmanProfile } from '../unit/seccomp-reference.js';
import { guardContainers, runCaptured, sh, toolSpec } from './helpers.js';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'seccomp-syscall.c');
const TOOL = '/bin/ct-sys';
const nr = (name: string): number => {
  const n = X86_64_SYSCALLS[name];
  if (n === undefined) throw new Error(`no syscall ${name}`);
  return n;
};
const CLONE_NEWUTS = 0x04000000;
const SIGCHLD = 17;
/** Docker's clone rule: allowed only without namespace flags (CLONE_NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWCGROUP). */
const NS_FLAGS = 0x7e020000n;

/** label → [ct-sys arguments]; the script prints "label result" per line. */
const CALLS: Record<string, string> = {
  getpid: `64 ${nr('getpid')}`,
  kcmpBadType: `64 ${nr('kcmp')} 1 1 99`, // pid 1 (the shell) twice, no such type: kernel EINVAL; profile: EPERM (CAP_SYS_PTRACE not held)
  addKey: `64 ${nr('add_key')}`, // kernel: EFAULT; profile: not listed, the default ENOSYS
  personalityQuery: `64 ${nr('personality')} 0xffffffff`,
  personalityOdd: `64 ${nr('personality')} 0x1234`, // not one of the allowed personas: ENOSYS
  personalityHigh: `64 ${nr('personality')} 0x100000008`, // 8 is allowed, but the high word differs
  netlinkAudit: `64 ${nr('socket')} 16 3 9`, // AF_NETLINK, SOCK_RAW, NETLINK_AUDIT: errnoRet 22
  netlinkRoute: `64 ${nr('socket')} 16 3 0`,
  x32Kcmp: `x32 ${nr('kcmp')} 1 1 99`, // this kernel has no x32 ABI (ENOSYS) but the filter decides first
  forkPlain: `fork ${nr('clone')} ${SIGCHLD}`,
  forkNewUts: `fork ${nr('clone')} ${CLONE_NEWUTS | SIGCHLD}`,
};

function script(): string {
  return Object.entries(CALLS).map(([label, args]) => `echo "${label} $(${TOOL} ${args})"`).join('; ');
}

/** podman's profile with Docker's argument rule for clone in place of podman's unconditional allow. */
function withCloneRule(p: SeccompProfile): SeccompProfile {
  return {
    ...p,
    syscalls: [
      ...(p.syscalls ?? []).map((r) => ({ ...r, names: r.names.filter((n) => n !== 'clone') })).filter((r) => r.names.length > 0),
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: NS_FLAGS, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ' }] },
    ],
  };
}

describe('seccomp, podman\'s default profile from inside the container', function () {
  let dir = '';
  const results = async (seccomp: SeccompProfile | undefined): Promise<Record<string, number>> => {
    const r = await runCaptured(toolSpec(sh(script()), {
      mounts: [{ type: 'bind', source: join(dir, 'ct-sys'), target: TOOL, readOnly: true }],
      ...(seccomp === undefined ? {} : { seccomp }),
    }));
    assert.equal(r.status, 0, r.stdout);
    return Object.fromEntries(r.stdout.trim().split('\n').map((line) => {
      const [label, value] = line.split(' ');
      return [label ?? '', Number(value)];
    }));
  };
  let control: Record<string, number> = {};
  let confined: Record<string, number> = {};

  before(async function () {
    guardContainers(this);
    let gcc = true;
    try { execFileSync('gcc', ['--version'], { stdio: 'ignore' }); } catch { gcc = false; }
    requireFeature(this, gcc, 'gcc (to build the raw-syscall helper) missing');
    dir = mkdtempSync(join(tmpdir(), 'ct-seccomp-'));
    execFileSync('gcc', ['-static', '-O2', '-o', join(dir, 'ct-sys'), SOURCE]);
    control = await results(undefined);
    confined = await results(withCloneRule(podmanProfile()));
  });
  after(() => { if (dir !== '') rmSync(dir, { recursive: true, force: true }); });

  it('runContainer, an allowed call works under the profile (getpid, personality query, a netlink route socket)', () => {
    assert.equal(confined['getpid'], control['getpid']);
    assert.ok((confined['getpid'] ?? 0) > 0);
    assert.equal(confined['personalityQuery'], 0);
    assert.ok((confined['netlinkRoute'] ?? -1) >= 0, `socket: ${confined['netlinkRoute']}`);
  });

  it('runContainer, a call the profile denies by rule returns its errno (kcmp EPERM)', () => {
    assert.equal(control['kcmpBadType'], -22);
    assert.equal(confined['kcmpBadType'], -1);
  });

  it('runContainer, a call the profile does not list returns the default errno (add_key ENOSYS)', () => {
    assert.equal(control['addKey'], -14);
    assert.equal(confined['addKey'], -38);
  });

  it('runContainer, personality: an allowed value passes, another returns ENOSYS, the high word counts', () => {
    assert.equal(control['personalityOdd'], 0); // the previous persona
    assert.equal(confined['personalityOdd'], -38);
    assert.equal(confined['personalityHigh'], -38);
  });

  it('runContainer, socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT) returns the rule\'s errnoRet 22', () => {
    assert.notEqual(control['netlinkAudit'], -22);
    assert.equal(confined['netlinkAudit'], -22);
  });

  it('runContainer, an x32 call is ruled by the x32 table (kcmp EPERM before the kernel\'s ENOSYS)', () => {
    assert.equal(control['x32Kcmp'], -38);
    assert.equal(confined['x32Kcmp'], -1);
  });

  it('runContainer, clone under a MASKED_EQ rule: a plain fork works, CLONE_NEWUTS returns ENOSYS', () => {
    assert.equal(control['forkNewUts'], -1); // the kernel: EPERM without CAP_SYS_ADMIN
    assert.equal(confined['forkPlain'], 1);
    assert.equal(confined['forkNewUts'], -38);
  });
});
