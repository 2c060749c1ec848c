/**
 * OCI runtime-spec 1.x `config.json` as TypeScript types (the part ct reads and writes), with validation from
 * parsed JSON naming the JSON path. Fields ct does not model are refused nowhere: they are simply not carried.
 * 64-bit values (rlimits, memory limits) are bigint. See runtime-spec config.md and config-linux.md.
 */
import {
  asArray, asInteger, asObject, asString, field, invalid, optBool, optString, optStringArray, optStringMap,
  optUint32, reqString, type JsonObject,
} from './json-reader.js';
import type { JsonValue } from './lossless-json.js';
import { validateRuntimeSeccomp, type RuntimeSeccomp } from './runtime-seccomp.js';

/** process.user: the ids the container's process runs as (numeric only; names are resolved before this point). */
export interface RuntimeUser {
  /** User id in the container's user namespace (0 to 2^32-1). */
  readonly uid: number;
  /** Primary group id in the container's user namespace (0 to 2^32-1). */
  readonly gid: number;
  /** File mode creation mask for the process (umask(2)); absent: the runtime's own umask is kept (the runtime-spec's rule). */
  readonly umask?: number;
  /** Supplementary group ids set with setgroups(2), each 0 to 2^32-1. */
  readonly additionalGids?: readonly number[];
}
/** process.capabilities: the five capability sets, each a list of names such as `CAP_NET_BIND_SERVICE`. */
export interface RuntimeCapabilities {
  /** The bounding set: the ceiling of what the process and its children can ever gain. */
  readonly bounding?: readonly string[];
  /** The effective set: the capabilities the kernel checks. */
  readonly effective?: readonly string[];
  /** The inheritable set, kept across execve(2) for files with matching inheritable file capabilities. */
  readonly inheritable?: readonly string[];
  /** The permitted set: the superset of effective the process may raise. */
  readonly permitted?: readonly string[];
  /** The ambient set, kept across execve(2) of files without file capabilities. */
  readonly ambient?: readonly string[];
}
/** process.rlimits[]: one resource limit set with setrlimit(2). */
export interface RuntimeRlimit {
  /** The resource, as its `RLIMIT_*` name (for example `RLIMIT_NOFILE`). */
  readonly type: string;
  /** The hard limit (rlim_max), 0 to 2^64-1 (bigint: values past 2^53 stay exact). */
  readonly hard: bigint;
  /** The soft limit (rlim_cur), 0 to 2^64-1. */
  readonly soft: bigint;
}
/** process: what the container runs, as whom and with which privileges. */
export interface RuntimeProcess {
  /** Whether the process gets a pseudo-terminal (the runtime-spec default: false). */
  readonly terminal?: boolean;
  /** The user and groups it runs as. */
  readonly user: RuntimeUser;
  /** argv, the program first (looked up in the container's PATH by the runtime); never empty when present. */
  readonly args?: readonly string[];
  /** The environment, as `NAME=value` strings. */
  readonly env?: readonly string[];
  /** The working directory, an absolute path inside the container (validation refuses a relative one). */
  readonly cwd: string;
  /** The capability sets. */
  readonly capabilities?: RuntimeCapabilities;
  /** Resource limits to set before the process starts. */
  readonly rlimits?: readonly RuntimeRlimit[];
  /** Sets PR_SET_NO_NEW_PRIVS (setuid bits and file capabilities then grant nothing). */
  readonly noNewPrivileges?: boolean;
}
/** mounts[]: one mount made in the container, in the order of the list. */
export interface RuntimeMount {
  /** Where to mount, a path in the container. */
  readonly destination: string;
  /** Filesystem type (`proc`, `tmpfs`, `bind`, ...), as mount(2) takes it. */
  readonly type?: string;
  /** The device, directory (for a bind mount, a host path) or a placeholder such as `proc`. */
  readonly source?: string;
  /** mount(8)-style options (`rbind`, `ro`, `nosuid`, `mode=755`, ...). */
  readonly options?: readonly string[];
}
/** linux.namespaces[]: a namespace the container gets, new or joined. */
export interface RuntimeNamespace {
  /** One of `pid`, `network`, `mount`, `ipc`, `uts`, `user`, `cgroup`, `time` (validation refuses others). */
  readonly type: string;
  /** A namespace file to join (such as `/proc/PID/ns/net`); absent: a new namespace is made. */
  readonly path?: string;
}
/** linux.uidMappings[] / gidMappings[]: one line of a user namespace's uid_map or gid_map. */
export interface RuntimeIdMapping {
  /** First id inside the container. */
  readonly containerID: number;
  /** First id on the host it maps to. */
  readonly hostID: number;
  /** How many consecutive ids the line maps. */
  readonly size: number;
}
/** linux.devices[]: a device node made in the container's /dev. */
export interface RuntimeDevice {
  /** Absolute path of the node in the container (validation refuses a relative one). */
  readonly path: string;
  /** 'c', 'b', 'u' or 'p'. */
  readonly type: string;
  /** Device major number. */
  readonly major?: number;
  /** Device minor number. */
  readonly minor?: number;
  /** Mode bits of the node (0 to 0o177777). */
  readonly fileMode?: number;
  /** Owner uid of the node, in the container. */
  readonly uid?: number;
  /** Owner gid of the node, in the container. */
  readonly gid?: number;
}
/** linux.resources.devices[]: a device cgroup rule. */
export interface RuntimeDeviceRule {
  /** Whether the rule allows (true) or denies (false) access. */
  readonly allow: boolean;
  /** 'a' (all), 'c' or 'b'; absent means all. */
  readonly type?: string;
  /** Major number; -1 or absent means any. */
  readonly major?: number;
  /** Minor number; -1 or absent means any. */
  readonly minor?: number;
  /** Access letters: any of 'r', 'w', 'm' (mknod). */
  readonly access?: string;
}
/** linux.resources (the part ct's image configs write: the device rules). */
export interface RuntimeResources {
  /** Device cgroup rules, applied in order (a later rule wins). */
  readonly devices?: readonly RuntimeDeviceRule[];
}
/** linux (the part ct models) */
export interface RuntimeLinux {
  /** Namespaces to create or join. */
  readonly namespaces?: readonly RuntimeNamespace[];
  /** uid_map lines of the container's user namespace. */
  readonly uidMappings?: readonly RuntimeIdMapping[];
  /** gid_map lines of the container's user namespace. */
  readonly gidMappings?: readonly RuntimeIdMapping[];
  /** Device nodes to make in the container. */
  readonly devices?: readonly RuntimeDevice[];
  /** Cgroup limits (ct models the device rules here). */
  readonly resources?: RuntimeResources;
  /** The seccomp filter of the process. */
  readonly seccomp?: RuntimeSeccomp;
  /** Paths in the container masked over so that they cannot be read. */
  readonly maskedPaths?: readonly string[];
  /** Paths in the container remounted read-only. */
  readonly readonlyPaths?: readonly string[];
}
/** The whole config.json. */
export interface RuntimeSpec {
  /** The runtime-spec version the config follows (for example `1.2.0`). */
  readonly ociVersion: string;
  /** The container's process (optional in the spec; a runtime needs it to start the container). */
  readonly process?: RuntimeProcess;
  /** The root filesystem: `path` (relative to the bundle or absolute) and whether it is mounted read-only. */
  readonly root?: {
    /** The rootfs directory, relative to the bundle directory or absolute. */
    readonly path: string;
    /** Mount the rootfs read-only (default false). */
    readonly readonly?: boolean;
  };
  /** The container's hostname (needs a uts namespace). */
  readonly hostname?: string;
  /** Mounts made in the container after the root, in order. */
  readonly mounts?: readonly RuntimeMount[];
  /** Free-form string metadata (keys in reverse-domain notation by convention). */
  readonly annotations?: Readonly<Record<string, string>>;
  /** The Linux-specific part. */
  readonly linux?: RuntimeLinux;
}

const W = 'runtime config';
const NS_TYPES = new Set(['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time']);

function put<T extends object, K extends string, V>(o: T, k: K, v: V | undefined): T & { [P in K]?: V } {
  if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  return o as T & { [P in K]?: V };
}

function validateUser(v: JsonValue | undefined, p: string): RuntimeUser {
  const o = asObject(v, W, p);
  const u = { uid: optUint32(o, 'uid', W, p) ?? invalid(W, `${p}.uid`, 'required'), gid: optUint32(o, 'gid', W, p) ?? invalid(W, `${p}.gid`, 'required') };
  put(u, 'umask', optUint32(o, 'umask', W, p));
  const g = field(o, 'additionalGids');
  if (g !== undefined) put(u, 'additionalGids', asArray(g, W, `${p}.additionalGids`).map((x, i) => Number(asInteger(x, W, `${p}.additionalGids[${i}]`, 0n, 0xffffffffn))));
  return u;
}

function validateProcess(v: JsonValue | undefined, p: string): RuntimeProcess {
  const o = asObject(v, W, p);
  const cwd = reqString(o, 'cwd', W, p);
  if (!cwd.startsWith('/')) invalid(W, `${p}.cwd`, 'must be an absolute path');
  const out = { user: validateUser(field(o, 'user'), `${p}.user`), cwd };
  put(out, 'terminal', optBool(o, 'terminal', W, p));
  const args = optStringArray(o, 'args', W, p);
  if (args !== undefined && args.length === 0) invalid(W, `${p}.args`, 'must not be empty');
  put(out, 'args', args);
  put(out, 'env', optStringArray(o, 'env', W, p));
  put(out, 'noNewPrivileges', optBool(o, 'noNewPrivileges', W, p));
  const caps = field(o, 'capabilities');
  if (caps !== undefined) {
    const c = asObject(caps, W, `${p}.capabilities`);
    const set: Record<string, string[]> = {};
    for (const k of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient']) {
      const a = optStringArray(c, k, W, `${p}.capabilities`);
      if (a !== undefined) set[k] = a;
    }
    put(out, 'capabilities', set as RuntimeCapabilities);
  }
  const rl = field(o, 'rlimits');
  if (rl !== undefined) {
    put(out, 'rlimits', asArray(rl, W, `${p}.rlimits`).map((r, i): RuntimeRlimit => {
      const rp = `${p}.rlimits[${i}]`;
      const ro = asObject(r, W, rp);
      const max = (1n << 64n) - 1n;
      return { type: reqString(ro, 'type', W, rp), hard: asInteger(field(ro, 'hard'), W, `${rp}.hard`, 0n, max), soft: asInteger(field(ro, 'soft'), W, `${rp}.soft`, 0n, max) };
    }));
  }
  return out;
}

function validateMounts(v: JsonValue, p: string): RuntimeMount[] {
  return asArray(v, W, p).map((m, i) => {
    const mp = `${p}[${i}]`;
    const o = asObject(m, W, mp);
    const out = { destination: reqString(o, 'destination', W, mp) };
    put(out, 'type', optString(o, 'type', W, mp));
    put(out, 'source', optString(o, 'source', W, mp));
    put(out, 'options', optStringArray(o, 'options', W, mp));
    return out;
  });
}

function validateIdMappings(v: JsonValue | undefined, p: string): RuntimeIdMapping[] | undefined {
  if (v === undefined) return undefined;
  return asArray(v, W, p).map((m, i) => {
    const o: JsonObject = asObject(m, W, `${p}[${i}]`);
    const n = (k: string): number => Number(asInteger(field(o, k), W, `${p}[${i}].${k}`, 0n, 0xffffffffn));
    return { containerID: n('containerID'), hostID: n('hostID'), size: n('size') };
  });
}

function validateLinux(v: JsonValue | undefined, p: string): RuntimeLinux {
  const o = asObject(v, W, p);
  const out: RuntimeLinux = {};
  const ns = field(o, 'namespaces');
  if (ns !== undefined) {
    put(out, 'namespaces', asArray(ns, W, `${p}.namespaces`).map((n, i) => {
      const np = `${p}.namespaces[${i}]`;
      const no = asObject(n, W, np);
      const type = reqString(no, 'type', W, np);
      if (!NS_TYPES.has(type)) invalid(W, `${np}.type`, `unknown namespace type ${JSON.stringify(type)}`);
      return put({ type }, 'path', optString(no, 'path', W, np));
    }));
  }
  put(out, 'uidMappings', validateIdMappings(field(o, 'uidMappings'), `${p}.uidMappings`));
  put(out, 'gidMappings', validateIdMappings(field(o, 'gidMappings'), `${p}.gidMappings`));
  const devices = field(o, 'devices');
  if (devices !== undefined) put(out, 'devices', asArray(devices, W, `${p}.devices`).map((d, i) => validateDevice(d, `${p}.devices[${i}]`)));
  const resources = field(o, 'resources');
  if (resources !== undefined) put(out, 'resources', validateResources(resources, `${p}.resources`));
  const seccomp = field(o, 'seccomp');
  if (seccomp !== undefined) put(out, 'seccomp', validateRuntimeSeccomp(seccomp, W, `${p}.seccomp`));
  put(out, 'maskedPaths', optStringArray(o, 'maskedPaths', W, p));
  put(out, 'readonlyPaths', optStringArray(o, 'readonlyPaths', W, p));
  return out;
}

function optInt(o: JsonObject, key: string, p: string, min: bigint, max: bigint): number | undefined {
  const v = field(o, key);
  return v === undefined ? undefined : Number(asInteger(v, W, `${p}.${key}`, min, max));
}

function validateDevice(v: JsonValue, p: string): RuntimeDevice {
  const o = asObject(v, W, p);
  const path = reqString(o, 'path', W, p);
  if (!path.startsWith('/')) invalid(W, `${p}.path`, 'must be an absolute path');
  const type = reqString(o, 'type', W, p);
  if (!['c', 'b', 'u', 'p'].includes(type)) invalid(W, `${p}.type`, `unknown device type ${JSON.stringify(type)}`);
  const out = { path, type };
  for (const k of ['major', 'minor'] as const) put(out, k, optInt(o, k, p, 0n, 0xffffffffn));
  put(out, 'fileMode', optInt(o, 'fileMode', p, 0n, 0o177777n));
  put(out, 'uid', optUint32(o, 'uid', W, p));
  put(out, 'gid', optUint32(o, 'gid', W, p));
  return out;
}

function validateResources(v: JsonValue, p: string): RuntimeResources {
  const o = asObject(v, W, p);
  const out: RuntimeResources = {};
  const rules = field(o, 'devices');
  if (rules !== undefined) {
    put(out, 'devices', asArray(rules, W, `${p}.devices`).map((r, i): RuntimeDeviceRule => {
      const rp = `${p}.devices[${i}]`;
      const ro = asObject(r, W, rp);
      const rule = { allow: optBool(ro, 'allow', W, rp) ?? invalid(W, `${rp}.allow`, 'required') };
      put(rule, 'type', optString(ro, 'type', W, rp));
      // -1 is "any" in Go's runtime-spec structs
      for (const k of ['major', 'minor'] as const) put(rule, k, optInt(ro, k, rp, -1n, 0xffffffffn));
      put(rule, 'access', optString(ro, 'access', W, rp));
      return rule;
    }));
  }
  return out;
}

/**
 * Validate a parsed config.json.
 * @throws SpecValidationError code 'OCI_SPEC_INVALID' with the JSON path of the first bad value.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { parseJson, validateRuntimeSpec } from '@ct/oci/spec';
 * // parseJson keeps 64-bit integers exact (bigint) and refuses duplicate keys
 * const spec = validateRuntimeSpec(parseJson(readFileSync('bundle/config.json'), 'config.json'));
 * console.log(spec.process?.args, spec.process?.rlimits?.[0]?.hard);
 * ```
 */
export function validateRuntimeSpec(v: JsonValue): RuntimeSpec {
  const o = asObject(v, W, '$');
  const out = { ociVersion: reqString(o, 'ociVersion', W, '$') };
  const proc = field(o, 'process');
  if (proc !== undefined) put(out, 'process', validateProcess(proc, '$.process'));
  const root = field(o, 'root');
  if (root !== undefined) {
    const r = asObject(root, W, '$.root');
    put(out, 'root', put({ path: asString(field(r, 'path'), W, '$.root.path') }, 'readonly', optBool(r, 'readonly', W, '$.root')));
  }
  put(out, 'hostname', optString(o, 'hostname', W, '$'));
  const mounts = field(o, 'mounts');
  if (mounts !== undefined) put(out, 'mounts', validateMounts(mounts, '$.mounts'));
  put(out, 'annotations', optStringMap(o, 'annotations', W, '$'));
  const linux = field(o, 'linux');
  if (linux !== undefined) put(out, 'linux', validateLinux(linux, '$.linux'));
  return out;
}
