/**
 * The syscall-number dispatch of one audit architecture as a binary search tree, the way libseccomp lays out
 * large filters: the 32-bit number space is cut into intervals with one outcome each (runs of numbers that
 * return the same word merged, a number with argument rules alone), and `jge` splits over the interval starts
 * reach any of them in about log2(intervals) jumps. An interval that returns a word jumps to a `ret` shared by
 * the whole program (the assembler copies it nearer when it is out of reach); one with argument rules is the
 * rules' checks in profile order, then the default.
 *
 * Man pages: seccomp(2) (seccomp_data.nr), bpf_common.h (BPF_JGE).
 */
import { emitArg } from './args.js';
import { BPF, type BpfProgram } from './bpf.js';
import type { Outcome } from './rules.js';

/** Numbers from `start` up to the next interval's start share `outcome`. */
export interface Interval {
  readonly start: number;
  readonly outcome: Outcome;
}

const sameRet = (a: Outcome, b: Outcome): boolean => a.kind === 'ret' && b.kind === 'ret' && a.value === b.value;

/**
 * Cut [0, 2^32) into intervals: `base` (sorted by start, the first at 0) gives the outcome of numbers no entry
 * names; each key of `entries` (already biased, e.g. x32 numbers with __X32_SYSCALL_BIT) is its own number.
 */
export function partition(base: readonly Interval[], entries: ReadonlyMap<number, Outcome>): Interval[] {
  const out: Interval[] = [];
  const push = (start: number, outcome: Outcome): void => {
    const last = out[out.length - 1];
    if (last === undefined || !sameRet(last.outcome, outcome)) out.push({ start, outcome });
  };
  let b = 0; // the base interval holding the numbers being filled
  /** Numbers [from, to) take the base outcomes. */
  const fill = (from: number, to: number): void => {
    if (from >= to) return;
    while (b + 1 < base.length && (base[b + 1]?.start ?? Infinity) <= from) b += 1;
    const first = base[b];
    if (first === undefined) throw new Error('seccomp: partition without a base interval at 0');
    push(from, first.outcome);
    for (let j = b + 1; j < base.length; j++) {
      const next = base[j];
      if (next === undefined || next.start >= to) break;
      push(next.start, next.outcome);
    }
  };
  let cursor = 0;
  for (const nr of Float64Array.from(entries.keys()).sort()) {
    fill(cursor, nr);
    const outcome = entries.get(nr);
    if (outcome !== undefined) push(nr, outcome);
    cursor = nr + 1;
  }
  fill(cursor, 0x100000000);
  return out;
}

/** Emits dispatch trees into one program; `retLabel` gives the shared `ret` of a word. */
export class TreeEmitter {
  constructor(
    private readonly p: BpfProgram,
    private readonly retLabel: (value: number) => number,
    private readonly deflt: number,
  ) {}

  /** At the current position with A = the syscall number: decide among `intervals` (a partition). */
  emit(intervals: readonly Interval[]): void {
    const only = intervals.length === 1 ? intervals[0] : undefined;
    if (only?.outcome.kind === 'ret') this.p.ret(only.outcome.value);
    else this.range(intervals, 0, intervals.length - 1);
  }

  /** Where a jump to the subtree of intervals lo..hi goes: a shared ret, or `inline` (code to be emitted). */
  private target(intervals: readonly Interval[], lo: number, hi: number): number | undefined {
    const iv = intervals[lo];
    if (lo === hi && iv?.outcome.kind === 'ret') return this.retLabel(iv.outcome.value);
    return undefined;
  }

  private range(intervals: readonly Interval[], lo: number, hi: number): void {
    if (lo === hi) {
      const iv = intervals[lo];
      if (iv === undefined) throw new Error('seccomp: empty interval range');
      if (iv.outcome.kind === 'ret') this.p.ja(this.retLabel(iv.outcome.value));
      else this.rules(iv.outcome);
      return;
    }
    const mid = (lo + hi + 1) >> 1;
    const left = this.target(intervals, lo, mid - 1);
    const right = this.target(intervals, mid, hi);
    const rightLabel = right ?? this.p.newLabel();
    this.p.jump(BPF.JGE_K, intervals[mid]?.start ?? 0, rightLabel, left ?? 0);
    if (left === undefined) this.range(intervals, lo, mid - 1);
    if (right === undefined) {
      this.p.label(rightLabel);
      this.range(intervals, mid, hi);
    }
  }

  /** The argument rules of one number in order, each falling to the next when a check fails, then the default. */
  private rules({ rules, wide }: Extract<Outcome, { kind: 'args' }>): void {
    for (const rule of rules) {
      const next = this.p.newLabel();
      for (const arg of rule.args) emitArg(this.p, arg, next, wide);
      this.p.ret(rule.value);
      this.p.label(next);
    }
    this.p.ret(this.deflt);
  }
}
