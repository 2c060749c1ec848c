import { strict as assert } from 'node:assert';
import {
  compileSeccomp, ContainerSpecError, SECCOMP_RET, type SeccompOperator, type SeccompProfile, validateSeccompProfile,
} from '../../src/index.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, runBpf } from './bpf-run.js';

const MKDIR = 83; // x86_64
const MKDIR_I386 = 39;
const X32_BIT = 0x40000000;
const ERRNO = (e: number): number => (SECCOMP_RET.ERRNO | e) >>> 0;
const run = (p: SeccompProfile, nr: number, args: bigint[] = [], arch = AUDIT_ARCH_X86_64): number => runBpf(compileSeccomp(validateSeccompProfile(p)).bpf, { nr, arch, args });

describe('seccomp compiler', () => {
  const deny = (op: SeccompOperator, value: bigint, valueTwo?: bigint): SeccompProfile => ({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value, op, ...(valueTwo === undefined ? {} : { valueTwo }) }] }],
  });
  const big = 0x1_0000_0005n;
  const cases: [SeccompOperator, bigint, bigint, boolean][] = [
    ['SCMP_CMP_EQ', big, big, true], ['SCMP_CMP_EQ', big, 5n, false], ['SCMP_CMP_EQ', big, big + 1n, false],
    ['SCMP_CMP_NE', big, big, false], ['SCMP_CMP_NE', big, 5n, true], ['SCMP_CMP_NE', big, big + (1n << 32n), true],
    ['SCMP_CMP_GT', big, big, false], ['SCMP_CMP_GT', big, big + 1n, true], ['SCMP_CMP_GT', big, 0x2_0000_0000n, true],
    ['SCMP_CMP_GT', big, 0xffffffffn, false],
    ['SCMP_CMP_GE', big, big, true], ['SCMP_CMP_GE', big, big - 1n, false], ['SCMP_CMP_GE', big, 0x2_0000_0000n, true],
    ['SCMP_CMP_LT', big, big, false], ['SCMP_CMP_LT', big, big - 1n, true], ['SCMP_CMP_LT', big, 0xffffffffn, true],
    ['SCMP_CMP_LT', big, 0x2_0000_0000n, false],
    ['SCMP_CMP_LE', big, big, true], ['SCMP_CMP_LE', big, big + 1n, false], ['SCMP_CMP_LE', big, 7n, true],
  ];
  for (const [op, value, arg, matches] of cases) {
    it(`compileSeccomp, ${op} ${value.toString(16)} on ${arg.toString(16)} ${matches ? 'matches' : 'does not match'}`, () => {
      assert.equal(run(deny(op, value), MKDIR, [0n, arg]), matches ? ERRNO(1) : SECCOMP_RET.ALLOW);
    });
  }

  it('compileSeccomp, MASKED_EQ compares (arg & mask) with valueTwo on both words', () => {
    const p = deny('SCMP_CMP_MASKED_EQ', 0xff_0000_00ffn, 0x12_0000_0034n);
    assert.equal(run(p, MKDIR, [0n, 0xab12_0000_ff34n]), ERRNO(1));
    assert.equal(run(p, MKDIR, [0n, 0xab13_0000_ff34n]), SECCOMP_RET.ALLOW);
  });

  it('compileSeccomp, rules for one syscall are tried in order, then the default', () => {
    const p: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38,
      syscalls: [
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 0, value: 1n, op: 'SCMP_CMP_EQ' }] },
        { names: ['mkdir', 'write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2n, op: 'SCMP_CMP_EQ' }] },
        { names: ['getpid'], action: 'SCMP_ACT_LOG' },
      ],
    };
    assert.equal(run(p, MKDIR, [1n]), ERRNO(13));
    assert.equal(run(p, MKDIR, [2n]), SECCOMP_RET.ALLOW);
    assert.equal(run(p, MKDIR, [3n]), ERRNO(38));
    assert.equal(run(p, 1, [2n]), SECCOMP_RET.ALLOW);
    assert.equal(run(p, 39), SECCOMP_RET.LOG);
    assert.equal(run(p, 0), ERRNO(38));
  });

  it('compileSeccomp, another arch is killed unless listed', () => {
    const p: SeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    assert.equal(run(p, MKDIR_I386, [], AUDIT_ARCH_I386), SECCOMP_RET.KILL_PROCESS);
    const both: SeccompProfile = { ...p, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'] };
    assert.equal(run(both, MKDIR_I386, [], AUDIT_ARCH_I386), ERRNO(1));
    assert.equal(run(both, MKDIR, [], AUDIT_ARCH_I386), SECCOMP_RET.ALLOW); // 83 is i386 symlink: not ruled
    assert.equal(run(both, MKDIR, []), ERRNO(1));
  });

  it('compileSeccomp, x32 numbers are killed unless SCMP_ARCH_X32 is listed, then ruled by the x32 table', () => {
    const p: SeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    assert.equal(run(p, (X32_BIT | MKDIR) >>> 0), SECCOMP_RET.KILL_PROCESS);
    const x32: SeccompProfile = { ...p, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'] };
    assert.equal(run(x32, (X32_BIT | MKDIR) >>> 0), ERRNO(1));
    assert.equal(run(x32, (X32_BIT | 0) >>> 0), SECCOMP_RET.ALLOW);
  });

  it('compileSeccomp, unknown names are reported and skipped', () => {
    const c = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'no_such_call'], action: 'SCMP_ACT_ERRNO' }] });
    assert.deepEqual(c.unknownNames, ['no_such_call']);
  });

  it('compileSeccomp, flags become SECCOMP_FILTER_FLAG bits', () => {
    const c = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] });
    assert.equal(c.flags, 6);
  });

  it('compileSeccomp, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is accepted and not passed on (no listener to qualify)', () => {
    const c = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 'SECCOMP_FILTER_FLAG_LOG'] });
    assert.equal(c.flags, 2);
  });

  it('compileSeccomp, many rules with argument checks assemble (far jumps through ja) and still decide right', () => {
    const names = ['read', 'write', 'open', 'close', 'mkdir', 'rmdir', 'getpid', 'socket', 'connect', 'clone'];
    const syscalls = Array.from({ length: 30 }, (_, i) => ({
      names, action: 'SCMP_ACT_ERRNO' as const, errnoRet: i + 1,
      args: [{ index: i % 6, value: BigInt(i), op: 'SCMP_CMP_LE' as const }, { index: 0, value: 99n, op: 'SCMP_CMP_NE' as const }],
    }));
    const c = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls });
    assert.equal(runBpf(c.bpf, { nr: MKDIR, arch: AUDIT_ARCH_X86_64, args: [0n, 0n, 0n, 0n, 0n, 0n] }), ERRNO(1));
    assert.equal(runBpf(c.bpf, { nr: MKDIR, arch: AUDIT_ARCH_X86_64, args: [99n, 0n, 0n, 0n, 0n, 0n] }), SECCOMP_RET.ALLOW);
  });

  describe('validateSeccompProfile', () => {
    const bad: [string, SeccompProfile][] = [
      ['seccomp.defaultAction', { defaultAction: 'SCMP_ACT_NOTIFY' as 'SCMP_ACT_ALLOW' }],
      ['seccomp.syscalls[0].args[0].index', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 0n, op: 'SCMP_CMP_EQ' }] }] }],
      ['seccomp.syscalls[0].args[0].valueTwo', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1n, op: 'SCMP_CMP_MASKED_EQ' }] }] }],
      ['seccomp.syscalls[0].names', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] }],
      ['seccomp.architectures[0]', { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_ARM' as 'SCMP_ARCH_X86'] }],
      ['seccomp.flags[0]', { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER' as 'SECCOMP_FILTER_FLAG_LOG'] }],
      ['seccomp.defaultErrnoRet', { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: -1 }],
    ];
    for (const [field, profile] of bad) {
      it(`validateSeccompProfile, names ${field}`, () => {
        assert.throws(() => validateSeccompProfile(profile), (e: unknown) => e instanceof ContainerSpecError && e.field === field);
      });
    }
  });
});
