/**
 * Test helpers for the seccomp compiler: a reference evaluator that reads an OCI-shaped profile directly (no
 * BPF) and says what the kernel should return for one syscall, with the precedence documented in
 * src/seccomp/rules.ts; a seeded random source; the podman profile fixture loaded with bigint values; and a
 * property check running a compiled filter (through bpf-run.ts) against the reference on many inputs.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  compileSeccomp, SECCOMP_RET, type SeccompAction, type SeccompArch, type SeccompArg, type SeccompProfile,
} from '../../src/index.js';
import { I386_SYSCALLS, X32_SYSCALLS, X86_64_SYSCALLS } from '../../src/seccomp/syscall-table.generated.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, runBpf, type SeccompData } from './bpf-run.js';

export const X32_BIT = 0x40000000;
const M64 = (1n << 64n) - 1n;
const M32 = 0xffffffffn;

/** The SECCOMP_RET_* word of an action, written out independently of the compiler's. */
export function retWord(action: SeccompAction, errno: number | undefined): number {
  const table: Record<SeccompAction, number> = {
    SCMP_ACT_KILL: 0, SCMP_ACT_KILL_THREAD: 0, SCMP_ACT_KILL_PROCESS: 0x80000000, SCMP_ACT_TRAP: 0x30000,
    SCMP_ACT_ERRNO: 0x50000 + (errno ?? 1), SCMP_ACT_TRACE: 0x7ff00000 + (errno ?? 0), SCMP_ACT_LOG: 0x7ffc0000,
    SCMP_ACT_ALLOW: 0x7fff0000,
  };
  return table[action];
}

/** One ABI: its table, its audit arch and the bias on its numbers. */
interface Abi { readonly arch: SeccompArch; readonly table: Readonly<Record<string, number>>; readonly audit: number; readonly bias: number }
export const ABIS: readonly Abi[] = [
  { arch: 'SCMP_ARCH_X86_64', table: X86_64_SYSCALLS, audit: AUDIT_ARCH_X86_64, bias: 0 },
  { arch: 'SCMP_ARCH_X32', table: X32_SYSCALLS, audit: AUDIT_ARCH_X86_64, bias: X32_BIT },
  { arch: 'SCMP_ARCH_X86', table: I386_SYSCALLS, audit: AUDIT_ARCH_I386, bias: 0 },
];

const reverse = new Map<Abi, Map<number, Set<string>>>();
/** number (biased) → the names an ABI's table gives it. */
function namesOf(abi: Abi): Map<number, Set<string>> {
  let map = reverse.get(abi);
  if (map === undefined) {
    map = new Map();
    for (const [name, n] of Object.entries(abi.table)) {
      const nr = (n + abi.bias) >>> 0;
      map.set(nr, (map.get(nr) ?? new Set()).add(name));
    }
    reverse.set(abi, map);
  }
  return map;
}

function holds(arg: SeccompArg, raw: bigint, wide: boolean): boolean {
  const m = wide ? M64 : M32;
  const a = raw & m;
  const v = arg.value & m;
  switch (arg.op) {
    case 'SCMP_CMP_EQ': return a === v;
    case 'SCMP_CMP_NE': return a !== v;
    case 'SCMP_CMP_LT': return a < v;
    case 'SCMP_CMP_LE': return a <= v;
    case 'SCMP_CMP_GT': return a > v;
    case 'SCMP_CMP_GE': return a >= v;
    case 'SCMP_CMP_MASKED_EQ': return (a & v) === ((arg.valueTwo ?? 0n) & v); // libseccomp masks valueTwo too
  }
}

/** What the profile says for `d`, read directly from the profile. */
export function referenceDecision(profile: SeccompProfile, d: SeccompData): number {
  const listed = profile.architectures?.length ? profile.architectures : ['SCMP_ARCH_X86_64'];
  const nr = d.nr >>> 0;
  const abi = d.arch === AUDIT_ARCH_I386 ? ABIS[2] : d.arch === AUDIT_ARCH_X86_64 ? ABIS[nr >= X32_BIT ? 1 : 0] : undefined;
  if (abi === undefined || !listed.includes(abi.arch)) return SECCOMP_RET.KILL_PROCESS;
  const deflt = retWord(profile.defaultAction, profile.defaultErrnoRet);
  const names = namesOf(abi).get(nr) ?? new Set<string>();
  const wide = abi.arch === 'SCMP_ARCH_X86_64'; // i386 and x32: the low words (libseccomp's reading)
  const alwaysHolds = (a: SeccompArg): boolean => a.op === 'SCMP_CMP_MASKED_EQ' && (a.value & (wide ? M64 : M32)) === 0n;
  const rules = (profile.syscalls ?? [])
    .filter((r) => r.names.some((n) => names.has(n)))
    .map((r) => ({ args: (r.args ?? []).filter((a) => !alwaysHolds(a)), value: retWord(r.action, r.errnoRet) }))
    .filter((r) => r.value !== deflt);
  const unconditional = rules.find((r) => r.args.length === 0);
  if (unconditional !== undefined) return unconditional.value;
  const match = rules.find((r) => r.args.every((a) => holds(a, d.args?.[a.index] ?? 0n, wide)));
  return match?.value ?? deflt;
}

/** A small seeded PRNG (mulberry32), so a failing case can be replayed from its seed. */
export function random(seed: number): { int(n: number): number; pick<T>(xs: readonly T[]): T; u64(): bigint } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    int,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] as T,
    u64: () => (BigInt(int(0x100000000)) << 32n) | BigInt(int(0x100000000)),
  };
}

/** Parse an OCI linux.seccomp JSON object, turning argument values into bigint as @ct/runtime does. */
export function parseProfile(text: string): SeccompProfile {
  return JSON.parse(text, (key, v: unknown) => ((key === 'value' || key === 'valueTwo') && typeof v === 'number' ? BigInt(v) : v)) as SeccompProfile;
}

/** podman 4.3.1's default profile as podman passes it to the runtime (linux.seccomp of its config.json). */
export function podmanProfile(): SeccompProfile {
  return parseProfile(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'seccomp-podman-4.3.1-oci.json'), 'utf8'));
}

/** Values worth trying for the arguments of `profile`'s rules: each operand and its neighbours, word edges, random. */
export function interestingValues(profile: SeccompProfile, rnd: ReturnType<typeof random>): bigint[] {
  const out = new Set<bigint>([0n, 1n, M32, M32 + 1n, M64, 1n << 63n]);
  for (const rule of profile.syscalls ?? []) {
    for (const a of rule.args ?? []) {
      for (const v of [a.value, a.valueTwo ?? 0n, (a.valueTwo ?? 0n) | ~a.value]) {
        for (const w of [v - 1n, v, v + 1n, v ^ (1n << 32n), v & M32, v | (M32 << 32n)]) out.add(w & M64);
      }
    }
  }
  for (let i = 0; i < 8; i++) out.add(rnd.u64());
  return [...out];
}

/**
 * Compare the compiled filter with the reference for every number of every ABI table (listed or not), numbers
 * around them, and `samples` argument vectors per number drawn from the interesting values. Returns the number
 * of cases checked; throws on the first difference with the case spelled out.
 */
export function checkAgainstReference(profile: SeccompProfile, seed: number, samples = 24, bpf = compileSeccomp(profile).bpf): number {
  const rnd = random(seed);
  const values = interestingValues(profile, rnd);
  const ruled = new Set((profile.syscalls ?? []).filter((r) => (r.args ?? []).length > 0).flatMap((r) => r.names));
  const nrs = new Set<string>();
  for (const abi of ABIS) {
    const max = Math.max(...Object.values(abi.table));
    for (const n of [...Object.values(abi.table), max + 1, max + 100]) nrs.add(`${abi.audit}:${(n + abi.bias) >>> 0}`);
  }
  for (const extra of [0xffffffff, X32_BIT - 1, 0x7fffffff, 0x80000000]) nrs.add(`${AUDIT_ARCH_X86_64}:${extra}`);
  nrs.add(`${0xc00000b7}:0`); // aarch64: never listed here
  let checked = 0;
  for (const key of nrs) {
    const [arch, nr] = key.split(':').map(Number) as [number, number];
    const abi = arch === AUDIT_ARCH_I386 ? ABIS[2] : ABIS[nr >= X32_BIT ? 1 : 0];
    const names = abi === undefined ? undefined : namesOf(abi).get(nr);
    const n = names !== undefined && [...names].some((name) => ruled.has(name)) ? samples : 2;
    for (let i = 0; i < n; i++) {
      const args = Array.from({ length: 6 }, () => (rnd.int(4) === 0 ? rnd.u64() : rnd.pick(values)));
      const d = { nr: nr | 0, arch, args };
      const want = referenceDecision(profile, d);
      const got = runBpf(bpf, d);
      checked += 1;
      if (got !== want) {
        assert.fail(`seed ${seed}: arch 0x${arch.toString(16)} nr ${nr} args [${args.map((a) => `0x${a.toString(16)}`).join(', ')}]: `
          + `filter 0x${got.toString(16)}, profile 0x${want.toString(16)}`);
      }
    }
  }
  return checked;
}
