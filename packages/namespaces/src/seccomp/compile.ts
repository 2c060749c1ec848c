/**
 * The seccomp compiler: a checked `SeccompProfile` → a classic BPF program for SECCOMP_SET_MODE_FILTER, written
 * here rather than through libseccomp so the parent does it in plain TypeScript before the clone (the child
 * only loads the bytes). Layout:
 *
 *   load arch; x86_64 → section X; i386 (if listed) → section I; anything else → KILL_PROCESS
 *   X: load nr; nr ≥ __X32_SYSCALL_BIT → the x32 section if listed, else KILL_PROCESS;
 *      (x86_64 not listed → KILL_PROCESS); for each ruled nr: jeq nr → ja its rules; ret default
 *   rules of a nr: for each rule in profile order: argument checks (fail → next rule), ret action; ret default
 *
 * 64-bit arguments are compared as two 32-bit words (high word first, unsigned); i386 compares the low word only.
 * Unknown syscall names (newer than the tables) are skipped and reported back, as runc does.
 *
 * Man pages: seccomp(2) (struct seccomp_data, SECCOMP_RET_*), audit arch values in linux/audit.h.
 */
import { BPF, BpfProgram } from './bpf.js';
import {
  SECCOMP_FLAG_BITS, type SeccompAction, type SeccompArch, type SeccompArg, type SeccompProfile, type SeccompRule,
} from './profile.js';
import { I386_SYSCALLS, X32_SYSCALLS, X86_64_SYSCALLS } from './syscall-table.generated.js';

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const X32_SYSCALL_BIT = 0x40000000;
const EPERM = 1;
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;

/** SECCOMP_RET_* values. */
export const SECCOMP_RET = Object.freeze({
  KILL_PROCESS: 0x80000000, KILL_THREAD: 0, TRAP: 0x00030000, ERRNO: 0x00050000, TRACE: 0x7ff00000,
  LOG: 0x7ffc0000, ALLOW: 0x7fff0000,
} as const);

/** A compiled filter. */
export interface CompiledSeccomp {
  /** struct sock_filter records, 8 bytes each. */
  readonly bpf: Uint8Array;
  /** SECCOMP_FILTER_FLAG_* bits for seccomp(2). */
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

const lo = (v: bigint): number => Number(v & 0xffffffffn);
const hi = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);

/** Emit one comparison: falls through when it holds, jumps to `fail` otherwise. */
function emitArg(p: BpfProgram, arg: SeccompArg, fail: string, wide: boolean): void {
  const loOff = 16 + 8 * arg.index;
  const hiOff = loOff + 4;
  const v = arg.value;
  if (arg.op === 'SCMP_CMP_MASKED_EQ') {
    const want = arg.valueTwo ?? 0n;
    if (wide) p.load(hiOff).and(hi(v)).jump(BPF.JEQ_K, hi(want), 0, fail);
    p.load(loOff).and(lo(v)).jump(BPF.JEQ_K, lo(want), 0, fail);
    return;
  }
  if (arg.op === 'SCMP_CMP_EQ') {
    if (wide) p.load(hiOff).jump(BPF.JEQ_K, hi(v), 0, fail);
    p.load(loOff).jump(BPF.JEQ_K, lo(v), 0, fail);
    return;
  }
  const pass = p.newLabel('pass');
  if (arg.op === 'SCMP_CMP_NE') {
    if (wide) p.load(hiOff).jump(BPF.JEQ_K, hi(v), 0, pass);
    p.load(loOff).jump(BPF.JEQ_K, lo(v), fail, 0);
  } else {
    // GT/GE pass when the high word is greater; LT/LE fail then. Equal high words decide on the low word.
    const greater = arg.op === 'SCMP_CMP_GT' || arg.op === 'SCMP_CMP_GE';
    if (wide) {
      p.load(hiOff).jump(BPF.JGT_K, hi(v), greater ? pass : fail, 0);
      p.jump(BPF.JEQ_K, hi(v), 0, greater ? fail : pass);
    }
    p.load(loOff);
    switch (arg.op) {
      case 'SCMP_CMP_GT': p.jump(BPF.JGT_K, lo(v), 0, fail); break;
      case 'SCMP_CMP_GE': p.jump(BPF.JGE_K, lo(v), 0, fail); break;
      case 'SCMP_CMP_LT': p.jump(BPF.JGE_K, lo(v), fail, 0); break;
      default: p.jump(BPF.JGT_K, lo(v), fail, 0); break; // LE
    }
  }
  p.label(pass);
}

/** The rules of one ABI grouped by syscall number, in first-appearance order. */
function groupRules(rules: readonly SeccompRule[], table: Readonly<Record<string, number>>): Map<number, SeccompRule[]> {
  const byNr = new Map<number, SeccompRule[]>();
  for (const rule of rules) {
    for (const name of rule.names) {
      const nr = Object.hasOwn(table, name) ? table[name] : undefined;
      if (nr === undefined) continue;
      const list = byNr.get(nr) ?? [];
      if (!list.includes(rule)) list.push(rule);
      byNr.set(nr, list);
    }
  }
  return byNr;
}

/** Dispatch on the syscall number (already loaded) and emit each number's rules. */
function emitSection(p: BpfProgram, byNr: Map<number, SeccompRule[]>, nrBias: number, deflt: number, wide: boolean): void {
  const labels = new Map<number, string>();
  for (const nr of byNr.keys()) {
    const label = p.newLabel(`nr${nr}`);
    labels.set(nr, label);
    p.jump(BPF.JEQ_K, (nr + nrBias) >>> 0, 0, 1).ja(label);
  }
  p.ret(deflt);
  for (const [nr, rules] of byNr) {
    p.label(labels.get(nr) ?? '');
    for (const rule of rules) {
      const next = p.newLabel('next');
      for (const arg of rule.args ?? []) emitArg(p, arg, next, wide);
      p.ret(actionValue(rule.action, rule.errnoRet));
      p.label(next);
    }
    p.ret(deflt);
  }
}

/** Compile a (validated) profile into BPF. */
export function compileSeccomp(profile: SeccompProfile): CompiledSeccomp {
  const arches = new Set<SeccompArch>(profile.architectures?.length ? profile.architectures : ['SCMP_ARCH_X86_64']);
  const rules = profile.syscalls ?? [];
  const deflt = actionValue(profile.defaultAction, profile.defaultErrnoRet);
  const tables: [SeccompArch, Readonly<Record<string, number>>][] = [
    ['SCMP_ARCH_X86_64', X86_64_SYSCALLS], ['SCMP_ARCH_X86', I386_SYSCALLS], ['SCMP_ARCH_X32', X32_SYSCALLS],
  ];
  const unknownNames = [...new Set(rules.flatMap((r) => r.names))]
    .filter((name) => !tables.some(([arch, table]) => arches.has(arch) && Object.hasOwn(table, name)));
  const p = new BpfProgram();
  const x86 = p.newLabel('x86_64');
  const i386 = p.newLabel('i386');
  p.load(OFFSET_ARCH).jump(BPF.JEQ_K, AUDIT_ARCH_X86_64, 0, 1).ja(x86);
  if (arches.has('SCMP_ARCH_X86')) p.jump(BPF.JEQ_K, AUDIT_ARCH_I386, 0, 1).ja(i386);
  p.ret(SECCOMP_RET.KILL_PROCESS);
  // x86_64 and x32 share AUDIT_ARCH_X86_64; x32 numbers carry __X32_SYSCALL_BIT.
  p.label(x86).load(OFFSET_NR);
  const x32 = p.newLabel('x32');
  p.jump(BPF.JGE_K, X32_SYSCALL_BIT, 0, 1);
  if (arches.has('SCMP_ARCH_X32')) p.ja(x32); else p.ret(SECCOMP_RET.KILL_PROCESS);
  if (arches.has('SCMP_ARCH_X86_64')) emitSection(p, groupRules(rules, X86_64_SYSCALLS), 0, deflt, true);
  else p.ret(SECCOMP_RET.KILL_PROCESS);
  if (arches.has('SCMP_ARCH_X32')) {
    p.label(x32);
    emitSection(p, groupRules(rules, X32_SYSCALLS), X32_SYSCALL_BIT, deflt, true);
  }
  if (arches.has('SCMP_ARCH_X86')) {
    p.label(i386).load(OFFSET_NR);
    emitSection(p, groupRules(rules, I386_SYSCALLS), 0, deflt, false);
  }
  const flags = (profile.flags ?? []).reduce((bits, flag) => bits | SECCOMP_FLAG_BITS[flag], 0);
  return { bpf: p.assemble(), flags, unknownNames };
}
