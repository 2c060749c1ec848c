/**
 * config.json `linux`: namespaces (new, or joined by path; duplicates refused), uid/gid mappings (ranges checked
 * against the 32-bit id space), devices, masked and read-only paths.
 *
 * Man pages: namespaces(7), user_namespaces(7), mknod(2).
 */
import { ConfigError } from '../errors.js';
import { checkContainerPath } from './container-path.js';
import { asInteger, asObject, maxId, optArray, optString, optStrings, reqString, type JsonObject } from './json-fields.js';

/** The namespace types of the runtime-spec. */
export type OciNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

const namespaceTypes: ReadonlySet<string> = new Set(['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time']);

/** A namespace to create (no path) or join (path). */
export interface ConfigNamespace {
  readonly type: OciNamespaceType;
  readonly path: string | undefined;
}

/** One id mapping line. */
export interface ConfigIdMapping {
  readonly containerID: number;
  readonly hostID: number;
  readonly size: number;
}

/** A device node to create in the container's /dev. */
export interface ConfigDevice {
  /** Absolute path in the container. */
  readonly path: string;
  /** c (char), b (block), u (unbuffered char), p (FIFO). */
  readonly type: 'c' | 'b' | 'u' | 'p';
  readonly major: number;
  readonly minor: number;
  /** Permission bits (default 0o666). */
  readonly fileMode: number;
  readonly uid: number;
  readonly gid: number;
}

/** The `linux` object, typed. */
export interface ConfigLinux {
  readonly namespaces: readonly ConfigNamespace[];
  readonly uidMappings: readonly ConfigIdMapping[];
  readonly gidMappings: readonly ConfigIdMapping[];
  readonly devices: readonly ConfigDevice[];
  readonly maskedPaths: readonly string[];
  readonly readonlyPaths: readonly string[];
  readonly rootfsPropagation: string | undefined;
}

function readMappings(o: JsonObject, key: string): ConfigIdMapping[] {
  return optArray(o, key, 'linux').map((v, i) => {
    const path = `linux.${key}[${i}]`;
    const m = asObject(v, path);
    const containerID = asInteger(m['containerID'], `${path}.containerID`, 0n, maxId);
    const hostID = asInteger(m['hostID'], `${path}.hostID`, 0n, maxId);
    const size = asInteger(m['size'], `${path}.size`, 1n, maxId + 1n);
    if (containerID + size > maxId + 1n) throw new ConfigError(`${path}.size`, `containerID ${containerID} + size ${size} passes 2^32 - 1`);
    if (hostID + size > maxId + 1n) throw new ConfigError(`${path}.size`, `hostID ${hostID} + size ${size} passes 2^32 - 1`);
    return { containerID: Number(containerID), hostID: Number(hostID), size: Number(size) };
  });
}

function readNamespaces(o: JsonObject): ConfigNamespace[] {
  const seen = new Set<string>();
  return optArray(o, 'namespaces', 'linux').map((v, i) => {
    const path = `linux.namespaces[${i}]`;
    const n = asObject(v, path);
    const type = reqString(n, 'type', path);
    if (!namespaceTypes.has(type)) throw new ConfigError(`${path}.type`, `unknown namespace type ${JSON.stringify(type)}`);
    if (seen.has(type)) throw new ConfigError(`${path}.type`, `namespace ${type} given twice`);
    seen.add(type);
    const nsPath = optString(n, 'path', path);
    if (nsPath !== undefined && !nsPath.startsWith('/')) throw new ConfigError(`${path}.path`, 'must be an absolute path');
    return { type: type as OciNamespaceType, path: nsPath === '' ? undefined : nsPath };
  });
}

function readDevices(o: JsonObject): ConfigDevice[] {
  return optArray(o, 'devices', 'linux').map((v, i) => {
    const path = `linux.devices[${i}]`;
    const d = asObject(v, path);
    const devPath = checkContainerPath(reqString(d, 'path', path), `${path}.path`);
    const type = reqString(d, 'type', path);
    if (type !== 'c' && type !== 'b' && type !== 'u' && type !== 'p') throw new ConfigError(`${path}.type`, `unknown device type ${JSON.stringify(type)}`);
    const num = (key: string, dflt: bigint, max: bigint): number =>
      Number(d[key] === undefined ? dflt : asInteger(d[key], `${path}.${key}`, 0n, max));
    const needsNumbers = type !== 'p';
    if (needsNumbers && (d['major'] === undefined || d['minor'] === undefined)) {
      throw new ConfigError(path, `device type ${type} needs major and minor`);
    }
    // podman writes the file type bits too (--privileged's host devices: 0o20666 for a character device), which
    // runc accepts (it ORs in the type of `type`): bits of the device's own type are taken, another type's refused
    const mode = num('fileMode', 0o666n, 0o177777n);
    const typeBits = mode & 0o170000;
    if (typeBits !== 0 && typeBits !== ({ c: 0o020000, u: 0o020000, b: 0o060000, p: 0o010000 } as const)[type]) {
      throw new ConfigError(`${path}.fileMode`, `${mode.toString(8)} (octal) has the file type bits of another kind of file than type ${type}`);
    }
    return {
      path: devPath, type,
      major: num('major', 0n, 0xfffn), minor: num('minor', 0n, 0xfffffn),
      fileMode: mode & 0o7777, uid: num('uid', 0n, maxId), gid: num('gid', 0n, maxId),
    };
  });
}

/** Read `linux` (absent means all defaults). */
export function readLinux(o: JsonObject | undefined): ConfigLinux {
  const l: JsonObject = o ?? {};
  const paths = (key: string): string[] =>
    optStrings(l, key, 'linux').map((p, i) => checkContainerPath(p, `linux.${key}[${i}]`));
  return {
    namespaces: readNamespaces(l),
    uidMappings: readMappings(l, 'uidMappings'),
    gidMappings: readMappings(l, 'gidMappings'),
    devices: readDevices(l),
    maskedPaths: paths('maskedPaths'),
    readonlyPaths: paths('readonlyPaths'),
    rootfsPropagation: optString(l, 'rootfsPropagation', 'linux'),
  };
}

/** The fields that need a namespace of the list, checked against it. */
export interface NamespaceUses {
  readonly domainname: string | undefined;
  readonly sysctl: Readonly<Record<string, string>>;
}

/**
 * The checks that tie fields to linux.namespaces, as runc's validator makes them (each refusal names the field):
 * a domainname needs a uts namespace of the container's own (new or joined, runc 1.2); kernel.hostname as a sysctl
 * conflicts with the hostname field; a new user namespace needs uid and gid mappings, and mappings need a user
 * namespace (rather than being ignored). The hostname and the other sysctls are checked in to-container-spec.ts.
 */
export function checkNamespaceUses(linux: ConfigLinux, uses: NamespaceUses): void {
  const entry = (type: OciNamespaceType): ConfigNamespace | undefined => linux.namespaces.find((n) => n.type === type);
  if (uses.domainname !== undefined && uses.domainname !== '' && entry('uts') === undefined) {
    throw new ConfigError('domainname', 'setting a domainname needs a uts namespace of the container (none in linux.namespaces)');
  }
  if ('kernel.hostname' in uses.sysctl && entry('uts') !== undefined) {
    throw new ConfigError('linux.sysctl.kernel.hostname', 'conflicts with the hostname field (set the hostname there)');
  }
  const user = entry('user');
  if (user === undefined && (linux.uidMappings.length > 0 || linux.gidMappings.length > 0)) {
    throw new ConfigError(linux.uidMappings.length > 0 ? 'linux.uidMappings' : 'linux.gidMappings', 'given without a user namespace in linux.namespaces');
  }
  if (user !== undefined && user.path === undefined) {
    if (linux.uidMappings.length === 0) throw new ConfigError('linux.uidMappings', 'a new user namespace needs uid mappings');
    if (linux.gidMappings.length === 0) throw new ConfigError('linux.gidMappings', 'a new user namespace needs gid mappings');
  }
}

/** True when `id` falls inside one of the mappings' container ranges. */
export function isMapped(id: number, mappings: readonly ConfigIdMapping[]): boolean {
  return mappings.some((m) => id >= m.containerID && id < m.containerID + m.size);
}
