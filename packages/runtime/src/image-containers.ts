/**
 * `ct container ps|logs|stop|rm`: the containers `ct container run` made (those whose bundle is under the state
 * root's `.bundles/`), with their image (the bundle's store.json), command, status and, once a detached one has
 * exited, the exit status its monitor recorded.
 * Man pages: kill(2).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RuntimeContext } from './context.js';
import { deleteContainer, processesHolding, type DeleteOptions } from './container-delete.js';
import { killContainer } from './container-kill.js';
import { containerState, listContainers, type ContainerState } from './container-state.js';
import { RuntimeError } from './errors.js';
import { imageBundleDir, imageExitFile, imageLogFile, imageRunSettingsFile, removeImageBundle, type RunSettings } from './image-run.js';
import { claimHeld, listClaimsWithoutState, removeStaleClaims, type ClaimWithoutState } from './image-run-claim.js';
import { bundlePorts } from './network/container-ports.js';
import type { PortMapping } from './network/port-spec.js';
import { NO_RESTART, restartPolicyOf, type RestartPolicy } from './container-run-monitor/restart-policy.js';
import { markStoppedByUser, readRestartFailure, readRestartRecord } from './container-run-monitor/restart-record.js';
import { specVersion } from './oci-version.js';
import { containerPaths } from './state-store.js';

/** One container of `container ps`. */
export interface ImageContainer {
  /** The container id. */
  readonly id: string;
  /** The image's digest in the store. */
  readonly image: string;
  /** The image as `container run` was given it (a store name, path or reference), when recorded. */
  readonly imageName?: string;
  /** The process's argv from its config.json (empty when unreadable). */
  readonly command: readonly string[];
  /** Live status from the state store. */
  readonly status: ContainerState['status'];
  /** Creation time, RFC 3339: when `container run` made it (its restarts keep it). */
  readonly created: string;
  /** When its last run was created and started, RFC 3339 (podman's StartedAt). */
  readonly started: string;
  /** The init's pid (0 once stopped). */
  readonly pid: number;
  /** The exit status, once known (detached containers, and foreground ones kept). */
  readonly exitStatus?: number;
  /** When it exited (ISO time), once known. */
  readonly finished?: string;
  /** Why its last start failed: its monitor's restart (podman's State.Error); the container has no state then. */
  readonly error?: string;
  /** The image store its root is in. */
  readonly storageRoot?: string;
  /** Its labels (--label). */
  readonly labels: Readonly<Record<string, string>>;
  /** The signal and the seconds `container stop` uses (--stop-signal, --stop-timeout). */
  readonly stopSignal: string;
  /** Seconds `container stop` waits before SIGKILL (--stop-timeout). */
  readonly stopTimeout: number;
  /** Its published ports (network/port-spec.ts). */
  readonly ports: readonly PortMapping[];
  /** Its restart policy (--restart). */
  readonly restartPolicy: RestartPolicy;
  /** Restarts its policy made since it was last started by the user (podman's RestartCount). */
  readonly restartCount: number;
  /** The destinations of the mounts the user asked for (-v, --mount, --tmpfs, the image's Volumes). */
  readonly mounts: readonly string[];
  /** The entrypoint `command` starts with (empty when none, or not recorded). */
  readonly entrypoint: readonly string[];
  /** Removed once it exits (`-d --rm`). */
  readonly autoRemove: boolean;
}

function readJsonFile<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The entrypoint `command` starts with: the one recorded, when the command starts with it (not under --init). */
function entrypointOf(recorded: readonly string[] | undefined, command: readonly string[]): readonly string[] {
  return recorded !== undefined && recorded.length > 0 && recorded.every((w, i) => command[i] === w) ? recorded : [];
}

/** What ct knows of container `s` of `container run`: its bundle's store.json, config.json and exit.json. */
export function describeImageContainer(ctx: RuntimeContext, s: Pick<ContainerState, 'id' | 'status' | 'created' | 'pid'>): ImageContainer {
  const bundle = imageBundleDir(ctx, s.id);
  const store = readJsonFile<{ image: string; imageName?: string; storageRoot?: string }>(join(bundle, 'store.json'));
  const config = readJsonFile<{ process?: { args?: string[] } }>(join(bundle, 'config.json'));
  const exit = readJsonFile<{ status: number; finished?: string; error?: string }>(imageExitFile(ctx, s.id));
  const settings = readJsonFile<Partial<RunSettings>>(imageRunSettingsFile(ctx, s.id));
  return {
    id: s.id, image: store?.image ?? '', command: config?.process?.args ?? [], status: s.status, pid: s.pid,
    created: typeof settings?.created === 'string' ? settings.created : s.created, started: s.created,
    labels: settings?.labels ?? {}, stopSignal: settings?.stopSignal ?? 'SIGTERM', stopTimeout: settings?.stopTimeout ?? 10,
    ...(typeof store?.imageName === 'string' ? { imageName: store.imageName } : {}),
    ...(typeof store?.storageRoot === 'string' ? { storageRoot: store.storageRoot } : {}),
    ports: bundlePorts(bundle),
    restartPolicy: restartPolicyOf(settings?.restart) ?? NO_RESTART, restartCount: readRestartRecord(bundle).count,
    mounts: Array.isArray(settings?.mounts) ? settings.mounts : [], entrypoint: entrypointOf(settings?.entrypoint, config?.process?.args ?? []),
    autoRemove: settings?.autoRemove === true,
    ...(exit !== undefined ? { exitStatus: exit.status } : {}),
    ...(typeof exit?.finished === 'string' ? { finished: exit.finished } : {}),
    ...(typeof exit?.error === 'string' ? { error: exit.error } : {}),
  };
}

/**
 * A claim without a state as `container ps --all` shows it: `creating` while its run prepares (podman lists a
 * container from its create on), `stopped` once that run is gone (podman's "Created" of a killed `podman run`:
 * nothing runs; `rm` and `prune` remove it with its store root), with what its bundle already records.
 */
function describeClaim(ctx: RuntimeContext, claim: ClaimWithoutState): ImageContainer {
  return describeImageContainer(ctx, { id: claim.id, status: claim.live ? 'creating' : 'stopped', created: claim.claimed, pid: 0 });
}

/**
 * The containers of `container run`; only the running ones unless `all`; only those of `storageRoot` when given.
 * With `all`, also the names claimed by runs that have no container state: preparing, or killed before create.
 */
export function listImageContainers(ctx: RuntimeContext, options: { all?: boolean; storageRoot?: string | undefined } = {}): ImageContainer[] {
  const store = options.storageRoot === undefined ? undefined : resolve(options.storageRoot);
  const claims = options.all === true ? listClaimsWithoutState(ctx).map((c) => describeClaim(ctx, c)) : [];
  return [...listContainers(ctx)
    .filter((s) => s.bundle === imageBundleDir(ctx, s.id))
    .filter((s) => options.all === true || s.status === 'running' || s.status === 'created')
    .map((s) => describeImageContainer(ctx, s)), ...claims]
    .filter((c) => store === undefined || c.storageRoot === store);
}

/**
 * The state of `id`, a container of `container run`.
 * @throws RuntimeError ENOCONTAINER, EUSAGE (a container of `ct create`, not of `container run`).
 */
export function checkImageContainer(ctx: RuntimeContext, id: string): ContainerState {
  let s: ContainerState;
  try {
    s = containerState(ctx, id);
  } catch (err) {
    const kept = err instanceof RuntimeError && err.code === 'ENOCONTAINER' ? stateOfFailedRestart(ctx, id) : undefined;
    if (kept === undefined) throw err;
    return kept;
  }
  if (s.bundle !== imageBundleDir(ctx, id)) throw new RuntimeError('EUSAGE', `container ${id}: not made by ct container run`);
  return s;
}

/**
 * The state of container `id` whose monitor's restart failed (restart-record.ts): its last run's state was deleted
 * before the new run's create, and nothing runs now (its claim is not held: a `container start` under way holds
 * it), so it is a stopped container made of its bundle and root; undefined for any other id.
 */
function stateOfFailedRestart(ctx: RuntimeContext, id: string): ContainerState | undefined {
  const bundle = imageBundleDir(ctx, id);
  const failure = readRestartFailure(bundle);
  if (failure === undefined || claimHeld(bundle)) return undefined;
  const config = readJsonFile<{ root?: { path?: string } }>(join(bundle, 'config.json'));
  const settings = readJsonFile<Partial<RunSettings>>(imageRunSettingsFile(ctx, id));
  const created = settings?.created ?? failure.finished ?? '';
  return { ociVersion: specVersion, id, pid: 0, status: 'stopped', bundle, rootfs: config?.root?.path ?? '', created, owner: '' };
}

/**
 * Delete container `id` of `container run` (container-delete.ts's options); one whose restart failed has no state
 * to delete: its bundle and root go (as a delete takes them), unless `keepImageBundle`.
 */
export async function deleteImageContainer(ctx: RuntimeContext, id: string, options: DeleteOptions): Promise<void> {
  // (`container start` holds the claim while it deletes: the failure record alone says there is no state to delete)
  if (existsSync(containerPaths(ctx.stateRoot.path, id).dir) || readRestartFailure(imageBundleDir(ctx, id)) === undefined) {
    await deleteContainer(ctx, id, options);
    return;
  }
  if (options.keepImageBundle !== true) await removeImageBundle(ctx, id, imageBundleDir(ctx, id));
}

/**
 * The log of detached container `id` (its stdout and stderr).
 * @throws RuntimeError ENOCONTAINER, EUSAGE (not a container run one, or not detached: no log).
 */
export function imageContainerLog(ctx: RuntimeContext, id: string): Buffer {
  checkImageContainer(ctx, id);
  const file = imageLogFile(ctx, id);
  if (!existsSync(file)) throw new RuntimeError('EUSAGE', `container ${id}: no log (it was not run detached)`);
  return readFileSync(file);
}

/**
 * Stop container `id`: its stop signal (--stop-signal, default SIGTERM), then SIGKILL after `timeoutSeconds`
 * (default: its --stop-timeout, else 10). Resolves when it has stopped. Its restart policy restarts it no more
 * until it is started again (podman's).
 * A paused container is refused at once, as podman refuses it (its frozen processes would never see the signals):
 * resume it first, or remove it with force (delete thaws it).
 * @throws RuntimeError ENOCONTAINER, EBADSTATE (paused, also when paused while the stop waits).
 */
export async function stopImageContainer(ctx: RuntimeContext, id: string, timeout?: number): Promise<void> {
  // first: its monitor restarts it no more (a restart pending does not happen; one under way finishes, and is stopped)
  await markStoppedByUser(imageBundleDir(ctx, id));
  const c = describeImageContainer(ctx, checkImageContainer(ctx, id));
  const timeoutSeconds = timeout ?? c.stopTimeout;
  const running = (): boolean => {
    let s: ContainerState['status'];
    try {
      s = checkImageContainer(ctx, id).status;
    } catch (err) {
      // gone while we waited: its monitor removed it (-d --rm)
      if (err instanceof RuntimeError && err.code === 'ENOCONTAINER') return false;
      throw err;
    }
    if (s === 'paused') {
      throw new RuntimeError('EBADSTATE', `container stop: ${id}: the container is paused: resume it first (ct resume ${id}), or remove it (ct container rm -f ${id})`);
    }
    return s === 'running' || s === 'created';
  };
  if (running()) {
    await killContainer(ctx, id, c.stopSignal, { all: false }).catch((err: unknown) => { if (!(err instanceof RuntimeError && err.code === 'ENOTRUNNING')) throw err; });
    const deadline = Date.now() + timeoutSeconds * 1000;
    while (running() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (running()) {
      await killContainer(ctx, id, 'SIGKILL', { all: true }).catch((err: unknown) => { if (!(err instanceof RuntimeError && err.code === 'ENOTRUNNING')) throw err; });
      while (running()) await new Promise((r) => setTimeout(r, 20));
    }
  }
  await waitExitRecorded(ctx, id);
}

/** How long `stop` waits at most for a live monitor to record the exit. */
const EXIT_RECORD_WAIT_MS = 60_000;

/**
 * Wait until the monitor of detached container `id` has recorded its exit (exit.json), so that `ps`, `inspect`
 * and `wait` right after `stop` give the exit status, as podman's do. The monitor writes it after the network
 * detach (the bridge's CNI DEL alone takes a second or more under load). Not at all for a container that was not
 * detached (no log) or is gone (-d --rm, rm), and no longer once no process holds its log: the monitor (whose
 * stdout and stderr the log is) was killed and nothing will record it.
 */
async function waitExitRecorded(ctx: RuntimeContext, id: string): Promise<void> {
  const log = imageLogFile(ctx, id);
  const exit = imageExitFile(ctx, id);
  const end = Date.now() + EXIT_RECORD_WAIT_MS;
  for (let i = 0; existsSync(log) && !existsSync(exit) && Date.now() < end; i++) {
    // a scan of every process's fds: once in a while
    if (i % 5 === 0 && processesHolding(log).length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Remove container `id` with its bundle and store root; a running one only with `force` (killed first); with
 * `volumes` (podman's `rm -v`) its anonymous volumes too (volume-mounts.ts). The claim of a run killed before its
 * container had a state goes too (image-run-claim.ts).
 * @throws RuntimeError ENOCONTAINER, EBADSTATE (running without force).
 */
export async function removeImageContainer(ctx: RuntimeContext, id: string, options: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
  // first: its monitor restarts it no more (one in the middle of a restart finishes it, and the delete finds that
  // run); without force, only a stopped one is marked: a running one is refused, and its policy stays as it was
  await markStoppedByUser(imageBundleDir(ctx, id), () => options.force === true || stateStatus(ctx, id) === 'stopped');
  let s: ContainerState;
  try {
    s = checkImageContainer(ctx, id);
  } catch (err) {
    // a run killed before create wrote its state left only its claim: the bundle and the store root (issue 24)
    if (err instanceof RuntimeError && err.code === 'ENOCONTAINER' && (await removeStaleClaims(ctx, id)).length > 0) return;
    throw err;
  }
  const storageRoot = options.volumes === true ? describeImageContainer(ctx, s).storageRoot : undefined;
  if (storageRoot === undefined) {
    await deleteImageContainer(ctx, id, { force: options.force === true });
    return;
  }
  const volumes = await import('./volume-mounts.js');
  // read before the store root (which records them) goes
  const anonymous = volumes.anonymousVolumesOf(storageRoot, id, 'all');
  await deleteImageContainer(ctx, id, { force: options.force === true });
  await volumes.removeUnusedVolumes(storageRoot, anonymous);
}

/** The status of container `id`, or undefined when it has no state. */
export function stateStatus(ctx: RuntimeContext, id: string): ContainerState['status'] | undefined {
  try {
    return containerState(ctx, id).status;
  } catch (err) {
    if (err instanceof RuntimeError && err.code === 'ENOCONTAINER') return undefined;
    throw err;
  }
}
