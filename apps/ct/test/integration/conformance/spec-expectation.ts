/**
 * Cases with a SpecExpectation (case-types.ts): where the runc under test predates what the runtime-spec asks,
 * ct is checked against the runtime-spec's answer written in the case, and the rest still against runc.
 */
import type { ConformanceCase } from './case-types.js';
import { diffValues, type Difference } from './json-diff.js';
import type { RunOutcome } from './lifecycle.js';

/** The last non-empty line of a runtime's stderr (its error). */
export function lastLine(text: string): string {
  return text.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? '';
}

/**
 * The keys of a path into a normalised outcome: dotted (`report.namespaces.time`), a key holding dots or slashes
 * in brackets and quotes (`report.cgroupFiles["memory/memory.kmem.tcp.limit_in_bytes"]`).
 */
export function pathKeys(path: string): string[] {
  const keys: string[] = [];
  for (const m of path.matchAll(/\["([^"]*)"\]|([^.[\]]+)/g)) keys.push(m[1] ?? m[2] ?? '');
  return keys;
}

/** The value at a path of a normalised outcome. */
function valueAt(value: unknown, path: string): unknown {
  return pathKeys(path).reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined), value);
}

/**
 * The differences of a case with a SpecExpectation: ct must refuse (`refuse`), or must run the container
 * (`accept`: then only `values` are checked, runc having nothing to compare), and the `values` replace runc's.
 */
export function specDiffs(c: ConformanceCase, outcomes: Record<'runc' | 'ct', RunOutcome>, normalised: Record<'runc' | 'ct', Record<string, unknown>>): Difference[] {
  const spec = c.spec!;
  const why = `the runtime-spec (${spec.because})`;
  const ctRefused = outcomes.ct.create.status !== 0;
  if (spec.refuse === true) return ctRefused ? [] : [{ path: 'create', runc: `accepts; ${why} asks a refusal`, ct: 'accepts' }];
  if (ctRefused) return [{ path: 'create', runc: `${outcomes.runc.create.status !== 0 ? 'refuses' : 'accepts'}; ${why} asks to run it`, ct: lastLine(outcomes.ct.create.stderr) }];
  const expected = Object.entries(spec.values ?? {});
  const out: Difference[] = [];
  for (const [path, want] of expected) {
    const got = valueAt(normalised.ct, path);
    const ok = want instanceof RegExp ? got !== undefined && want.test(typeof got === 'string' ? got : JSON.stringify(got)) : got === want;
    if (!ok) out.push({ path, runc: `${String(want)} (${why})`, ct: JSON.stringify(got) ?? '(absent)' });
  }
  if (spec.accept === true && outcomes.runc.create.status !== 0) {
    const steps = normalised.ct['steps'];
    const normal = ['state:created', 'start:0', 'state:running', 'kill:0', 'state:stopped', 'delete:0'];
    if (JSON.stringify(steps) !== JSON.stringify(normal)) out.push({ path: 'steps', runc: JSON.stringify(normal), ct: JSON.stringify(steps) });
    return out;
  }
  // the rest as any case, with runc's values at the expected paths replaced by the runtime-spec's
  const reference = structuredClone(normalised.runc);
  for (const [path] of expected) setAt(reference, path, valueAt(normalised.ct, path));
  return [...out, ...diffValues(reference, normalised.ct)];
}

/** Set the value at a path, making the objects on the way that runc's outcome lacks. */
function setAt(value: Record<string, unknown>, path: string, v: unknown): void {
  const keys = pathKeys(path);
  const last = keys.pop()!;
  let parent: Record<string, unknown> = value;
  for (const k of keys) {
    const next = parent[k];
    if (typeof next !== 'object' || next === null) parent[k] = {};
    parent = parent[k] as Record<string, unknown>;
  }
  parent[last] = v;
}
