/**
 * The seccomp compiler on large and random profiles: podman's default profile fits far under BPF_MAXINSNS and
 * decides, for every syscall of the three x86 ABIs and sampled arguments, what a direct reading of the profile
 * says (seccomp-reference.ts); so do random profiles with overlapping rules, every action and comparison, and
 * layouts that need jump trampolines.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { requireFeature } from '@ct/test-utils';
import {
  compileSeccomp, ContainerSpecError, type SeccompAction, type SeccompArch, type SeccompArg, type SeccompOperator,
  type SeccompProfile, type SeccompRule, validateSeccompProfile,
} from '../../src/index.js';
import { AUDIT_ARCH_X86_64, runBpf } from './bpf-run.js';
import { ABIS, checkAgainstReference, parseProfile, podmanProfile, random, referenceDecision } from './seccomp-reference.js';

const CONTAINERS_PROFILE = '/usr/share/containers/seccomp.json';
const PODMAN_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT'];
const insns = (p: SeccompProfile): number => compileSeccomp(p).bpf.length / 8;
const opcodes = (bpf: Uint8Array): Set<number> => new Set(Array.from({ length: bpf.length / 8 }, (_, i) => bpf[i * 8] ?? 0));

interface SourceRule {
  names: string[]; action: SeccompAction; errnoRet?: number; args?: SeccompArg[] | null;
  includes?: { arches?: string[]; caps?: string[] }; excludes?: { arches?: string[]; caps?: string[] };
}

/**
 * containers/common's conversion of /usr/share/containers/seccomp.json for amd64 and a capability set: a rule is
 * kept when its includes (arches, caps) all hold and no excluded cap is held; architectures from archMap.
 */
function fromContainersProfile(text: string, caps: readonly string[]): SeccompProfile {
  const src = parseProfile(text) as unknown as {
    defaultAction: SeccompAction; defaultErrnoRet?: number;
    archMap: { architecture: SeccompArch; subArchitectures: SeccompArch[] }[]; syscalls: SourceRule[];
  };
  const native = src.archMap.find((a) => a.architecture === 'SCMP_ARCH_X86_64');
  const syscalls = src.syscalls.filter((r) => (!r.includes?.arches?.length || r.includes.arches.includes('amd64'))
    && (r.includes?.caps ?? []).every((c) => caps.includes(c)) && !(r.excludes?.caps ?? []).some((c) => caps.includes(c)))
    .map((r): SeccompRule => ({
      names: r.names, action: r.action, ...(r.errnoRet === undefined ? {} : { errnoRet: r.errnoRet }),
      ...(r.args?.length ? { args: r.args.map(({ index, value, op }) => ({ index, value, op })) } : {}),
    }));
  return {
    defaultAction: src.defaultAction, ...(src.defaultErrnoRet === undefined ? {} : { defaultErrnoRet: src.defaultErrnoRet }),
    architectures: native === undefined ? [] : [native.architecture, ...native.subArchitectures], syscalls,
  };
}

describe('seccomp compiler, large and random profiles', () => {
  it('compileSeccomp, podman\'s default profile compiles to far fewer than 4096 instructions', () => {
    const n = insns(validateSeccompProfile(podmanProfile()));
    assert.ok(n < 4096, `${n} instructions`);
    assert.ok(n <= 600, `${n} instructions: the tree layout regressed (488 when written; libseccomp 2.5.4 makes 1144)`);
  });

  it('compileSeccomp, podman\'s profile decides as the profile reads for every syscall of x86_64, x32 and i386', () => {
    const checked = checkAgainstReference(validateSeccompProfile(podmanProfile()), 1, 48);
    assert.ok(checked > 2500, `only ${checked} cases`);
  });

  it('compileSeccomp, podman\'s profile: the decisions that matter (allowed, EPERM rule, default ENOSYS, args)', () => {
    const bpf = compileSeccomp(podmanProfile()).bpf;
    const nr = (name: string): number => ABIS[0]?.table[name] ?? -1;
    const run = (name: string, args: bigint[] = []): number => runBpf(bpf, { nr: nr(name), arch: AUDIT_ARCH_X86_64, args });
    assert.equal(run('getpid'), 0x7fff0000);
    assert.equal(run('kcmp'), 0x50001);
    assert.equal(run('setns'), 0x7fff0000, 'the first unconditional rule wins (ALLOW before the CAP_SYS_ADMIN ERRNO)');
    assert.equal(run('add_key'), 0x50000 + 38);
    assert.equal(run('personality', [8n]), 0x7fff0000);
    assert.equal(run('personality', [0xffffffffn]), 0x7fff0000);
    assert.equal(run('personality', [0x1_0000_0008n]), 0x50000 + 38, 'the high word is compared');
    assert.equal(run('personality', [9n]), 0x50000 + 38);
    assert.equal(run('socket', [16n, 3n, 9n]), 0x50000 + 22);
    assert.equal(run('socket', [16n, 3n, 0n]), 0x7fff0000);
  });

  it('compileSeccomp, /usr/share/containers/seccomp.json converted as podman does (default and all capabilities)', function () {
    requireFeature(this, existsSync(CONTAINERS_PROFILE), `${CONTAINERS_PROFILE} missing (Debian package golang-github-containers-common)`);
    const text = readFileSync(CONTAINERS_PROFILE, 'utf8');
    const byDefault = fromContainersProfile(text, PODMAN_CAPS);
    assert.deepEqual(byDefault.syscalls, podmanProfile().syscalls?.map((r) => ({ ...r })), 'the conversion matches what podman passed');
    const allCaps = fromContainersProfile(text, [...PODMAN_CAPS, 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE', 'CAP_SYS_MODULE',
      'CAP_DAC_READ_SEARCH', 'CAP_SYS_PACCT', 'CAP_SYS_RAWIO', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_AUDIT_WRITE']);
    for (const p of [byDefault, allCaps]) {
      assert.ok(insns(validateSeccompProfile(p)) < 4096);
      checkAgainstReference(p, 2, 16);
    }
  });

  it('compileSeccomp, 60 random profiles (overlapping rules, every action and comparison) decide as they read', () => {
    const rnd = random(7);
    const actions: SeccompAction[] = ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS',
      'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_TRACE', 'SCMP_ACT_LOG'];
    const ops: SeccompOperator[] = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT',
      'SCMP_CMP_GE', 'SCMP_CMP_MASKED_EQ'];
    const pool = [0n, 1n, 5n, 0xffffffffn, 0x1_0000_0000n, 0x1_0000_0005n, 0xffff_ffff_ffff_fff0n];
    const names = [...new Set(ABIS.flatMap((abi) => Object.keys(abi.table)))];
    const few = names.slice(0, 12); // a small set, so rules overlap often
    for (let i = 0; i < 60; i++) {
      const rule = (): SeccompRule => {
        const action = rnd.pick(actions);
        const args = Array.from({ length: rnd.int(3) }, (): SeccompArg => {
          const op = rnd.pick(ops);
          return { index: rnd.int(6), op, value: rnd.pick(pool), ...(op === 'SCMP_CMP_MASKED_EQ' ? { valueTwo: rnd.pick(pool) } : {}) };
        });
        return {
          names: Array.from({ length: 1 + rnd.int(4) }, () => rnd.pick(rnd.int(2) === 0 ? few : names)), action,
          ...(rnd.int(2) === 0 ? { errnoRet: rnd.int(200) } : {}), ...(args.length > 0 ? { args } : {}),
        };
      };
      const arches = (['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] as const).filter(() => rnd.int(3) > 0);
      const profile: SeccompProfile = validateSeccompProfile({
        defaultAction: rnd.pick(actions), ...(rnd.int(2) === 0 ? { defaultErrnoRet: rnd.int(100) } : {}),
        architectures: arches, syscalls: Array.from({ length: rnd.int(40) }, rule),
      });
      checkAgainstReference(profile, 100 + i, 24);
    }
  });

  it('compileSeccomp, a long argument block in the tree needs jump trampolines and still decides right', () => {
    // 150 rules on mkdir: a block of ~750 instructions the tree's jumps must cross, and rets far from the top
    const syscalls: SeccompRule[] = Array.from({ length: 150 }, (_, i) => ({
      names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: i + 1, args: [{ index: 0, value: BigInt(i) << 20n, op: 'SCMP_CMP_EQ' }],
    }));
    syscalls.push(...['read', 'write', 'close', 'getpid', 'kill', 'mount', 'reboot', 'setns'].map((name, i) => ({
      names: [name], action: 'SCMP_ACT_ERRNO' as const, errnoRet: 300 + i,
    })));
    const profile = validateSeccompProfile({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], syscalls });
    const bpf = compileSeccomp(profile).bpf;
    assert.ok(opcodes(bpf).has(0x05), 'a ja trampoline');
    assert.equal(runBpf(bpf, { nr: 83, arch: AUDIT_ARCH_X86_64, args: [149n << 20n] }), 0x50000 + 150);
    checkAgainstReference(profile, 3, 8);
  });

  it('compileSeccomp, a profile too large for one filter is a ContainerSpecError naming seccomp', () => {
    const syscalls: SeccompRule[] = Array.from({ length: 1000 }, (_, i) => ({
      names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: BigInt(i) << 33n, op: 'SCMP_CMP_EQ' }],
    }));
    assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls }),
      (e: unknown) => e instanceof ContainerSpecError && e.code === 'CONTAINER_SPEC' && e.field === 'seccomp');
  });

  it('compileSeccomp, the same content compiles to the same bytes, and a caller changing them changes no later result', () => {
    const a = compileSeccomp(podmanProfile());
    const copy = Uint8Array.from(a.bpf);
    a.bpf.fill(0);
    const b = compileSeccomp(podmanProfile());
    assert.deepEqual(b.bpf, copy);
    assert.equal(runBpf(b.bpf, { nr: 39, arch: AUDIT_ARCH_X86_64 }), 0x7fff0000);
  });

  it('referenceDecision, kills an unlisted ABI and applies the default elsewhere (the reference itself)', () => {
    const p: SeccompProfile = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 9, syscalls: [] };
    assert.equal(referenceDecision(p, { nr: 0, arch: AUDIT_ARCH_X86_64 }), 0x50009);
    assert.equal(referenceDecision(p, { nr: 0x40000000, arch: AUDIT_ARCH_X86_64 }), 0x80000000);
  });
});
