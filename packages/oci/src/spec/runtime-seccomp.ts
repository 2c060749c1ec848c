/**
 * The runtime-spec's `linux.seccomp` (config-linux.md "Seccomp") as types, with its validation from parsed JSON
 * naming the JSON path, and the names the spec takes for actions, comparisons and architectures (libseccomp's).
 * The same readers serve containers/common's profile format (container/seccomp-profile.ts), a superset.
 * Man pages: seccomp(2), seccomp_rule_add(3).
 */
import { asArray, asInteger, asObject, asString, field, invalid, optStringArray, optUint32, type JsonObject } from './json-reader.js';
import type { JsonValue } from './lossless-json.js';

/** Actions a rule or the default may take (SCMP_ACT_*). */
export const SECCOMP_ACTIONS = Object.freeze([
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
] as const);
/** Argument comparisons (SCMP_CMP_*). */
export const SECCOMP_OPERATORS = Object.freeze([
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
] as const);

/** A seccomp action name. */
export type SeccompActionName = (typeof SECCOMP_ACTIONS)[number];
/** A seccomp comparison name. */
export type SeccompOperatorName = (typeof SECCOMP_OPERATORS)[number];

/** linux.seccomp.syscalls[].args[]: values are numbers, or bigint past 2^53 (the lossless parser's form). */
export interface RuntimeSeccompArg {
  /** Which syscall argument to compare, 0 to 5. */
  readonly index: number;
  /** The value compared with (for SCMP_CMP_MASKED_EQ: the mask); 0 when the JSON omits it. */
  readonly value: number | bigint;
  /** Omitted when 0, as Go's encoder writes it. */
  readonly valueTwo?: number | bigint;
  /** The comparison. */
  readonly op: SeccompOperatorName;
}
/** linux.seccomp.syscalls[] */
export interface RuntimeSeccompSyscall {
  /** The syscalls the rule matches, never empty (validation also accepts the older single `name`). */
  readonly names: readonly string[];
  /** What a matching call gets. */
  readonly action: SeccompActionName;
  /** The errno returned for SCMP_ACT_ERRNO (and SCMP_ACT_TRACE's message value). */
  readonly errnoRet?: number;
  /** Argument comparisons that must all hold for the rule to match; omitted when empty. */
  readonly args?: readonly RuntimeSeccompArg[];
}
/** linux.seccomp */
export interface RuntimeSeccomp {
  /** What a syscall no rule matches gets. */
  readonly defaultAction: SeccompActionName;
  /** The errno of a default SCMP_ACT_ERRNO (or SCMP_ACT_TRACE). */
  readonly defaultErrnoRet?: number;
  /** SCMP_ARCH_* names. */
  readonly architectures?: readonly string[];
  /** SECCOMP_FILTER_FLAG_* names. */
  readonly flags?: readonly string[];
  /** The rules. */
  readonly syscalls?: readonly RuntimeSeccompSyscall[];
}

const UINT64_MAX = (1n << 64n) - 1n;

/** A name of `allowed` at `path` of document `what`. */
export function oneOf<T extends string>(v: JsonValue | undefined, allowed: readonly T[], what: string, path: string): T {
  const s = asString(v, what, path);
  if (!(allowed as readonly string[]).includes(s)) invalid(what, path, `unknown value ${JSON.stringify(s)}`);
  return s as T;
}

/** A uint64 as a number when it is safe, else a bigint. */
function uint64(v: JsonValue | undefined, what: string, path: string): number | bigint {
  const n = asInteger(v, what, path, 0n, UINT64_MAX);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** Validate `syscalls[i].args`. */
export function validateSeccompArgs(v: JsonValue | undefined, what: string, path: string): RuntimeSeccompArg[] | undefined {
  if (v === undefined) return undefined;
  return asArray(v, what, path).map((a, i) => {
    const p = `${path}[${i}]`;
    const o = asObject(a, what, p);
    const index = Number(asInteger(field(o, 'index'), what, `${p}.index`, 0n, 5n));
    const value = uint64(field(o, 'value') ?? 0, what, `${p}.value`);
    const two = uint64(field(o, 'valueTwo') ?? 0, what, `${p}.valueTwo`);
    const op = oneOf(field(o, 'op'), SECCOMP_OPERATORS, what, `${p}.op`);
    return { index, value, ...(two !== 0 ? { valueTwo: two } : {}), op };
  });
}

/** The names of a rule: `names`, or the older single `name` (not both), none empty. */
export function validateSyscallNames(o: JsonObject, what: string, path: string): string[] {
  const names = optStringArray(o, 'names', what, path);
  const one = field(o, 'name');
  if (one !== undefined && names !== undefined && names.length > 0) invalid(what, path, 'give either name or names, not both');
  const all = one !== undefined ? [asString(one, what, `${path}.name`)] : names ?? [];
  if (all.length === 0) invalid(what, `${path}.names`, 'no syscall names');
  const empty = all.findIndex((n) => n === '');
  if (empty >= 0) invalid(what, one !== undefined ? `${path}.name` : `${path}.names[${empty}]`, 'empty syscall name');
  return all;
}

/**
 * Validate a parsed `linux.seccomp` at `path` (`$.linux.seccomp` in a config.json).
 * @throws SpecValidationError OCI_SPEC_INVALID naming the JSON path.
 */
export function validateRuntimeSeccomp(v: JsonValue | undefined, what: string, path: string): RuntimeSeccomp {
  const o = asObject(v, what, path);
  const out: { -readonly [K in keyof RuntimeSeccomp]: RuntimeSeccomp[K] } = {
    defaultAction: oneOf(field(o, 'defaultAction'), SECCOMP_ACTIONS, what, `${path}.defaultAction`),
  };
  const errno = optUint32(o, 'defaultErrnoRet', what, path);
  if (errno !== undefined) out.defaultErrnoRet = errno;
  const arches = optStringArray(o, 'architectures', what, path);
  if (arches !== undefined) out.architectures = arches;
  const flags = optStringArray(o, 'flags', what, path);
  if (flags !== undefined) out.flags = flags;
  const calls = field(o, 'syscalls');
  if (calls !== undefined) {
    out.syscalls = asArray(calls, what, `${path}.syscalls`).map((c, i) => {
      const p = `${path}.syscalls[${i}]`;
      const co = asObject(c, what, p);
      const rule: { -readonly [K in keyof RuntimeSeccompSyscall]: RuntimeSeccompSyscall[K] } = {
        names: validateSyscallNames(co, what, p), action: oneOf(field(co, 'action'), SECCOMP_ACTIONS, what, `${p}.action`),
      };
      const ret = optUint32(co, 'errnoRet', what, p);
      if (ret !== undefined) rule.errnoRet = ret;
      const args = validateSeccompArgs(field(co, 'args'), what, `${p}.args`);
      if (args !== undefined && args.length > 0) rule.args = args;
      return rule;
    });
  }
  return out;
}
