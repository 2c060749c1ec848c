/**
 * The seccomp compiler: a checked `SeccompProfile` → a classic BPF program for SECCOMP_SET_MODE_FILTER, written
 * here rather than through libseccomp so the parent does it in plain TypeScript before the clone (the child
 * only loads the bytes). Layout, as libseccomp's for large profiles:
 *
 *   load arch; AUDIT_ARCH_X86_64 (x86_64 or x32 listed) → tree X; AUDIT_ARCH_I386 (listed) → tree I;
 *   anything else → KILL_PROCESS
 *   X: load nr; a binary search tree (tree.ts) over the x86_64 numbers below __X32_SYSCALL_BIT and the x32
 *      numbers above it (an unlisted ABI's half of the space → KILL_PROCESS)
 *   I: load nr; the same over the i386 numbers
 *   the shared `ret` of each action word
 *
 * Which rule decides a syscall (precedence as libseccomp's) is rules.ts's; argument checks are args.ts's.
 * Unknown syscall names (newer than the tables) are skipped and reported back, as runc does. Results are
 * cached by the profile's content (a few recent profiles), since a runtime compiles the same one each start.
 *
 * Man pages: seccomp(2) (struct seccomp_data, SECCOMP_RET_*), audit arch values in linux/audit.h.
 */
import { BPF, BpfProgram } from './bpf.js';
import {
  SECCOMP_FLAG_BITS, type SeccompAction, type SeccompArch, type SeccompProfile,
} from './profile.js';
import { type AbiTable, type Outcome, type Outcomes, resolveRules } from './rules.js';
import { I386_SYSCALLS, X32_SYSCALLS, X86_64_SYSCALLS } from './syscall-table.generated.js';
import { type Interval, partition, TreeEmitter } from './tree.js';

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const X32_SYSCALL_BIT = 0x40000000;
const EPERM = 1;
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;

/** SECCOMP_RET_* values. */
export const SECCOMP_RET = Object.freeze({
  /** Kill the whole process (SCMP_ACT_KILL_PROCESS). */
  KILL_PROCESS: 0x80000000,
  /** Kill the calling thread (SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD). */
  KILL_THREAD: 0,
  /** Send SIGSYS (SCMP_ACT_TRAP). */
  TRAP: 0x00030000,
  /** Fail with the errno in the low 16 bits (SCMP_ACT_ERRNO). */
  ERRNO: 0x00050000,
  /** Notify a ptrace tracer, or fail with ENOSYS without one (SCMP_ACT_TRACE). */
  TRACE: 0x7ff00000,
  /** Allow and log (SCMP_ACT_LOG). */
  LOG: 0x7ffc0000,
  /** Allow (SCMP_ACT_ALLOW). */
  ALLOW: 0x7fff0000,
} as const);

/** A compiled filter. */
export interface CompiledSeccomp {
  /** struct sock_filter records, 8 bytes each. */
  readonly bpf: Uint8Array;
  /** SECCOMP_FILTER_FLAG_* bits for seccomp(2) (WAIT_KILLABLE_RECV left out: it needs a listener). */
  readonly flags: number;
  /** Rule names no listed architecture knows (skipped). */
  readonly unknownNames: readonly string[];
}

/** The SECCOMP_RET_* word of an action. */
export function actionValue(action: SeccompAction, errnoRet: number | undefined): number {
  switch (action) {
    case 'SCMP_ACT_KILL': case 'SCMP_ACT_KILL_THREAD': return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_ERRNO': return (SECCOMP_RET.ERRNO | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_TRACE': return (SECCOMP_RET.TRACE | ((errnoRet ?? 0) & 0xffff)) >>> 0;
    case 'SCMP_ACT_LOG': return SECCOMP_RET.LOG;
    case 'SCMP_ACT_ALLOW': return SECCOMP_RET.ALLOW;
  }
}

const TABLES: readonly (readonly [SeccompArch, AbiTable])[] = [
  ['SCMP_ARCH_X86_64', { table: X86_64_SYSCALLS, wide: true }], ['SCMP_ARCH_X86', { table: I386_SYSCALLS, wide: false }],
  ['SCMP_ARCH_X32', { table: X32_SYSCALLS, wide: false }],
];
const CACHE_SIZE = 8;
const cache = new Map<string, CompiledSeccomp>();

/**
 * Compile a (validated) profile into BPF. The same profile content compiles once per process (a small cache);
 * each call gets its own copy of the bytes.
 */
export function compileSeccomp(profile: SeccompProfile): CompiledSeccomp {
  const key = JSON.stringify(profile, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  let hit = cache.get(key);
  if (hit === undefined) {
    hit = compileUncached(profile);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value ?? '');
  } else {
    cache.delete(key); // re-inserted below as the most recent
  }
  cache.set(key, hit);
  return { ...hit, bpf: hit.bpf.slice() };
}

function compileUncached(profile: SeccompProfile): CompiledSeccomp {
  const arches = new Set<SeccompArch>(profile.architectures?.length ? profile.architectures : ['SCMP_ARCH_X86_64']);
  const rules = profile.syscalls ?? [];
  const deflt = actionValue(profile.defaultAction, profile.defaultErrnoRet);
  const listed = TABLES.filter(([arch]) => arches.has(arch));
  const { outcomes, unknownNames } = resolveRules(rules, listed.map(([, table]) => table), deflt,
    (rule) => actionValue(rule.action, rule.errnoRet));
  const of = (arch: SeccompArch): Outcomes => outcomes[listed.findIndex(([a]) => a === arch)] ?? new Map<number, Outcome>();
  const kill = { kind: 'ret', value: SECCOMP_RET.KILL_PROCESS } as const;
  const dflt = { kind: 'ret', value: deflt } as const;

  const p = new BpfProgram();
  const rets = new Map<number, number>();
  const retLabel = (value: number): number => {
    let label = rets.get(value);
    if (label === undefined) rets.set(value, label = p.newLabel());
    return label;
  };
  const trees = new TreeEmitter(p, retLabel, deflt);
  const x86 = arches.has('SCMP_ARCH_X86_64') || arches.has('SCMP_ARCH_X32') ? p.newLabel() : undefined;
  const i386 = arches.has('SCMP_ARCH_X86') ? p.newLabel() : undefined;
  p.load(OFFSET_ARCH);
  if (x86 !== undefined) p.jump(BPF.JEQ_K, AUDIT_ARCH_X86_64, x86, 0);
  if (i386 !== undefined) p.jump(BPF.JEQ_K, AUDIT_ARCH_I386, i386, 0);
  p.ret(SECCOMP_RET.KILL_PROCESS);
  if (x86 !== undefined) {
    // x86_64 and x32 share AUDIT_ARCH_X86_64; x32 numbers carry __X32_SYSCALL_BIT.
    const entries = new Map(of('SCMP_ARCH_X86_64'));
    if (arches.has('SCMP_ARCH_X32')) {
      for (const [nr, outcome] of of('SCMP_ARCH_X32')) entries.set((nr | X32_SYSCALL_BIT) >>> 0, outcome);
    }
    const base: Interval[] = [
      { start: 0, outcome: arches.has('SCMP_ARCH_X86_64') ? dflt : kill },
      { start: X32_SYSCALL_BIT, outcome: arches.has('SCMP_ARCH_X32') ? dflt : kill },
    ];
    p.label(x86).load(OFFSET_NR);
    trees.emit(partition(base, entries));
  }
  if (i386 !== undefined) {
    p.label(i386).load(OFFSET_NR);
    trees.emit(partition([{ start: 0, outcome: dflt }], of('SCMP_ARCH_X86')));
  }
  for (const [value, label] of rets) p.label(label).ret(value);
  // WAIT_KILLABLE_RECV only qualifies a listener (NEW_LISTENER, never made here); seccomp(2) refuses it alone
  // with EINVAL, so it is dropped as libseccomp does when no notify rule creates a listener
  const flags = (profile.flags ?? []).filter((flag) => flag !== 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV')
    .reduce((bits, flag) => bits | SECCOMP_FLAG_BITS[flag], 0);
  return { bpf: p.assemble(), flags, unknownNames };
}
