/**
 * Field-by-field differences between two JSON values (runc's normalised outcome and ct's), each named by its
 * path, so that a failing case says which field differs and how. Arrays of strings (mounts, devices, env,
 * cgroup lines) are compared as sequences: the difference lists the entries only one side has, at their index
 * (`[3]` runc's, `[ct 4]` ct's), rather than every entry after the first shift.
 */

/** One difference: where, and what each side has there (`(absent)` when a side has nothing). */
export interface Difference {
  readonly path: string;
  readonly runc: string;
  readonly ct: string;
}

const ABSENT = '(absent)';
const show = (v: unknown): string => (v === undefined ? ABSENT : typeof v === 'string' ? v : JSON.stringify(v));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Longest common subsequence table of two string arrays, for a sequence diff. */
function lcs(a: readonly string[], b: readonly string[]): number[][] {
  const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      t[i]![j] = a[i] === b[j] ? t[i + 1]![j + 1]! + 1 : Math.max(t[i + 1]![j]!, t[i]![j + 1]!);
    }
  }
  return t;
}

function diffStringArrays(a: readonly string[], b: readonly string[], path: string): Difference[] {
  const t = lcs(a, b);
  const out: Difference[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (j >= b.length || (i < a.length && t[i + 1]![j]! >= t[i]![j + 1]!)) {
      out.push({ path: `${path}[${i}]`, runc: a[i]!, ct: ABSENT });
      i++;
    } else {
      out.push({ path: `${path}[ct ${j}]`, runc: ABSENT, ct: b[j]! });
      j++;
    }
  }
  return out;
}

/** Every difference between `runc` and `ct`, by path (empty when they are deeply equal). */
export function diffValues(runc: unknown, ct: unknown, path = ''): Difference[] {
  if (Array.isArray(runc) && Array.isArray(ct)) {
    if (runc.every((v) => typeof v === 'string') && ct.every((v) => typeof v === 'string')) {
      return diffStringArrays(runc as string[], ct as string[], path);
    }
    const out: Difference[] = [];
    for (let i = 0; i < Math.max(runc.length, ct.length); i++) out.push(...diffValues(runc[i], ct[i], `${path}[${i}]`));
    return out;
  }
  if (isObject(runc) && isObject(ct)) {
    const keys = [...new Set([...Object.keys(runc), ...Object.keys(ct)])];
    return keys.flatMap((k) => diffValues(runc[k], ct[k], path === '' ? k : `${path}.${k}`));
  }
  if (JSON.stringify(runc) === JSON.stringify(ct)) return [];
  return [{ path: path === '' ? '(value)' : path, runc: show(runc), ct: show(ct) }];
}

/** Differences as text, one per line: `path: runc X; ct Y`. */
export function formatDifferences(diffs: readonly Difference[]): string {
  return diffs.map((d) => `${d.path}: runc ${d.runc}; ct ${d.ct}`).join('\n');
}

/**
 * A difference without its position in a list (`mounts[3]` and `mounts[4]` are the same mount, shifted): what
 * tells a case's own differences from those of the base config, which every case has.
 */
export function differenceKey(d: Difference): string {
  return `${d.path.replace(/\[(ct )?\d+\]/g, '[]')}\u0000${d.runc}\u0000${d.ct}`;
}
