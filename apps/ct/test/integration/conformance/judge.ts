/**
 * Judging one runtime's outcome of a case against the reference: runc's outcome, with the runtime-spec's answer
 * where the case has a SpecExpectation (spec-expectation.ts). Every runtime is judged the same way (ct, crun, and
 * runc itself, which fails only where it does not do what a SpecExpectation says), so the pass counts compare:
 * - both refuse: the judged runtime's error must name the field (`c.refusal`, by default its last segment);
 * - one refuses and the other runs it: a difference at `create.error`;
 * - both run it: the normalised outcomes field by field.
 * A Difference's `ct` side is the judged runtime's (ct's in the failing tests; crun's or runc's in the counts).
 */
import type { ConformanceCase } from './case-types.js';
import { diffValues, type Difference } from './json-diff.js';
import type { RunOutcome } from './lifecycle.js';
import { lastLine, specDiffs } from './spec-expectation.js';

/** One runtime's run of a case: what it did, and that normalised. */
export interface Judged {
  readonly outcome: RunOutcome;
  readonly normalised: Record<string, unknown>;
}

/** The differences of `judged` from the reference for case `c` (empty: it passes the case). */
export function judge(c: ConformanceCase, runc: Judged, judged: Judged): Difference[] {
  const diffs = c.spec === undefined
    ? diffValues(runc.normalised, judged.normalised)
    : specDiffs(c, { runc: runc.outcome, ct: judged.outcome }, { runc: runc.normalised, ct: judged.normalised });
  const refused = { runc: runc.outcome.create.status !== 0, judged: judged.outcome.create.status !== 0 };
  const runcRefusesToo = refused.runc && c.spec?.accept !== true;
  if (refused.judged && (runcRefusesToo || c.spec?.refuse === true)) {
    const want = c.refusal ?? new RegExp(c.field.split('.').pop() ?? c.field, 'i');
    if (!want.test(judged.outcome.create.stderr)) {
      diffs.push({ path: 'create.error', runc: lastLine(runc.outcome.create.stderr) || '(accepts)', ct: `${lastLine(judged.outcome.create.stderr)} (does not name ${String(want)})` });
    }
  } else if (refused.runc !== refused.judged && c.spec === undefined) {
    diffs.push({ path: 'create.error', runc: lastLine(runc.outcome.create.stderr) || '(none)', ct: lastLine(judged.outcome.create.stderr) || '(none)' });
  }
  return diffs;
}
