/**
 * How many cases each runtime passes in a suite, two ways:
 * - `exact`: no difference from the reference at all (judge.ts);
 * - `field`: no difference beyond those the runtime has in the base case (`runc spec` unchanged, which runs
 *   first), i.e. the field the case changes is handled as the reference handles it, whatever the runtime does
 *   differently everywhere (its own /dev, mount order...). Unknown when the base case did not run.
 */
import { differenceKey, type Difference } from './json-diff.js';
import type { RuntimeName } from './lifecycle.js';

/** The title of the base case (cases/process.ts). */
export const BASE_TITLE = '(base): runc spec unchanged';

/** One runtime's counts. */
export interface RuntimeCounts {
  exact: number;
  field: number;
}

/** The counts of one suite, fed one case at a time in the order the cases run. */
export class PassCounts {
  readonly byRuntime: Partial<Record<RuntimeName, RuntimeCounts>> = {};
  cases = 0;
  private readonly base: Partial<Record<RuntimeName, ReadonlySet<string>>> = {};

  /** Count one case's judged differences, by runtime. */
  record(title: string, judged: Partial<Record<RuntimeName, readonly Difference[]>>): void {
    this.cases++;
    for (const [name, diffs] of Object.entries(judged) as [RuntimeName, readonly Difference[]][]) {
      if (title === BASE_TITLE) this.base[name] = new Set(diffs.map(differenceKey));
      const counts = (this.byRuntime[name] ??= { exact: 0, field: 0 });
      const base = this.base[name];
      if (diffs.length === 0) counts.exact++;
      if (base !== undefined && diffs.every((d) => base.has(differenceKey(d)))) counts.field++;
    }
  }

  /** `runc 200/215 exact, 215/215 field; ...` (field counts left out when the base case did not run). */
  text(): string {
    return Object.entries(this.byRuntime).map(([name, c]) => {
      const field = this.base[name as RuntimeName] === undefined ? '' : `, ${c.field}/${this.cases} field`;
      return `${name} ${c.exact}/${this.cases} exact${field}`;
    }).join('; ');
  }
}
