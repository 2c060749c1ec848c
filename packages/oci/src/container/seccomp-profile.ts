/**
 * Seccomp profiles as podman takes them (containers/common pkg/seccomp: its `seccomp.json` and
 * `--security-opt seccomp=FILE`): the runtime-spec form plus `archMap` (sub-architectures per native one) and
 * per-rule `includes`/`excludes` conditions on architectures, capabilities and the kernel version. A profile is
 * validated (errors name the file and the JSON path) and then reduced for one container as podman's setupSeccomp
 * does: only the native architecture's archMap entry, rules kept when their conditions hold for the container's
 * bounding set. The default profile is the one podman 4.3 ships (data/containers-seccomp.json).
 * Man pages: seccomp(2); containers-common's seccomp.json, podman-run(1) --security-opt.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { asArray, asObject, asString, field, invalid, optStringArray, optUint32, type JsonObject } from '../spec/json-reader.js';
import { parseJson, type JsonValue } from '../spec/lossless-json.js';
import {
  SECCOMP_ACTIONS, oneOf, validateSeccompArgs, validateSyscallNames,
  type RuntimeSeccomp, type RuntimeSeccompArg, type RuntimeSeccompSyscall, type SeccompActionName,
} from '../spec/runtime-seccomp.js';

/** The conditions of a rule (containers/common `Filter`). */
export interface SeccompFilter {
  /** Go architecture names (`amd64`, `x32`, `arm64`...). */
  readonly arches?: readonly string[];
  /** Capability names of the container's bounding set. */
  readonly caps?: readonly string[];
  /** `MAJOR.MINOR`: the host kernel must be at least this (includes only). */
  readonly minKernel?: string;
}

/** A rule of a containers-format profile. */
export interface SeccompProfileRule {
  /** The syscalls it matches (from `names`, or the older single `name`). */
  readonly names: readonly string[];
  /** What a matching call gets. */
  readonly action: SeccompActionName;
  /** The errno of SCMP_ACT_ERRNO. */
  readonly errnoRet?: number;
  /** Argument comparisons that must all hold (empty when the file has none). */
  readonly args: readonly RuntimeSeccompArg[];
  /** Conditions that must all hold for the rule to be kept ({} when none). */
  readonly includes: SeccompFilter;
  /** Conditions of which any drops the rule ({} when none). */
  readonly excludes: SeccompFilter;
}

/** A profile in containers/common's format (which includes the runtime-spec form). */
export interface SeccompProfile {
  /** What a syscall no kept rule matches gets (required: a profile without it is refused). */
  readonly defaultAction: SeccompActionName;
  /** The errno of a default SCMP_ACT_ERRNO. */
  readonly defaultErrnoRet?: number;
  /** SCMP_ARCH_* names, taken as they are (a profile gives either these or `archMap`). */
  readonly architectures?: readonly string[];
  /** Per native architecture, the sub-architectures the filter also covers; only the host's entry is used. */
  readonly archMap?: readonly {
    /** The native architecture, an SCMP_ARCH_* name (`SCMP_ARCH_X86_64`). */
    readonly architecture: string;
    /** Other SCMP_ARCH_* names that run on it (`SCMP_ARCH_X86`, `SCMP_ARCH_X32`). */
    readonly subArchitectures: readonly string[];
  }[];
  /** SECCOMP_FILTER_FLAG_* names. */
  readonly flags?: readonly string[];
  /** The rules, in file order (empty when the file has none). */
  readonly syscalls: readonly SeccompProfileRule[];
}

/** libseccomp's native architecture names by Node's `process.arch` (those containers/common maps). */
const GO_ARCH: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', s390x: 's390x', ia32: 'x86', arm: 'arm', ppc64: 'ppc64le' };
/** archMap keys by native architecture (containers/common nativeToSeccomp). */
const ARCH_MAP_KEY: Readonly<Record<string, string>> = { amd64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64', s390x: 'SCMP_ARCH_S390X' };

function validateFilter(v: JsonValue | undefined, what: string, path: string): SeccompFilter {
  if (v === undefined) return {};
  const o = asObject(v, what, path);
  const out: { -readonly [K in keyof SeccompFilter]: SeccompFilter[K] } = {};
  const arches = optStringArray(o, 'arches', what, path);
  if (arches !== undefined && arches.length > 0) out.arches = arches;
  const caps = optStringArray(o, 'caps', what, path);
  if (caps !== undefined && caps.length > 0) out.caps = caps;
  const minKernel = field(o, 'minKernel');
  if (minKernel !== undefined) {
    const s = asString(minKernel, what, `${path}.minKernel`);
    if (!/^[0-9]+\.[0-9]+$/.test(s)) invalid(what, `${path}.minKernel`, `expected MAJOR.MINOR, found ${JSON.stringify(s)}`);
    out.minKernel = s;
  }
  return out;
}

function validateRule(v: JsonValue, what: string, p: string): SeccompProfileRule {
  const o: JsonObject = asObject(v, what, p);
  const rule: { -readonly [K in keyof SeccompProfileRule]: SeccompProfileRule[K] } = {
    names: validateSyscallNames(o, what, p), action: oneOf(field(o, 'action'), SECCOMP_ACTIONS, what, `${p}.action`),
    args: validateSeccompArgs(field(o, 'args'), what, `${p}.args`) ?? [],
    includes: validateFilter(field(o, 'includes'), what, `${p}.includes`),
    excludes: validateFilter(field(o, 'excludes'), what, `${p}.excludes`),
  };
  const ret = optUint32(o, 'errnoRet', what, p);
  if (ret !== undefined) rule.errnoRet = ret;
  return rule;
}

/**
 * Parse and validate a profile file's contents; `file` names it in errors. A profile without a default action is
 * refused (podman would run such a file unconfined).
 * @throws SpecValidationError OCI_SPEC_INVALID / OCI_JSON_SYNTAX naming `file` and the JSON path.
 */
export function parseSeccompProfile(contents: string | Uint8Array, file: string): SeccompProfile {
  const what = `seccomp profile ${file}`;
  const o = asObject(parseJson(contents, file), what, '$');
  const out: { -readonly [K in keyof SeccompProfile]: SeccompProfile[K] } = {
    defaultAction: oneOf(field(o, 'defaultAction'), SECCOMP_ACTIONS, what, '$.defaultAction'), syscalls: [],
  };
  const errno = optUint32(o, 'defaultErrnoRet', what, '$');
  if (errno !== undefined) out.defaultErrnoRet = errno;
  const arches = optStringArray(o, 'architectures', what, '$');
  const archMap = field(o, 'archMap');
  if (arches !== undefined && arches.length > 0 && archMap !== undefined) invalid(what, '$.archMap', 'give either architectures or archMap, not both');
  if (arches !== undefined) out.architectures = arches;
  if (archMap !== undefined) {
    out.archMap = asArray(archMap, what, '$.archMap').map((a, i) => {
      const ao = asObject(a, what, `$.archMap[${i}]`);
      return { architecture: asString(field(ao, 'architecture'), what, `$.archMap[${i}].architecture`), subArchitectures: optStringArray(ao, 'subArchitectures', what, `$.archMap[${i}]`) ?? [] };
    });
  }
  const flags = optStringArray(o, 'flags', what, '$');
  if (flags !== undefined) out.flags = flags;
  const calls = field(o, 'syscalls');
  if (calls !== undefined) out.syscalls = asArray(calls, what, '$.syscalls').map((c, i) => validateRule(c, what, `$.syscalls[${i}]`));
  return out;
}

let shipped: SeccompProfile | undefined;

/** podman 4.3's default profile (containers/common 0.50.1's seccomp.json, shipped in data/), parsed once. */
export function defaultSeccompProfile(): SeccompProfile {
  const file = new URL('../../data/containers-seccomp.json', import.meta.url);
  shipped ??= parseSeccompProfile(readFileSync(file), file.pathname);
  return shipped;
}

/** The host kernel's MAJOR.MINOR as a comparable number pair. */
function kernelAtLeast(minKernel: string, kernel: string): boolean {
  const [wa = 0, wb = 0] = minKernel.split('.').map(Number);
  const [ka = 0, kb = 0] = kernel.split(/[.-]/).map(Number);
  return ka > wa || (ka === wa && kb >= wb);
}

/** Where the reduction happens: the architecture and kernel to reduce for (default: this host's). */
export interface SeccompTarget {
  /** Go's name of the native architecture (default from process.arch: `amd64` on x86-64). */
  readonly arch?: string;
  /** The kernel release (default os.release()). */
  readonly kernel?: string;
}

/**
 * The runtime-spec `linux.seccomp` of `profile` for a container whose bounding set is `bounding`, as podman's
 * setupSeccomp makes it: a rule is dropped when an `excludes` condition holds or an `includes` one does not
 * (arches against the native architecture, caps against the bounding set, minKernel against the kernel); the
 * archMap entry of the native architecture gives `architectures`. Go's JSON leaves out empty args and errnoRet.
 */
export function seccompForContainer(profile: SeccompProfile, bounding: readonly string[], target: SeccompTarget = {}): RuntimeSeccomp {
  const arch = target.arch ?? GO_ARCH[process.arch] ?? process.arch;
  const kernel = target.kernel ?? release();
  const has = new Set(bounding);
  const keep = (r: SeccompProfileRule): boolean => {
    if (r.excludes.arches?.includes(arch) === true) return false;
    if (r.excludes.caps?.some((c) => has.has(c)) === true) return false;
    if (r.includes.arches !== undefined && !r.includes.arches.includes(arch)) return false;
    if (r.includes.caps !== undefined && !r.includes.caps.every((c) => has.has(c))) return false;
    return r.includes.minKernel === undefined || kernelAtLeast(r.includes.minKernel, kernel);
  };
  const architectures = [...(profile.architectures ?? [])];
  const native = profile.archMap?.find((a) => a.architecture === ARCH_MAP_KEY[arch]);
  if (native !== undefined) architectures.push(native.architecture, ...native.subArchitectures);
  const syscalls = profile.syscalls.filter(keep).map((r): RuntimeSeccompSyscall => ({
    names: r.names, action: r.action,
    ...(r.args.length > 0 ? { args: r.args } : {}),
    ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
  }));
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    ...(architectures.length > 0 ? { architectures } : {}),
    ...(profile.flags !== undefined && profile.flags.length > 0 ? { flags: profile.flags } : {}),
    ...(syscalls.length > 0 ? { syscalls } : {}),
  };
}
