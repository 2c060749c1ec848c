/**
 * KNOWN_DIFFERENCES: where ct differs from runc on main today, each entry with the reason and who fixes it.
 *
 * An entry explains differences, not whole cases: it names the cases it applies to and matches differences by
 * path (and, where one path can differ in several ways, by what runc or ct shows there). A case whose every
 * difference is explained is reported pending (`this.skip()` with the reasons), never as passing; a case with a
 * difference no entry explains fails, so a regression inside a case that already differs still shows. An entry
 * that explains nothing in a full run of its suite fails the suite's last test ("stale"): the lead removes
 * entries as fixes land. Nothing here is a normalisation: the differences stay in the report.
 */
import type { Difference } from './json-diff.js';

/** Which suite an entry applies to. */
export type SuitePass = 'root' | 'rootless';

/** One known difference. */
export interface KnownDifference {
  /** A short name, unique, for the report and for grep. */
  readonly name: string;
  /** The cases it applies to: their titles (`<field>: <variant>`) or a pattern over them. */
  readonly cases: RegExp | readonly string[];
  /** The differences it explains: their path, and optionally what runc and ct show there. */
  readonly path: RegExp;
  readonly runc?: RegExp;
  readonly ct?: RegExp;
  /** The suites it applies to (default: both). */
  readonly passes?: readonly SuitePass[];
  /** What differs and why, short. */
  readonly reason: string;
  /** Who fixes it: a helper (launch, cgroups, lifecycle) and the issue. */
  readonly fixBy: string;
}

const ALL = /./;

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
];

/** Does `k` explain difference `d` of case `title` in suite `pass`? */
export function explains(k: KnownDifference, title: string, pass: SuitePass, d: Difference): boolean {
  if (k.passes !== undefined && !k.passes.includes(pass)) return false;
  const caseMatches = k.cases instanceof RegExp ? k.cases.test(title) : k.cases.includes(title);
  return caseMatches && k.path.test(d.path) && (k.runc?.test(d.runc) ?? true) && (k.ct?.test(d.ct) ?? true);
}

/** Split a case's differences into those known (with the entries explaining them) and the rest. */
export function classify(title: string, pass: SuitePass, diffs: readonly Difference[]): { known: Set<KnownDifference>; unexplained: Difference[] } {
  const known = new Set<KnownDifference>();
  const unexplained: Difference[] = [];
  for (const d of diffs) {
    const entries = KNOWN_DIFFERENCES.filter((k) => explains(k, title, pass, d));
    if (entries.length === 0) unexplained.push(d);
    entries.forEach((k) => known.add(k));
  }
  return { known, unexplained };
}

void ALL;
