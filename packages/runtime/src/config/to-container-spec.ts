/**
 * config.json (checked, typed: bundle-config.ts) → @ct/namespaces' complete `ContainerSpec`: nothing the
 * runtime-spec says is dropped. The mounts go in the config's order with their own options (mounts-to-spec.ts), no
 * Guix /proc, /sys or /dev (`defaultFileSystems: false`): ct adds only runc's default devices and /dev links, where
 * config.json names none. Namespaces new or joined by path, hostname and domainname, the process (args, env, cwd,
 * user, umask, rlimits, capabilities, no_new_privs), devices, sysctl, masked and read-only paths, rootfs
 * propagation, personality, seccomp, oom_score_adj and time offsets all become spec fields. What ct does not apply
 * is refused naming the field, or noted (ctx.warn).
 *
 * Man pages: namespaces(7), user_namespaces(7), mount(2).
 */
import { readFileSync, statSync } from 'node:fs';
import { RLIMIT_RESOURCES } from '@ct/namespaces/engine';
import type {
  CapabilitySets, ContainerSpec, IdMapEntry, NamespaceKind, NamespaceSpec, Propagation, Rlimit, RlimitHost, RlimitName,
} from '@ct/namespaces/engine';
import { ConfigError } from '../errors.js';
import type { BundleConfig, ConfigProcess } from './bundle-config.js';
import type { ConfigIdMapping, OciNamespaceType } from './config-linux.js';
import { sysctlNamespace } from './config-confinement.js';
import { toSpecMount } from './mounts-to-spec.js';
import { withHome } from './root-files.js';
import { rootOverlay } from '../image-overlay-annotation.js';

/** What the conversion needs beyond the config. */
export interface ConversionContext {
  /** Rootless (euid != 0, or 0 in a foreign user namespace). */
  readonly rootless: boolean;
  /** Our effective uid. */
  readonly euid: number;
  /** Extra fds passed at 3.. (--preserve-fds + LISTEN_FDS). */
  readonly extraFds: number;
  /** Relay the default signals to the container (run in the foreground); create relays none. */
  readonly relaySignals: boolean;
  /** Where notes on what is not applied go (debug level: engines parse our log, so no noise on success). */
  readonly warn: (message: string) => void;
  /** The caller's hard limits (process.rlimits above them are refused); default: not checked. */
  readonly rlimitHost?: RlimitHost;
  /**
   * The session keyring the container joins: runc's `_ses.<id>` (a new one, made by its first joiner), or false
   * to keep the caller's (`--no-new-keyring`). Absent: false.
   */
  readonly sessionKeyring?: string | false;
}

const kinds: Readonly<Record<OciNamespaceType, NamespaceKind>> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

/** process.env as a name → value record (an entry without `=` is ECONFIG naming it). */
export function environmentOf(process: ConfigProcess): Record<string, string> {
  const env: Record<string, string> = {};
  process.env.forEach((entry, i) => {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new ConfigError(`process.env[${i}]`, `${JSON.stringify(entry)} is not NAME=VALUE`);
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  });
  return env;
}

/**
 * process.rlimits as @ct/namespaces rlimits (`NOFILE` or `RLIMIT_NOFILE`; an unknown name is ECONFIG); with `host`,
 * a hard limit above ours that we may not raise is ECONFIG too (as runc fails).
 */
export function rlimitsOf(process: ConfigProcess, host?: RlimitHost): Rlimit[] {
  return process.rlimits.map((r, i) => {
    const type = r.type.startsWith('RLIMIT_') ? r.type : `RLIMIT_${r.type}`;
    if (!(type in RLIMIT_RESOURCES)) throw new ConfigError(`process.rlimits[${i}].type`, `unknown rlimit ${JSON.stringify(r.type)}`);
    // runc's prlimit fails there (EPERM): refused rather than lowered
    const own = host?.hardLimit(type as RlimitName);
    if (host !== undefined && !host.canRaise && own !== undefined && r.hard > own) {
      throw new ConfigError(`process.rlimits[${i}].hard`, `${r.hard} is above ct's own hard limit ${own} (raising it needs CAP_SYS_RESOURCE)`);
    }
    return { type: type as RlimitName, soft: r.soft, hard: r.hard };
  });
}

/**
 * The ambient set without what the kernel refuses to raise (not both permitted and inheritable), each dropped with a
 * warning, as runc does (its default spec lists ambient capabilities without inheritable ones).
 */
export function raisableAmbient(caps: CapabilitySets, warn: (message: string) => void): CapabilitySets {
  const ambient = caps.ambient.filter((name) => {
    const ok = caps.permitted.includes(name) && caps.inheritable.includes(name);
    if (!ok) warn(`process.capabilities.ambient: ${name} not raised (not both permitted and inheritable)`);
    return ok;
  });
  return { ...caps, ambient };
}

/**
 * The confinement fields: capabilities (all five sets; an absent field keeps none, as runc), rlimits, no_new_privs,
 * oom_score_adj, seccomp and time offsets (the cgroup comes at launch).
 */
function confinement(config: BundleConfig, process: ConfigProcess, ctx: ConversionContext): Partial<ContainerSpec> {
  const c = config.confinement;
  for (const note of c.notes) ctx.warn(note);
  const none = { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] };
  return {
    capabilities: c.capabilities === undefined ? none : raisableAmbient(c.capabilities, ctx.warn),
    rlimits: rlimitsOf(process, ctx.rlimitHost),
    noNewPrivileges: process.noNewPrivileges,
    ...(c.oomScoreAdj === undefined ? {} : { oomScoreAdj: c.oomScoreAdj }),
    ...(c.seccomp === undefined ? {} : { seccomp: c.seccomp }),
    ...(c.timeOffsets === undefined ? {} : { timeOffsets: c.timeOffsets }),
  };
}

const PROPAGATIONS: ReadonlySet<string> = new Set<Propagation>([
  'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable',
]);

/** True when the namespace file at `path` is the caller's own namespace of that kind (the host's). */
function isOwnNamespace(path: string, kind: NamespaceKind): boolean {
  try {
    const a = statSync(path);
    const b = statSync(`/proc/self/ns/${kind}`);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

/**
 * linux.namespaces: each new, or joined by path. A namespace absent from the list is the caller's (the host's).
 * The checks runc makes: a hostname or domainname needs a uts namespace of the container's own, a namespaced sysctl
 * one of its kind (new, or joined but not the host's own).
 */
function namespaces(config: BundleConfig, ctx: ConversionContext): NamespaceSpec[] {
  const list = config.linux.namespaces.map((n): NamespaceSpec => (n.path === undefined ? kinds[n.type] : { kind: kinds[n.type], path: n.path }));
  const entry = (kind: NamespaceKind): NamespaceSpec | undefined => list.find((n) => (typeof n === 'string' ? n : n.kind) === kind);
  if (entry('mnt') === undefined) {
    // runc's way without a mount namespace: mounts in the caller's, a chroot; what would change the caller's refused
    if (config.rootReadonly) throw new ConfigError('root.readonly', 'a read-only root needs a mount namespace (it would make the host\'s mount read-only)');
    for (const field of ['maskedPaths', 'readonlyPaths'] as const) {
      if (config.linux[field].length > 0) throw new ConfigError(`linux.${field}`, 'needs a mount namespace (runc: unable to restrict sys entries without a private MNT namespace)');
    }
    if (config.linux.rootfsPropagation !== undefined && config.linux.rootfsPropagation !== '') {
      throw new ConfigError('linux.rootfsPropagation', 'needs a mount namespace');
    }
  }
  if (ctx.rootless && ctx.euid !== 0 && entry('user') === undefined) {
    throw new ConfigError('linux.namespaces', 'rootless containers need a user namespace');
  }
  for (const key of Object.keys(config.confinement.sysctl)) {
    const kind = sysctlNamespace(key);
    const own = kind === undefined ? undefined : entry(kinds[kind]);
    // runc's validator: an ipc or uts namespace joined by path counts whatever it is; a joined network namespace
    // must not be the caller's own (the host's, "current" in runc's words)
    if (kind !== undefined && (own === undefined || (kind === 'network' && typeof own !== 'string' && isOwnNamespace(own.path, 'net')))) {
      throw new ConfigError(`linux.sysctl.${key}`, `needs a ${kind} namespace of the container's own (not allowed in the host's)`);
    }
  }
  for (const field of ['hostname', 'domainname'] as const) {
    const value = config[field];
    if (value !== undefined && value !== '' && entry('uts') === undefined) {
      throw new ConfigError(field, `setting a ${field} needs a uts namespace (new or joined)`);
    }
  }
  return list;
}

const toEntries = (list: readonly ConfigIdMapping[]): IdMapEntry[] =>
  list.map((m) => ({ inside: m.containerID, outside: m.hostID, count: m.size }));

/**
 * The id maps: config.json's for a new user namespace (none: ct plans them); none for a joined one, whose maps are
 * its own. When the joined namespace is a process's (/proc/PID/ns/user) and config.json gives maps too (containerd
 * does), they must be the ones it has, as runc checks.
 */
function idMaps(config: BundleConfig, ns: readonly NamespaceSpec[]): Pick<ContainerSpec, 'uidMap' | 'gidMap'> {
  const user = ns.find((n) => (typeof n === 'string' ? n : n.kind) === 'user');
  const { uidMappings, gidMappings } = config.linux;
  if (user === undefined || uidMappings.length === 0) return {};
  if (typeof user === 'string') return { uidMap: toEntries(uidMappings), gidMap: toEntries(gidMappings) };
  const pid = /^\/proc\/(\d+)\/ns\/user$/.exec(user.path)?.[1];
  if (pid !== undefined) {
    const read = (file: string): string => {
      try {
        return readFileSync(`/proc/${pid}/${file}`, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).join(' ')).join('\n');
      } catch {
        return '';
      }
    };
    const text = (list: readonly ConfigIdMapping[]): string => list.map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join('\n');
    if (read('uid_map') !== text(uidMappings)) throw new ConfigError('linux.uidMappings', `not the maps of the joined user namespace ${user.path}`);
    if (read('gid_map') !== text(gidMappings)) throw new ConfigError('linux.gidMappings', `not the maps of the joined user namespace ${user.path}`);
  }
  return {};
}

/** Where the root's files are before it is mounted: an overlay's layers, top first, or the rootfs dir. */
function rootDirs(config: BundleConfig): string[] {
  const overlay = rootOverlay(config.annotations).overlay;
  return overlay === undefined ? [config.rootfs] : [overlay.upperDir, ...overlay.lowerDirs];
}

/**
 * Where HOME is looked up: runc does it in the container after the masks, so an /etc/passwd that a masked path hides
 * (it, or a directory above it) gives none (HOME=/).
 */
function passwdDirs(config: BundleConfig): string[] {
  const hidden = config.linux.maskedPaths.some((p) => p === '/etc/passwd' || '/etc/passwd'.startsWith(`${p.replace(/\/+$/, '')}/`));
  return hidden ? [] : rootDirs(config);
}

function rootPropagation(config: BundleConfig): Propagation | undefined {
  const name = config.linux.rootfsPropagation;
  if (name === undefined || name === '') return undefined;
  if (!PROPAGATIONS.has(name)) throw new ConfigError('linux.rootfsPropagation', `unknown propagation ${JSON.stringify(name)}`);
  // runc refuses it: an unbindable root cannot be moved by pivot_root (the spec's "the rootfs mount's propagation")
  if (name === 'unbindable' || name === 'runbindable') throw new ConfigError('linux.rootfsPropagation', `${name} is not supported (pivot_root cannot move an unbindable root)`);
  return name as Propagation;
}

/** Convert a checked config into the ContainerSpec @ct/namespaces runs. */
export function toContainerSpec(config: BundleConfig, ctx: ConversionContext): ContainerSpec {
  const process = config.process;
  if (process === undefined) throw new ConfigError('process', 'missing');
  const ns = namespaces(config, ctx);
  config.mounts.forEach((m, i) => {
    if (m.options.tmpcopyup) ctx.warn(`mounts[${i}].options: tmpcopyup not applied (the tmpfs at ${m.destination} starts empty)`);
  });
  const c = config.confinement;
  const propagation = rootPropagation(config);
  return {
    root: { kind: 'rootfs', path: config.rootfs, ...rootOverlay(config.annotations) },
    mounts: config.mounts.map(toSpecMount),
    defaultFileSystems: false,
    defaultDevices: true,
    devices: config.linux.devices.map((d) => ({ path: d.path, type: d.type, major: d.major, minor: d.minor, fileMode: d.fileMode, uid: d.uid, gid: d.gid })),
    namespaces: ns,
    command: { argv: process.args, env: withHome(environmentOf(process), passwdDirs(config), process.uid), cwd: process.cwd },
    guestUid: process.uid,
    guestGid: process.gid,
    ...idMaps(config, ns),
    // without explicit mappings, an unprivileged caller gets its /etc/subuid ranges through newuidmap (as crun)
    useSubordinateIds: config.linux.uidMappings.length === 0,
    writableRoot: !config.rootReadonly,
    lockMounts: false,
    loopbackNetwork: true,
    childIsPid1: true,
    ...(config.hostname !== undefined && config.hostname !== '' ? { hostname: config.hostname } : {}),
    ...(config.domainname !== undefined && config.domainname !== '' ? { domainname: config.domainname } : {}),
    ...(process.umask === undefined ? {} : { umask: process.umask }),
    additionalGids: process.additionalGids,
    maskedPaths: config.linux.maskedPaths,
    readonlyPaths: config.linux.readonlyPaths,
    sysctl: c.sysctl,
    // runc's default when config.json gives none: `/` a slave of the host's mounts
    ...(ns.some((n) => (typeof n === 'string' ? n : n.kind) === 'mnt') ? { rootPropagation: propagation ?? 'rslave' } : {}),
    ...(c.personality === undefined ? {} : { personality: c.personality }),
    ...(ctx.relaySignals ? {} : { relayedSignals: [] }),
    killOnParentDeath: false,
    consoleTty: null,
    stdio: [0, 1, 2],
    extraFds: Array.from({ length: ctx.extraFds }, (_, i) => ({ from: 3 + i, to: 3 + i })),
    writeEtcHosts: false,
    sessionKeyring: ctx.sessionKeyring ?? false,
    ...confinement(config, process, ctx),
  };
}
