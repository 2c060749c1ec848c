/**
 * The Guix-shaped wrappers over `runContainer`: `callWithContainer` (waits and returns the exit status, code or
 * 128 + signal, and kills the container when its caller dies) and `runContainerGuix` (Guix's positional
 * `run-container root mounts namespaces host-uids thunk`, returning the running container).
 *
 * Both keep every capability and the caller's session keyring unless `options` says otherwise, as Guix does (it
 * has no capability support; its tests need CAP_SYS_ADMIN for sethostname), where `runContainer` defaults to
 * runc's capability set and a new session keyring. Without a new net namespace they mount no /sys (Guix's
 * `mount-/sys?`), where `runContainer` binds the host's read-only (`bindHostSys`).
 *
 * Their id maps are Guix's (`initialize-user-namespace`): `GUEST-UID HOST-UID HOST-UIDS`, the caller's own ids
 * seen as the guest ids and the `hostUids` ids after them (default 1, Guix's), so as root guest 1000 with
 * host-uids 65536 maps 1000..66535 onto host 0..65535 and what the guest writes belongs to host root. One
 * difference: an unprivileged caller asking for more than one id (Guix fails there) gets ct's layout, its own id
 * at the guest id and its /etc/subuid ranges around it. `runContainer` keeps ct's maps (id-map.ts).
 *
 * Man pages: wait(2), prctl(2) (PR_SET_PDEATHSIG).
 */
import { NAMESPACES, type NamespaceKind } from './namespaces.js';
import { type ContainerHandle, type ContainerLifecycle, runContainer, type RunOptions } from './run-container.js';
import type { CommandSpec, ContainerSpec, IdMapEntry, Mount, NamespaceSpec } from './spec.js';
import { checkWaitOptions, waitLimits, waitOrKill, type WaitOptions } from './wait-options.js';

/** Everything of a ContainerSpec but the mounts and the command (Guix's keyword arguments). */
export type GuixContainerOptions = Omit<ContainerSpec, 'mounts' | 'command'>;

/** What `guix shell -C` writes to /etc/hosts in a container without the host's network. */
const GUIX_ETC_HOSTS = '127.0.0.1 localhost\n';

/**
 * callWithContainer's options: Guix's keyword arguments, and `signal`/`timeout`: when one says to stop first the
 * container is killed and reaped and callWithContainer rejects (with the abort's reason, or a CtError ETIMEDOUT).
 */
export interface GuixCallOptions extends GuixContainerOptions, WaitOptions {
  /**
   * Guix's `#:process-spawned-hook`: called with the container's pid once it runs (its command exec'd), before
   * the wait; a hook that throws kills the container and callWithContainer rethrows.
   */
  readonly processSpawnedHook?: (pid: number) => void | Promise<void>;
}

/** A command as argv, or a full CommandSpec. */
export type CommandLike = CommandSpec | readonly string[];

/** A CommandSpec from argv or a CommandSpec. */
export function toCommandSpec(command: CommandLike): CommandSpec {
  return Array.isArray(command) ? { argv: command as readonly string[] } : (command as CommandSpec);
}

/** Guix's maps for the wrappers (unless the caller gives its own, or asks an unprivileged range: see above). */
function guixIdMaps(options: GuixContainerOptions, run: RunOptions): Pick<ContainerSpec, 'uidMap' | 'gidMap' | 'hostUids'> {
  const newUser = (options.namespaces ?? NAMESPACES).includes('user');
  if (!newUser || options.uidMap !== undefined || options.gidMap !== undefined) return {};
  const count = options.hostUids ?? 1;
  const uid = run.euid ?? process.geteuid?.() ?? 0;
  const gid = run.egid ?? process.getegid?.() ?? 0;
  if (uid !== 0 && count > 1) return { hostUids: count };
  const map = (guest: number, host: number): IdMapEntry[] => [{ inside: guest, outside: host, count }];
  return { uidMap: map(options.guestUid ?? 0, uid), gidMap: map(options.guestGid ?? 0, gid) };
}

/** Guix's /sys (none without a net namespace) and /etc/hosts text (guix shell -C's), unless asked otherwise. */
function guixFileSystems(options: GuixContainerOptions): Pick<ContainerSpec, 'bindHostSys' | 'etcHosts'> {
  return { bindHostSys: options.bindHostSys ?? false, etcHosts: options.etcHosts ?? GUIX_ETC_HOSTS };
}

/**
 * Run `command` in a new container with `mounts` and wait for it (Guix's `call-with-container`). Returns the
 * exit status: the exit code, or 128 + the signal that killed PID 1. The container is killed if the caller dies.
 */
export async function callWithContainer(
  mounts: readonly Mount[], command: CommandLike, options: GuixCallOptions = {}, run: RunOptions = {},
): Promise<number> {
  const { processSpawnedHook, signal: _signal, timeout, ...spec } = options;
  const limits = waitLimits(options);
  checkWaitOptions('callWithContainer', limits); // a bad timeout or an abort before the start starts nothing
  const started = Date.now();
  const handle = await runContainer(
    {
      ...spec, ...guixIdMaps(spec, run), mounts, command: toCommandSpec(command),
      killOnParentDeath: spec.killOnParentDeath ?? true, ...guixFileSystems(spec),
      capabilities: spec.capabilities ?? 'all', sessionKeyring: spec.sessionKeyring ?? false,
    },
    {}, run,
  );
  const killOnExit = (): void => handle.kill('SIGKILL');
  process.once('exit', killOnExit);
  try {
    await processSpawnedHook?.(handle.pid);
  } catch (error) {
    handle.kill('SIGKILL');
    await handle.wait();
    process.off('exit', killOnExit);
    throw error;
  }
  try {
    // the timeout counts from the call: the set-up took part of it
    const left = timeout === undefined ? {} : { timeout: Math.max(0, timeout - (Date.now() - started)) };
    const exited = await waitOrKill(handle.wait(), () => handle.kill('SIGKILL'), 'callWithContainer', { ...limits, ...left });
    return exited.status;
  } finally {
    process.off('exit', killOnExit);
  }
}

/** runContainerGuix's arguments as one object (the positional form is Guix's). */
export interface RunContainerGuixOptions extends Omit<GuixContainerOptions, 'root' | 'namespaces' | 'hostUids'> {
  /** A directory for the tmpfs root, or "/" for no mounts at all. */
  readonly root: string;
  /** User mounts in order (default none). */
  readonly mounts?: readonly Mount[];
  /** Default NAMESPACES (Guix's %namespaces). */
  readonly namespaces?: readonly (NamespaceKind | NamespaceSpec)[];
  /** Default 1 (Guix's call-with-container default; run-container has none). */
  readonly hostUids?: number;
  /** The command, as argv or a CommandSpec. */
  readonly command: CommandLike;
  /** The container's lifecycle callbacks (default none). */
  readonly lifecycle?: ContainerLifecycle;
  /** Options of `runContainer` (default none). */
  readonly run?: RunOptions;
}

/**
 * Guix's `run-container`: a tmpfs mounted on `root` (or no mounts when `root` is "/"), `mounts`, the given
 * namespaces and `hostUids` ids; returns the running container (its `pid` is Guix's return value). Also takes
 * one options object: `runContainerGuix({ root, command, mounts?, namespaces?, hostUids?, ... })`.
 */
export function runContainerGuix(options: RunContainerGuixOptions): Promise<ContainerHandle>;
export function runContainerGuix(
  root: string, mounts: readonly Mount[], namespaces: readonly (NamespaceKind | NamespaceSpec)[], hostUids: number,
  command: CommandLike, options?: GuixContainerOptions, lifecycle?: ContainerLifecycle, run?: RunOptions,
): Promise<ContainerHandle>;
export function runContainerGuix(
  first: string | RunContainerGuixOptions, ...rest: unknown[]
): Promise<ContainerHandle> {
  if (typeof first !== 'string') {
    const { root, mounts = [], namespaces = NAMESPACES, hostUids = 1, command, lifecycle = {}, run = {}, ...options } = first;
    return startGuix(root, mounts, namespaces, hostUids, command, options, lifecycle, run);
  }
  const [mounts, namespaces, hostUids, command, options = {}, lifecycle = {}, run = {}] = rest as
    [readonly Mount[], readonly (NamespaceKind | NamespaceSpec)[], number, CommandLike, GuixContainerOptions?, ContainerLifecycle?, RunOptions?];
  return startGuix(first, mounts, namespaces, hostUids, command, options, lifecycle, run);
}

function startGuix(
  root: string, mounts: readonly Mount[], namespaces: readonly (NamespaceKind | NamespaceSpec)[], hostUids: number,
  command: CommandLike, options: GuixContainerOptions, lifecycle: ContainerLifecycle, run: RunOptions,
): Promise<ContainerHandle> {
  return runContainer({
    ...options,
    ...guixIdMaps({ ...options, namespaces, hostUids }, run),
    root: root === '/' ? { kind: 'host' } : { kind: 'tmpfs', dir: root },
    mounts,
    namespaces,
    command: toCommandSpec(command),
    ...guixFileSystems(options),
    capabilities: options.capabilities ?? 'all',
    sessionKeyring: options.sessionKeyring ?? false,
  }, lifecycle, run);
}
