/**
 * config.json (checked, typed: bundle-config.ts) → @ct/namespaces' `ContainerSpec`.
 *
 * The namespaces mount plan builds /proc, /sys and /dev (devices, devpts, shm, mqueue, the /proc/self/fd links) the
 * way Guix does, so the OCI mounts of those destinations are taken from it rather than mounted twice; their
 * options are not applied one by one yet (TODO(NEEDS.md)). A cgroup mount becomes a tmpfs here; the container's
 * cgroup directories go into it at launch (cgroup-mount.ts). What ContainerSpec has no field for goes into `populate` (populate-steps.ts).
 *
 * Man pages: namespaces(7), user_namespaces(7), mount(2).
 */
import { MOUNT_ATTR, MS, type Step } from '@ct/syscalls';
import { RLIMIT_RESOURCES } from '@ct/namespaces/engine';
import type { CapabilitySets, ContainerSpec, FileSystemMount, Mount, MountFlag, NamespaceKind, NamespaceSpec, Rlimit, RlimitName } from '@ct/namespaces/engine';
import { ConfigError } from '../errors.js';
import type { BundleConfig, ConfigProcess } from './bundle-config.js';
import type { OciNamespaceType } from './config-linux.js';
import type { ConfigMount } from './config-mounts.js';
import { cgroupMountTmpfs, isCgroupMount } from './cgroup-mount.js';
import { populateSteps, procFromConfig } from './populate-steps.js';
import { sysctlNamespace } from './config-confinement.js';
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
  /**
   * The session keyring the container joins: runc's `_ses.<id>` (a new one, made by its first joiner), or false
   * to keep the caller's (`--no-new-keyring`). Absent: false.
   */
  readonly sessionKeyring?: string | false;
}

const kinds: Readonly<Record<OciNamespaceType, NamespaceKind>> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

/** Destinations the namespaces mount plan provides itself. */
const plannedDestinations: ReadonlySet<string> = new Set(['/proc', '/sys', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue']);

const flagBits: readonly (readonly [MountFlag, bigint])[] = [
  ['ro', MS.RDONLY], ['nosuid', MS.NOSUID], ['nodev', MS.NODEV], ['noexec', MS.NOEXEC], ['sync', MS.SYNCHRONOUS],
  ['dirsync', MS.DIRSYNC], ['noatime', MS.NOATIME], ['nodiratime', MS.NODIRATIME], ['relatime', MS.RELATIME],
  ['strictatime', MS.STRICTATIME],
];

function mountFlags(bits: bigint): MountFlag[] {
  return flagBits.filter(([, bit]) => (bits & bit) !== 0n).map(([name]) => name);
}

function convertMount(m: ConfigMount, warn: (message: string) => void): Mount | undefined {
  // the container's cgroup directories are bound into this tmpfs at launch, once made (cgroup-mount.ts)
  if (isCgroupMount(m)) return cgroupMountTmpfs(m);
  if (m.options.bind !== 'none') {
    const readOnly = (m.options.flags & MS.RDONLY) !== 0n || (m.options.recursiveSet & MOUNT_ATTR.RDONLY) !== 0n;
    return { type: 'bind', source: m.source, target: m.destination, readOnly, recursive: m.options.bind === 'rbind' };
  }
  if (m.type === 'tmpfs') {
    const mode = m.options.data.find((d) => d.startsWith('mode='));
    const size = m.options.data.find((d) => d.startsWith('size='));
    return {
      type: 'tmpfs', target: m.destination, flags: mountFlags(m.options.flags),
      ...(mode !== undefined ? { mode: parseInt(mode.slice(5), 8) } : {}),
      ...(size !== undefined ? { size: size.slice(5) } : {}),
    };
  }
  const fs: FileSystemMount = {
    type: 'filesystem', fstype: m.type ?? 'none', source: m.source, target: m.destination, flags: mountFlags(m.options.flags),
    ...(m.options.data.length > 0 ? { data: m.options.data.join(',') } : {}),
  };
  return fs;
}

function environment(process: ConfigProcess): Record<string, string> {
  const env: Record<string, string> = {};
  process.env.forEach((entry, i) => {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new ConfigError(`process.env[${i}]`, `${JSON.stringify(entry)} is not NAME=VALUE`);
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  });
  return env;
}

/** process.rlimits as @ct/namespaces rlimits (`NOFILE` or `RLIMIT_NOFILE`; an unknown name is ECONFIG). */
export function rlimitsOf(process: ConfigProcess): Rlimit[] {
  return process.rlimits.map((r, i) => {
    const type = r.type.startsWith('RLIMIT_') ? r.type : `RLIMIT_${r.type}`;
    if (!(type in RLIMIT_RESOURCES)) throw new ConfigError(`process.rlimits[${i}].type`, `unknown rlimit ${JSON.stringify(r.type)}`);
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
 * oom_score_adj, seccomp, time offsets, personality (a populate step) and the cgroup with its limits.
 */
function confinement(config: BundleConfig, process: ConfigProcess, ctx: ConversionContext): Partial<ContainerSpec> {
  const c = config.confinement;
  for (const note of c.notes) ctx.warn(note);
  const none = { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] };
  return {
    capabilities: c.capabilities === undefined ? none : raisableAmbient(c.capabilities, ctx.warn),
    rlimits: rlimitsOf(process),
    noNewPrivileges: process.noNewPrivileges,
    ...(c.oomScoreAdj === undefined ? {} : { oomScoreAdj: c.oomScoreAdj }),
    ...(c.seccomp === undefined ? {} : { seccomp: c.seccomp }),
    ...(c.timeOffsets === undefined ? {} : { timeOffsets: c.timeOffsets }),
  };
}

function namespaces(config: BundleConfig, ctx: ConversionContext): NamespaceSpec[] {
  const list = config.linux.namespaces.map((n): NamespaceSpec => (n.path === undefined ? kinds[n.type] : { kind: kinds[n.type], path: n.path }));
  const isNew = (kind: NamespaceKind): boolean => list.includes(kind);
  if (!isNew('mnt')) throw new ConfigError('linux.namespaces', 'a new mount namespace is required');
  if (ctx.rootless && ctx.euid !== 0 && !list.some((n) => n === 'user' || (typeof n !== 'string' && n.kind === 'user'))) {
    throw new ConfigError('linux.namespaces', 'rootless containers need a user namespace');
  }
  for (const key of Object.keys(config.confinement.sysctl)) {
    const kind = sysctlNamespace(key);
    if (kind !== undefined && !isNew(kinds[kind])) {
      throw new ConfigError(`linux.sysctl.${key}`, `needs a new ${kind} namespace (not allowed in the host's)`);
    }
  }
  if (config.hostname !== undefined && config.hostname !== '' && !isNew('uts')) {
    throw new ConfigError('hostname', 'setting a hostname needs a new uts namespace');
  }
  return list;
}

function personalityStep(config: BundleConfig): Step[] {
  const persona = config.confinement.personality;
  return persona === undefined ? [] : [{ op: 'personality', persona }];
}

/** Convert a checked config into the ContainerSpec @ct/namespaces runs. */
export function toContainerSpec(config: BundleConfig, ctx: ConversionContext): ContainerSpec {
  const process = config.process;
  if (process === undefined) throw new ConfigError('process', 'missing');
  const ns = namespaces(config, ctx);
  const newUser = ns.includes('user');
  const mknod = !ctx.rootless && !newUser;
  const mounts = config.mounts
    .filter((m) => !plannedDestinations.has(m.destination) || (m.destination === '/proc' && procFromConfig(config)))
    .map((m) => convertMount(m, ctx.warn))
    .filter((m): m is Mount => m !== undefined);
  // without mknod, devices are the host's nodes bound in (as runc does rootless); binds of host paths go before
  // pivot_root, so they are mounts here, not populate steps
  if (!mknod) {
    for (const d of config.linux.devices) mounts.push({ type: 'bind', source: d.path, target: d.path, recursive: false });
  }
  const maps = newUser && config.linux.uidMappings.length > 0
    ? {
      uidMap: config.linux.uidMappings.map((m) => ({ inside: m.containerID, outside: m.hostID, count: m.size })),
      gidMap: config.linux.gidMappings.map((m) => ({ inside: m.containerID, outside: m.hostID, count: m.size })),
    }
    : {};
  return {
    root: { kind: 'rootfs', path: config.rootfs, ...rootOverlay(config.annotations) },
    mounts,
    namespaces: ns,
    command: { argv: process.args, env: environment(process), cwd: process.cwd },
    guestUid: process.uid,
    guestGid: process.gid,
    ...maps,
    // without explicit mappings, an unprivileged caller gets its /etc/subuid ranges through newuidmap (as crun)
    useSubordinateIds: !('uidMap' in maps),
    writableRoot: !config.rootReadonly,
    lockMounts: false,
    loopbackNetwork: true,
    childIsPid1: true,
    ...(config.hostname !== undefined && config.hostname !== '' ? { hostname: config.hostname } : {}),
    populate: [...populateSteps(config, mknod), ...personalityStep(config)],
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
