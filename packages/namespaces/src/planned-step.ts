/**
 * A child step together with how we describe it in errors ("mount proc: /proc: EPERM"): the plan is built as a
 * list of these, and the step index a failing child reports maps back to the description.
 *
 * Man pages: none (bookkeeping only).
 */
import type { Step } from './internal/syscalls-port.js';

/** One child step and its description. */
export interface PlannedStep {
  /** The step given to @ct/syscalls. */
  readonly step: Step;
  /** What it does, lower case: 'mount proc', 'bind /src', 'pivot_root', 'exec'. */
  readonly what: string;
  /** The object it acts on as seen inside the container ('/proc'), when there is one. */
  readonly object?: string;
}

/** Shorthand to build a PlannedStep. */
export function planned(step: Step, what: string, object?: string): PlannedStep {
  return object === undefined ? { step, what } : { step, what, object };
}
