/**
 * `ContainerSpec`: everything a container is made of, typed, with one `withDefaults()` that fills Guix's
 * defaults (all namespaces, a tmpfs root, read-only root, locked mounts, lo up, the command as PID 1).
 *
 * Man pages: namespaces(7), mount(2), user_namespaces(7).
 */
import type { Step } from './internal/syscalls-port.js';
import { NAMESPACES, type NamespaceKind } from './namespaces.js';
import { ContainerSpecError } from './errors.js';
import {
  checkAbsolute, checkConsole, checkExtraFds, checkId, checkJoinable, checkMounts, PROPAGATIONS, resolveNamespaces,
} from './spec-checks.js';
import { type DeviceNode, validateDevices } from './device-plan.js';
import type { Mount, Propagation } from './mount-spec.js';
import { type ConfinementSpec, type ResolvedConfinement, resolveConfinement } from './confinement-spec.js';

export type { DeviceNode } from './device-plan.js';
export type {
  BindMount, CgroupMount, FileSystemMount, Mount, MountAttribute, MountFlag, Propagation, RecursiveAttributes, TmpfsMount,
} from './mount-spec.js';

/** An overlayfs root (Documentation/filesystems/overlayfs.rst): the layer dirs and the container's own upper and work dirs. */
export interface OverlayRootSpec {
  /** Lower dirs, TOP first (overlayfs' lowerdir order). */
  readonly lowerDirs: readonly string[];
  /** The writable layer: the container's changes land here. */
  readonly upperDir: string;
  /** overlayfs' work directory, empty, on the same file system as `upperDir`. */
  readonly workDir: string;
  /** Read `user.overlay.*` xattrs (the only overlay a user namespace may mount). */
  readonly userxattr: boolean;
}

/** The container's root: an empty tmpfs (Guix), a root file system directory (OCI), or the host's / (no mounts). */
export type RootSpec =
  | {
    /** An empty tmpfs, as Guix's containers have. */
    readonly kind: 'tmpfs';
    /** Mount point on the host; default a fresh temp dir, removed after exit. */
    readonly dir?: string;
  }
  | {
    /** A root file system directory (an OCI bundle's rootfs). */
    readonly kind: 'rootfs';
    /** The directory to use as / (bound onto itself for pivot_root). */
    readonly path: string;
    /** Mount an overlay on `path` instead of binding it, inside the container's mount namespace (an image store's layers). */
    readonly overlay?: OverlayRootSpec;
  }
  | {
    /** The host's / as it is (only without a new mnt namespace: no mounts are made). */
    readonly kind: 'host';
  };

/** A namespace: new (`'net'`), or joined through a namespace file (`{kind: 'net', path: '/proc/42/ns/net'}`). */
export type NamespaceSpec = NamespaceKind | {
  /** The namespace's kind. */
  readonly kind: NamespaceKind;
  /** The namespace file to join (e.g. /proc/42/ns/net). */
  readonly path: string;
};

/** One line of a uid_map/gid_map: `count` ids from `outside` (parent ns) appear as `inside`. */
export interface IdMapEntry {
  /** First id inside the namespace. */
  readonly inside: number;
  /** First id in the parent namespace. */
  readonly outside: number;
  /** How many consecutive ids. */
  readonly count: number;
}

/** The command the container runs (argv[0] searched in PATH of `env` when it has no slash). */
export interface CommandSpec {
  /** Program and arguments; argv[0] is the program. */
  readonly argv: readonly string[];
  /** The whole environment (nothing is inherited; see `purifyEnvironment`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory inside the container (default '/'). */
  readonly cwd?: string;
}

/** Which host fds become the container's stdin, stdout and stderr (default: the caller's 0, 1, 2). */
export type StdioSpec = readonly [number, number, number];

/**
 * A pty for the container's process (runc's --console-socket): made from the container's /dev/ptmx after the root
 * switch, the process's controlling terminal and fds 0-2, bound on /dev/console, its master sent to the unix
 * socket at `socketPath` (SCM_RIGHTS, the pty's name as payload).
 */
export interface ConsoleSpec {
  /** The unix socket (connected by the caller before the clone). */
  readonly socketPath: string;
  /** Initial size (both or neither). */
  readonly rows?: number;
  /** Initial width in columns (with `rows`). */
  readonly cols?: number;
}

/** A host fd (`from`) that the container gets as fd `to`. */
export interface FdPassing {
  /** The caller's fd. */
  readonly from: number;
  /** Its number in the container. */
  readonly to: number;
}

/**
 * A complete container description. Only `command` is required; `withDefaults` fills the rest. The confinement
 * fields (capabilities, seccomp, rlimits, cgroup, ...) are described in `ConfinementSpec`.
 */
export interface ContainerSpec extends ConfinementSpec {
  /** The root file system (default an empty tmpfs; the host's when there is no new mnt namespace). */
  readonly root?: RootSpec;
  /** User mounts in order, after /proc, /sys and /dev. */
  readonly mounts?: readonly Mount[];
  /** New or joined namespaces (default `NAMESPACES`: cgroup mnt pid ipc uts user net). */
  readonly namespaces?: readonly NamespaceSpec[];
  /** The command. */
  readonly command: CommandSpec;
  /** uid inside the container (default 0). */
  readonly guestUid?: number;
  /** gid inside the container (default 0). */
  readonly guestGid?: number;
  /**
   * How many ids the container gets: for root the length of the range at `hostIdBase` (default 65536); for an
   * unprivileged caller 1, unless /etc/subuid and /etc/subgid give ranges (then 1 + the ranges, via newuidmap).
   */
  readonly hostUids?: number;
  /** Root only: the first host id of the range (default 0, as Guix: container root is host root). */
  readonly hostIdBase?: number;
  /** Use /etc/subuid and /etc/subgid ranges through newuidmap/newgidmap when unprivileged (default true). */
  readonly useSubordinateIds?: boolean;
  /** Explicit uid map (replaces the planned one; unprivileged multi-line maps go through newuidmap). */
  readonly uidMap?: readonly IdMapEntry[];
  /** Explicit gid map (with `uidMap`). */
  readonly gidMap?: readonly IdMapEntry[];
  /** Leave / writable (default false: / is remounted read-only after the populate hook). */
  readonly writableRoot?: boolean;
  /** Lock the mounts with a second user+mnt namespace (default true; needs new user and mnt namespaces). */
  readonly lockMounts?: boolean;
  /** With a new net namespace, bring lo up and write /etc/hosts (default true). */
  readonly loopbackNetwork?: boolean;
  /** The command is PID 1 (Guix's default). False runs our init, which forks the command. */
  readonly childIsPid1?: boolean;
  /** Run our tiny init as PID 1 (the same as `childIsPid1: false`). */
  readonly init?: boolean;
  /** Hostname (with a new uts namespace). Guix sets none. */
  readonly hostname?: string;
  /** Steps run after pivot_root, before / goes read-only: Guix's populate hook (paths are inside the root). */
  readonly populate?: readonly Step[];
  /** Signals the parent relays to the container (default INT TERM HUP QUIT USR1 USR2 WINCH). */
  readonly relayedSignals?: readonly NodeJS.Signals[];
  /**
   * Kill the container when the caller dies (PR_SET_PDEATHSIG SIGKILL). 'until-exec': only until the command is
   * exec'd (the signal is cleared after the last pause), so a runtime that dies while creating leaves nothing
   * running, and a created container outlives it. Default false.
   */
  readonly killOnParentDeath?: boolean | 'until-exec';
  /** A pty for the process, sent to a console socket (replaces `consoleTty`). */
  readonly console?: ConsoleSpec;
  /** A tty bound to /dev/console; default the caller's stdin tty when it is one, `null` for none. */
  readonly consoleTty?: string | null;
  /**
   * Host fds for the container's 0, 1, 2; runContainer also takes 'pipe' for one (a Node stream on the handle:
   * `stdin`, `stdout`, `stderr`).
   */
  readonly stdio?: readonly [number | 'pipe', number | 'pipe', number | 'pipe'];
  /** More host fds the command receives at the given numbers (> 2), e.g. a result pipe or preserved fds. */
  readonly extraFds?: readonly FdPassing[];
  /** Write /etc/hosts (default: when lo is brought up and the root is a tmpfs, never into a rootfs dir). */
  readonly writeEtcHosts?: boolean;
  /**
   * Its text (default ct's: localhost on 127.0.0.1 and ::1; the Guix-shaped wrappers write `guix shell -C`'s
   * single `127.0.0.1 localhost` line).
   */
  readonly etcHosts?: string;
  /**
   * Build Guix's /proc, /sys and /dev (default true). False: the spec's `mounts` are the only file systems, in
   * order (an OCI config lists its own proc, sysfs, /dev tmpfs, devpts, ...), and the devices go into that /dev.
   */
  readonly defaultFileSystems?: boolean;
  /** With `defaultFileSystems: false`: add runc's default devices and /dev links (default true). */
  readonly defaultDevices?: boolean;
  /**
   * Guix's file systems without a new net namespace (sysfs cannot be mounted there): bind the host's /sys
   * read-only (default true), or leave /sys out as Guix does (false; the Guix-shaped wrappers' default).
   */
  readonly bindHostSys?: boolean;
  /** More device nodes (mknod as real root, else bound from the host's same path). */
  readonly devices?: readonly DeviceNode[];
  /**
   * Propagation of `/` in the container's mount namespace, set before the root is bound, as runc sets it (OCI
   * linux.rootfsPropagation: 'rslave' lets host mounts under a bind source appear inside); default 'rprivate'.
   */
  readonly rootPropagation?: Propagation;
}

/** A namespace after defaults: new, or joined by path. */
export interface ResolvedNamespace {
  /** Which namespace. */
  readonly kind: NamespaceKind;
  /** The namespace file to join; undefined for a new namespace. */
  readonly path: string | undefined;
}

/** A `ContainerSpec` with every default filled in (each field means what the ContainerSpec field says). */
export interface ResolvedContainerSpec {
  /** {@link ContainerSpec.root}; default a tmpfs, or the host's / without a mnt namespace. */
  readonly root: RootSpec;
  /** {@link ContainerSpec.mounts}, checked; default none. */
  readonly mounts: readonly Mount[];
  /** {@link ContainerSpec.namespaces}, each new or joined by path; default `NAMESPACES`, all new. */
  readonly namespaces: readonly ResolvedNamespace[];
  /** {@link ContainerSpec.command} with `env` (default {}) and `cwd` (default '/') filled in. */
  readonly command: Required<CommandSpec>;
  /** {@link ContainerSpec.guestUid}; default 0. */
  readonly guestUid: number;
  /** {@link ContainerSpec.guestGid}; default 0. */
  readonly guestGid: number;
  /** {@link ContainerSpec.hostUids}; undefined: chosen when the maps are planned. */
  readonly hostUids: number | undefined;
  /** {@link ContainerSpec.hostIdBase}; default 0. */
  readonly hostIdBase: number;
  /** {@link ContainerSpec.useSubordinateIds}; default true. */
  readonly useSubordinateIds: boolean;
  /** {@link ContainerSpec.uidMap}; undefined: planned. */
  readonly uidMap: readonly IdMapEntry[] | undefined;
  /** {@link ContainerSpec.gidMap}; undefined: planned. */
  readonly gidMap: readonly IdMapEntry[] | undefined;
  /** {@link ContainerSpec.writableRoot}; default false. */
  readonly writableRoot: boolean;
  /** {@link ContainerSpec.lockMounts} (default true), and false unless the user and mnt namespaces are new. */
  readonly lockMounts: boolean;
  /** {@link ContainerSpec.loopbackNetwork}; default true. */
  readonly loopbackNetwork: boolean;
  /** {@link ContainerSpec.init}, or not `childIsPid1`; default false (the command is PID 1). */
  readonly init: boolean;
  /** {@link ContainerSpec.hostname}; undefined: none set. */
  readonly hostname: string | undefined;
  /** {@link ContainerSpec.populate}; default none. */
  readonly populate: readonly Step[];
  /** {@link ContainerSpec.relayedSignals}; default `DEFAULT_RELAYED_SIGNALS`. */
  readonly relayedSignals: readonly NodeJS.Signals[];
  /** {@link ContainerSpec.killOnParentDeath}; default false. */
  readonly killOnParentDeath: boolean | 'until-exec';
  /** The pty for the process, sent to a console socket. */
  readonly console: ConsoleSpec | undefined;
  /** {@link ContainerSpec.consoleTty}; null when `console` is given. */
  readonly consoleTty: string | null | undefined;
  /** {@link ContainerSpec.stdio} as fds; default [0, 1, 2] ('pipe' is refused here: runContainer replaces it first). */
  readonly stdio: StdioSpec;
  /** {@link ContainerSpec.extraFds}, checked; default none. */
  readonly extraFds: readonly FdPassing[];
  /** The text of /etc/hosts, or undefined for none. */
  readonly writeEtcHosts: string | undefined;
  /** The confinement fields, checked. */
  readonly confinement: ResolvedConfinement;
  /** {@link ContainerSpec.defaultFileSystems}; default true. */
  readonly defaultFileSystems: boolean;
  /** {@link ContainerSpec.defaultDevices}; default true. */
  readonly defaultDevices: boolean;
  /** Bind the host's /sys read-only when there is no new net namespace. */
  readonly bindHostSys: boolean;
  /** {@link ContainerSpec.devices}, checked; default none. */
  readonly devices: readonly DeviceNode[];
  /** {@link ContainerSpec.rootPropagation}; undefined: 'rprivate'. */
  readonly rootPropagation: Propagation | undefined;
}

/** The signals relayed by default (Guix relays INT and TERM; we add the rest a shell user sends). */
export const DEFAULT_RELAYED_SIGNALS: readonly NodeJS.Signals[] = Object.freeze([
  'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH',
] as const);

/** ct's /etc/hosts: localhost on both loopback addresses. */
export const ETC_HOSTS = '127.0.0.1 localhost\n::1 localhost\n';

function numericStdio(stdio: ContainerSpec['stdio']): StdioSpec {
  if (stdio === undefined) return [0, 1, 2];
  stdio.forEach((fd, i) => {
    if (typeof fd !== 'number') throw new ContainerSpecError(`stdio[${i}]`, "'pipe' is runContainer's (its handle gets the stream)");
  });
  return stdio as StdioSpec;
}

/**
 * Fill every default of `spec` and check what can be checked without the kernel.
 * @throws ContainerSpecError (CONTAINER_SPEC) naming the field (`command.argv`, `root`, `mounts[2].target`, `hostname`, ...) of the
 *   first value that cannot work.
 */
export function withDefaults(spec: ContainerSpec): ResolvedContainerSpec {
  if (spec.command.argv.length === 0 || spec.command.argv[0] === '') {
    throw new ContainerSpecError('command.argv', 'empty');
  }
  const namespaces = resolveNamespaces(spec.namespaces ?? NAMESPACES);
  const isNew = (kind: NamespaceKind): boolean => namespaces.some((n) => n.kind === kind && n.path === undefined);
  const has = (kind: NamespaceKind): boolean => namespaces.some((n) => n.kind === kind);
  checkJoinable(namespaces, spec);
  // Without a new mnt namespace Guix skips mounting altogether: the root is the host's.
  const root: RootSpec = spec.root ?? (has('mnt') ? { kind: 'tmpfs' } : { kind: 'host' });
  if (root.kind === 'rootfs') checkAbsolute('root.path', root.path);
  if (root.kind === 'tmpfs' && root.dir !== undefined) checkAbsolute('root.dir', root.dir);
  // A rootfs root in the caller's mount namespace is runc's: the mounts are made there and the process chroots.
  if (root.kind === 'tmpfs' && !has('mnt')) {
    throw new ContainerSpecError('root', 'a tmpfs root needs a mnt namespace of its own (new or joined)');
  }
  if (root.kind === 'rootfs' && !has('mnt') && (spec.writableRoot ?? false) === false) {
    throw new ContainerSpecError('writableRoot', 'a read-only root needs a mnt namespace of its own (it would change the caller\'s)');
  }
  if (root.kind === 'rootfs' && !has('mnt') && (root.overlay !== undefined || spec.rootPropagation !== undefined)) {
    throw new ContainerSpecError(root.overlay !== undefined ? 'root.overlay' : 'rootPropagation', 'needs a mnt namespace of its own');
  }
  const mounts = checkMounts(spec.mounts ?? []);
  if (spec.rootPropagation !== undefined && !PROPAGATIONS.has(spec.rootPropagation)) {
    throw new ContainerSpecError('rootPropagation', `unknown propagation: ${spec.rootPropagation}`);
  }
  if ((spec.devices ?? []).length > 0 && root.kind === 'host') {
    throw new ContainerSpecError('devices', 'devices need a mnt namespace of its own and a tmpfs or rootfs root');
  }
  if (mounts.length > 0 && root.kind === 'host') {
    throw new ContainerSpecError('mounts', 'mounts need a mnt namespace of its own and a tmpfs or rootfs root');
  }
  const guestUid = spec.guestUid ?? 0;
  const guestGid = spec.guestGid ?? 0;
  checkId('guestUid', guestUid);
  checkId('guestGid', guestGid);
  if (spec.hostUids !== undefined && (!Number.isInteger(spec.hostUids) || spec.hostUids < 1)) {
    throw new ContainerSpecError('hostUids', `not a positive count: ${spec.hostUids}`);
  }
  if ((spec.uidMap === undefined) !== (spec.gidMap === undefined)) {
    throw new ContainerSpecError(spec.uidMap ? 'gidMap' : 'uidMap', 'uidMap and gidMap go together');
  }
  if (spec.init !== undefined && spec.childIsPid1 !== undefined && spec.init === spec.childIsPid1) {
    throw new ContainerSpecError('init', 'contradicts childIsPid1');
  }
  const cwd = spec.command.cwd ?? '/';
  checkAbsolute('command.cwd', cwd);
  // runc sets a hostname in a joined uts namespace too (its check is Namespaces.Contains(NEWUTS)).
  if (spec.hostname !== undefined && !has('uts')) {
    throw new ContainerSpecError('hostname', 'setting a hostname needs a uts namespace of its own (new or joined)');
  }
  const loopbackNetwork = spec.loopbackNetwork ?? true;
  const confinement = resolveConfinement(spec, { isNew, has }, root.kind !== 'host' && has('mnt'));
  return {
    root,
    mounts,
    namespaces,
    command: { argv: spec.command.argv, env: spec.command.env ?? {}, cwd },
    guestUid,
    guestGid,
    hostUids: spec.hostUids,
    hostIdBase: spec.hostIdBase ?? 0,
    useSubordinateIds: spec.useSubordinateIds ?? true,
    uidMap: spec.uidMap,
    gidMap: spec.gidMap,
    writableRoot: spec.writableRoot ?? false,
    lockMounts: (spec.lockMounts ?? true) && isNew('user') && isNew('mnt'),
    loopbackNetwork,
    init: spec.init ?? !(spec.childIsPid1 ?? true),
    hostname: spec.hostname,
    populate: spec.populate ?? [],
    relayedSignals: spec.relayedSignals ?? DEFAULT_RELAYED_SIGNALS,
    killOnParentDeath: spec.killOnParentDeath ?? false,
    console: checkConsole(spec),
    consoleTty: spec.console !== undefined ? null : spec.consoleTty,
    stdio: numericStdio(spec.stdio),
    extraFds: checkExtraFds(spec.extraFds ?? []),
    writeEtcHosts: (spec.writeEtcHosts ?? (loopbackNetwork && root.kind === 'tmpfs' && isNew('net'))) ? spec.etcHosts ?? ETC_HOSTS : undefined,
    confinement,
    defaultFileSystems: spec.defaultFileSystems ?? true,
    defaultDevices: spec.defaultDevices ?? true,
    bindHostSys: spec.bindHostSys ?? true,
    devices: validateDevices(spec.devices ?? []),
    rootPropagation: spec.rootPropagation,
  };
}

/** True when `spec` has a namespace of `kind` of its own, new or joined by path (not the caller's). */
export function hasNamespace(spec: ResolvedContainerSpec, kind: NamespaceKind): boolean {
  return spec.namespaces.some((n) => n.kind === kind);
}

/** True when `spec` creates a new namespace of `kind` (not joined, not shared with the host). */
export function isNewNamespace(spec: ResolvedContainerSpec, kind: NamespaceKind): boolean {
  return spec.namespaces.some((n) => n.kind === kind && n.path === undefined);
}
