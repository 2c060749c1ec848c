/**
 * `--format` of the container verbs, podman's small Go-template form: `json` (the whole value as JSON), or text
 * with `{{.Field}}`, `{{.Field.Sub}}` and `{{json .Field}}` actions (`{{.}}` and `{{json .}}`: the value itself),
 * `\t` and `\n` as tab and newline. Other Go template actions (range, if, functions) are refused, naming them.
 */
import { UsageError } from '../flags/parse-argv.js';

/** The value at `.A.B` of `value` (undefined where a field is missing). */
function field(value: unknown, path: string): unknown {
  if (path === '.') return value;
  let v = value;
  for (const name of path.slice(1).split('.')) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, name)) return undefined;
    v = (v as Record<string, unknown>)[name];
  }
  return v;
}

/** A value as Go's template prints it: strings plain, arrays as [a b], objects as JSON, missing as <no value>. */
function plain(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(plain).join(' ')}]`;
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** `value` as `format` says (`json`, or a template); the flag named `flag` in errors. */
export function renderFormat(format: string, value: unknown, flag = '--format'): string {
  if (format === 'json') return JSON.stringify(value, null, 2);
  const text = format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return text.replace(/\{\{\s*(.*?)\s*\}\}/g, (_, action: string) => {
    const m = /^(json\s+)?(\.[A-Za-z0-9_.]*)$/.exec(action);
    if (m === null) throw new UsageError(`invalid value ${JSON.stringify(format)} for flag ${flag}: {{${action}}} is not supported (ct takes json, {{.Field}}, {{.A.B}} and {{json .Field}})`);
    const v = field(value, m[2]!);
    return m[1] !== undefined ? JSON.stringify(v ?? null) : plain(v);
  });
}
