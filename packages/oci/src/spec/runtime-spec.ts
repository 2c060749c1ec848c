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

/** process.user */
export interface RuntimeUser {
  readonly uid: number;
  readonly gid: number;
  readonly umask?: number;
  readonly additionalGids?: readonly number[];
}
/** process.capabilities */
export interface RuntimeCapabilities {
  readonly bounding?: readonly string[];
  readonly effective?: readonly string[];
  readonly inheritable?: readonly string[];
  readonly permitted?: readonly string[];
  readonly ambient?: readonly string[];
}
/** process.rlimits[] */
export interface RuntimeRlimit { readonly type: string; readonly hard: bigint; readonly soft: bigint }
/** process */
export interface RuntimeProcess {
  readonly terminal?: boolean;
  readonly user: RuntimeUser;
  readonly args?: readonly string[];
  readonly env?: readonly string[];
  readonly cwd: string;
  readonly capabilities?: RuntimeCapabilities;
  readonly rlimits?: readonly RuntimeRlimit[];
  readonly noNewPrivileges?: boolean;
}
/** mounts[] */
export interface RuntimeMount {
  readonly destination: string;
  readonly type?: string;
  readonly source?: string;
  readonly options?: readonly string[];
}
/** linux.namespaces[] */
export interface RuntimeNamespace { readonly type: string; readonly path?: string }
/** linux.uidMappings[] / gidMappings[] */
export interface RuntimeIdMapping { readonly containerID: number; readonly hostID: number; readonly size: number }
/** linux.devices[]: a device node made in the container's /dev. */
export interface RuntimeDevice {
  readonly path: string;
  /** 'c', 'b', 'u' or 'p'. */
  readonly type: string;
  readonly major?: number;
  readonly minor?: number;
  readonly fileMode?: number;
  readonly uid?: number;
  readonly gid?: number;
}
/** linux.resources.devices[]: a device cgroup rule. */
export interface RuntimeDeviceRule {
  readonly allow: boolean;
  readonly type?: string;
  readonly major?: number;
  readonly minor?: number;
  readonly access?: string;
}
/** linux.resources (the part ct's image configs write: the device rules). */
export interface RuntimeResources {
  readonly devices?: readonly RuntimeDeviceRule[];
}
/** linux (the part ct models) */
export interface RuntimeLinux {
  readonly namespaces?: readonly RuntimeNamespace[];
  readonly uidMappings?: readonly RuntimeIdMapping[];
  readonly gidMappings?: readonly RuntimeIdMapping[];
  readonly devices?: readonly RuntimeDevice[];
  readonly resources?: RuntimeResources;
  readonly seccomp?: RuntimeSeccomp;
  readonly maskedPaths?: readonly string[];
  readonly readonlyPaths?: readonly string[];
}
/** The whole config.json. */
export interface RuntimeSpec {
  readonly ociVersion: string;
  readonly process?: RuntimeProcess;
  readonly root?: { readonly path: string; readonly readonly?: boolean };
  readonly hostname?: string;
  readonly mounts?: readonly RuntimeMount[];
  readonly annotations?: Readonly<Record<string, string>>;
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
