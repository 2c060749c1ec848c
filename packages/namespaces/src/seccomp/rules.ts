/**
 * What each syscall number of one ABI does under a profile, with libseccomp's precedence (as runc and crun get
 * it) made explicit, so the BPF layout (tree.ts) only has to encode a table:
 *
 * 1. A rule whose action (with its errno) equals the default action is dropped: libseccomp refuses such rules
 *    (EACCES) and runc skips them, so they never shadow a later rule.
 * 2. A rule without argument comparisons decides its syscalls whatever their arguments, overriding every rule
 *    with comparisons for them, before or after it (libseccomp replaces a syscall's argument chains by an
 *    unconditional rule); of several such rules the first in profile order wins (libseccomp keeps the first).
 *    A MASKED_EQ whose mask is zero in the ABI's argument width always holds and is left out, so a rule of only
 *    such checks is unconditional too (libseccomp drops them the same way).
 * 3. Otherwise the rules with comparisons are tried in profile order and the first whose comparisons all hold
 *    decides; none holding gives the default action. This equals libseccomp whenever the rules of a syscall that
 *    can hold at once share one action (as in podman's and Docker's profiles). Where overlapping rules of one
 *    syscall have different actions, libseccomp orders its decision tree by argument and comparison (or refuses
 *    the second rule with EEXIST, which runc reports as an error); ct uses profile order there.
 *
 * Man pages: seccomp_rule_add(3).
 */
import type { SeccompArg, SeccompRule } from './profile.js';

const WORD = 0xffffffffn;
const WIDE = 0xffffffffffffffffn;

/** The checks of `args` that can fail at this width (a MASKED_EQ with a zero mask always holds). */
function effective(args: readonly SeccompArg[], wide: boolean): readonly SeccompArg[] {
  const width = wide ? WIDE : WORD;
  return args.some((a) => a.op === 'SCMP_CMP_MASKED_EQ' && (a.value & width) === 0n)
    ? args.filter((a) => !(a.op === 'SCMP_CMP_MASKED_EQ' && (a.value & width) === 0n))
    : args;
}

/** A rule with comparisons, reduced to its checks and SECCOMP_RET_* word. */
export interface ArgRule {
  /** All must hold. */
  readonly args: readonly SeccompArg[];
  /** The SECCOMP_RET_* word when they do. */
  readonly value: number;
}

/** What one syscall number does: return a word, or try rules with comparisons (then the default). */
export type Outcome =
  | { readonly kind: 'ret'; readonly value: number }
  | {
    readonly kind: 'args';
    readonly rules: readonly ArgRule[];
    /** Compare all 64 bits of the arguments (x86_64), or the low 32 bits (i386 and x32, as libseccomp does). */
    readonly wide: boolean;
  };

/** One ABI's syscall table and argument width. */
export interface AbiTable {
  /** Name → number (without any ABI bias). */
  readonly table: Readonly<Record<string, number>>;
  /** 64-bit argument comparisons. */
  readonly wide: boolean;
}

/** The outcomes of one ABI's syscall numbers; numbers absent take the default action. */
export type Outcomes = Map<number, Outcome>;

/**
 * The outcome of every syscall number a rule names, for each of `tables` (one per ABI; a name a table lacks is
 * skipped there), after the precedence above, and the names no table knows. `valueOf` gives a rule's
 * SECCOMP_RET_* word and `deflt` is the default action's.
 */
export function resolveRules(
  rules: readonly SeccompRule[], tables: readonly AbiTable[], deflt: number,
  valueOf: (rule: SeccompRule) => number,
): { outcomes: Outcomes[]; unknownNames: string[] } {
  const unknownNames = new Set<string>();
  const unconditional = tables.map(() => new Map<number, number>());
  const withArgs = tables.map(() => new Map<number, ArgRule[]>());
  for (const rule of rules) {
    const value = valueOf(rule);
    const given = rule.args ?? [];
    const byWidth = [effective(given, false), effective(given, true)];
    for (const name of rule.names) {
      let known = false;
      for (let t = 0; t < tables.length; t++) {
        const table = tables[t]?.table ?? {};
        const nr = Object.hasOwn(table, name) ? table[name] : undefined;
        if (nr === undefined) continue;
        known = true;
        if (value === deflt) continue;
        const args = byWidth[tables[t]?.wide === false ? 0 : 1] ?? given;
        if (args.length === 0) {
          const uncond = unconditional[t];
          if (uncond !== undefined && !uncond.has(nr)) uncond.set(nr, value);
          continue;
        }
        const byNr = withArgs[t];
        const list = byNr?.get(nr);
        if (list === undefined) byNr?.set(nr, [{ args, value }]);
        else if (list[list.length - 1]?.args !== args) list.push({ args, value }); // a name listed twice in a rule
      }
      if (!known) unknownNames.add(name);
    }
  }
  const outcomes = tables.map((_, t) => {
    const out: Outcomes = new Map();
    for (const [nr, list] of withArgs[t] ?? []) out.set(nr, { kind: 'args', rules: list, wide: tables[t]?.wide ?? true });
    for (const [nr, value] of unconditional[t] ?? []) out.set(nr, { kind: 'ret', value });
    return out;
  });
  return { outcomes, unknownNames: [...unknownNames] };
}
