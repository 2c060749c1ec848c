/**
 * `ct container inspect|kill|wait|prune` (podman's verbs) on the containers of `ct container run`: inspect gives
 * podman's field names for what ct knows of a container (its state, image, command, exit status and the process
 * settings of its config.json); kill signals a live container (SIGKILL by default, as podman's); wait returns the
 * exit status once it has stopped; prune removes every stopped one.
 * Man pages: kill(2).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeContext } from './context.js';
import { killContainer } from './container-kill.js';
import { RuntimeError } from './errors.js';
import { checkImageContainer, deleteImageContainer, describeImageContainer, listImageContainers, stateStatus, stopImageContainer, type ImageContainer } from './image-containers.js';
import { imageBundleDir, imageExitFile, imageLogFile, imageRunSettingsFile, type RunSettings } from './image-run.js';
import { INIT_PATH_IN_CONTAINER } from './image-run-config.js';
import { bindOf, inspectMounts, inspectTmpfs, type InspectMount, type SpecMount } from './image-container-mounts.js';
import { formatNetworkMode } from './network/network-mode.js';
import { readNetworkRecord } from './network/network-record.js';
import { parseSignal } from './signals.js';
import { readContainerVolumes } from './volume-store.js';
import { claimHeld, holdClaim, removeStaleClaims } from './image-run-claim.js';
import { mayRestart } from './container-run-monitor/restart-policy.js';
import { markStoppedByUser, resetRestartRecord, withRestartLock, writeRestartFailure } from './container-run-monitor/restart-record.js';
import { writeFileAtomic } from './state-store.js';
import { inspectPortMap, type PortBinding } from './network/container-ports.js';

/** What `container inspect` prints for one container (podman's names where podman has the field). */
export interface ImageContainerDetails {
  /** The container's id (ct's ids are its names: podman's is 64 hex digits). */
  readonly Id: string;
  /** Its name. */
  readonly Name: string;
  /** The image's id: the hex digits of its digest in the store (ct's image id; podman's is its config's digest). */
  readonly Image: string;
  /** The image's digest in the store (podman's ImageDigest: the manifest's digest). */
  readonly ImageDigest: string;
  /** The image as it was given to `container run` (a store name, path or reference). */
  readonly ImageName: string;
  /** When it was created (`container run`; its restarts keep it). */
  readonly Created: string;
  /** The process's program. */
  readonly Path: string;
  /** The program's arguments. */
  readonly Args: readonly string[];
  /** Its state. */
  readonly State: {
    /** podman's status (created, running, paused, exited). */
    readonly Status: string;
    /** Whether it is running. */
    readonly Running: boolean;
    /** Whether it is paused. */
    readonly Paused: boolean;
    /** Whether its monitor is restarting it (podman's; false: a restart is not a state of its own in ct). */
    readonly Restarting: boolean;
    /** Whether the kernel's OOM killer ended it (ct does not record it: false). */
    readonly OOMKilled: boolean;
    /** podman's Dead (false). */
    readonly Dead: boolean;
    /** Its process's pid (0 once stopped). */
    readonly Pid: number;
    /** The exit status once it is known (0 before). */
    readonly ExitCode: number;
    /** Why its last start failed ('' when it did not): a restart of its monitor. */
    readonly Error: string;
    /** When its last run started. */
    readonly StartedAt: string;
    /** When it exited, once known (podman's zero time, 0001-01-01T00:00:00Z, before). */
    readonly FinishedAt: string;
  };
  /** How it was configured. */
  readonly Config: {
    /** Its hostname. */
    readonly Hostname: string;
    /** `-u` as given ('' when not given). */
    readonly User: string;
    /** Its process's environment. */
    readonly Env: readonly string[];
    /** Its process's working directory. */
    readonly WorkingDir: string;
    /** The image as it was given to `container run`. */
    readonly Image: string;
    /** The entrypoint its process runs, its words joined by spaces (podman 4.3's string), '' when none. */
    readonly Entrypoint: string;
    /** The command given to the entrypoint (the whole process argv when there is none). */
    readonly Cmd: readonly string[];
    /** Whether it has a terminal. */
    readonly Tty: boolean;
    /** Its labels (--label); null when it has none, as podman's. */
    readonly Labels: Readonly<Record<string, string>> | null;
    /** The number of the signal `container stop` sends first (podman's: 15 for SIGTERM). */
    readonly StopSignal: number;
    /** Seconds `container stop` waits before SIGKILL. */
    readonly StopTimeout: number;
  };
  /** The mounts the user asked for: volumes and binds (image-container-mounts.ts). */
  readonly Mounts: readonly InspectMount[];
  /** Its network, as podman's NetworkSettings. */
  readonly NetworkSettings: {
    /** Its address on the bridge ('' in the other modes, and before it is attached). */
    readonly IPAddress: string;
    /** Per container port (`80/tcp`), the host addresses and ports it is published on (network/container-ports.ts). */
    readonly Ports: Readonly<Record<string, readonly PortBinding[]>>;
  };
  /** How it is run, as podman's HostConfig gives it. */
  readonly HostConfig: {
    /** podman's RestartPolicy. */
    readonly RestartPolicy: {
      /** '' (none, as podman's), on-failure, always or unless-stopped. */
      readonly Name: string;
      /** on-failure's N (0: no limit, and for the other policies). */
      readonly MaximumRetryCount: number;
    };
    /** The tmpfs mounts asked for (--tmpfs, --mount type=tmpfs): destination to options. */
    readonly Tmpfs: Readonly<Record<string, string>>;
    /** Its volumes and binds as podman's `NAME-or-SOURCE:DESTINATION:OPTIONS` (rw or ro, the propagation, the rest). */
    readonly Binds: readonly string[];
    /** `--network` (none, host, bridge, pasta, slirp4netns, container:ID). */
    readonly NetworkMode: string;
    /** Its published ports, as NetworkSettings.Ports gives them. */
    readonly PortBindings: Readonly<Record<string, readonly PortBinding[]>>;
    /** Removed once it exits (`-d --rm`). */
    readonly AutoRemove: boolean;
  };
  /** Restarts its policy made since the user last started it (podman's RestartCount). */
  readonly RestartCount: number;
  /** The bundle (config.json) ct made for it, under the state root. */
  readonly Bundle: string;
}

interface ProcessConfig {
  hostname?: string;
  process?: { args?: string[]; env?: string[]; cwd?: string; terminal?: boolean; user?: { uid?: number; gid?: number } };
  mounts?: SpecMount[];
}

function readConfig(bundle: string): ProcessConfig {
  try {
    return JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as ProcessConfig;
  } catch {
    return {};
  }
}

function readSettings(ctx: RuntimeContext, id: string): Partial<RunSettings> {
  try {
    return JSON.parse(readFileSync(imageRunSettingsFile(ctx, id), 'utf8')) as Partial<RunSettings>;
  } catch {
    return {};
  }
}

/** How long a stopped container's exit status may take to be recorded by its monitor. */
const RECORD_GRACE_MS = 5000;

/** podman's time for "never" (Go's zero time). */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** The signal's number, for a name or number recorded (SIGTERM's 15 when it is no signal ct knows). */
function signalNumber(signal: string): number {
  try {
    return parseSignal(signal);
  } catch {
    return 15;
  }
}

/** `container inspect ID`. @throws RuntimeError ENOCONTAINER, EUSAGE (not a container of `container run`). */
export function inspectImageContainer(ctx: RuntimeContext, id: string): ImageContainerDetails {
  const c = describeImageContainer(ctx, checkImageContainer(ctx, id));
  const bundle = imageBundleDir(ctx, id);
  const config = readConfig(bundle);
  const settings = readSettings(ctx, id);
  const p = config.process ?? {};
  const volumes = c.storageRoot === undefined ? [] : readContainerVolumes(c.storageRoot, id);
  const mounts = inspectMounts(config.mounts ?? [], settings.mounts, volumes, bundle, INIT_PATH_IN_CONTAINER);
  const network = readNetworkRecord(bundle);
  const ports = inspectPortMap(c.ports);
  return {
    Id: c.id, Name: c.id, Image: c.image.slice(c.image.indexOf(':') + 1), ImageDigest: c.image, ImageName: c.imageName ?? c.image, Created: c.created,
    Path: c.command[0] ?? '', Args: c.command.slice(1),
    State: {
      Status: c.exitStatus !== undefined ? 'exited' : c.status, Running: c.status === 'running', Paused: c.status === 'paused',
      Restarting: false, OOMKilled: false, Dead: false,
      Pid: c.pid, ExitCode: c.exitStatus ?? 0, Error: c.error ?? '', StartedAt: c.started, FinishedAt: c.finished ?? ZERO_TIME,
    },
    Config: {
      Hostname: config.hostname ?? '', User: settings.user ?? '', Env: p.env ?? [], WorkingDir: p.cwd ?? '/',
      Image: c.imageName ?? c.image, Entrypoint: c.entrypoint.join(' '), Cmd: c.command.slice(c.entrypoint.length),
      Tty: p.terminal === true,
      Labels: Object.keys(c.labels).length > 0 ? c.labels : null, StopSignal: signalNumber(c.stopSignal), StopTimeout: c.stopTimeout,
    },
    Mounts: mounts,
    NetworkSettings: { IPAddress: network?.address ?? '', Ports: ports },
    HostConfig: {
      RestartPolicy: { Name: c.restartPolicy.name === 'no' ? '' : c.restartPolicy.name, MaximumRetryCount: c.restartPolicy.maxRetries },
      Tmpfs: inspectTmpfs(config.mounts ?? [], settings.mounts), Binds: mounts.map(bindOf),
      NetworkMode: network === undefined ? 'none' : formatNetworkMode(network.mode), PortBindings: ports, AutoRemove: c.autoRemove,
    },
    RestartCount: c.restartCount,
    Bundle: bundle,
  };
}

/**
 * `container kill ID [--signal S]`: signal a created, running or paused container (default SIGKILL, as podman's);
 * its restart policy restarts it no more until it is started again.
 * @throws RuntimeError ENOCONTAINER, ENOTRUNNING (podman: "can only kill running containers"), EUSAGE (a bad signal).
 */
export async function killImageContainer(ctx: RuntimeContext, id: string, signal = 'SIGKILL'): Promise<void> {
  // first, unless it has exited: its restart policy restarts it no more (podman's kill sets StoppedByUser); a restart
  // under way finishes, and its run is the one signalled
  await markStoppedByUser(imageBundleDir(ctx, id), () => { const st = stateStatus(ctx, id); return st !== undefined && st !== 'stopped'; });
  const s = checkImageContainer(ctx, id);
  if (s.status === 'stopped') throw new RuntimeError('ENOTRUNNING', `container kill: ${id}: the container is not running (it has exited): only a running container can be killed`);
  await killContainer(ctx, id, signal, { all: false });
}

/**
 * `container wait ID`: the exit status of the container once it has stopped (at once when it has), polled every
 * `intervalMs`. A container whose status was not recorded (a `ct container run` without --keep, or `-d --rm`,
 * removed as it exited) is refused: there is nothing left to report. A container whose monitor may still restart
 * it (--restart) is waited for until its monitor has ended: the last exit's status (podman's wait).
 * @throws RuntimeError ENOCONTAINER (also when it is removed while we wait), EBADSTATE (stopped with no status).
 */
export async function waitImageContainer(ctx: RuntimeContext, id: string, intervalMs = 100): Promise<number> {
  checkImageContainer(ctx, id);
  const bundle = imageBundleDir(ctx, id);
  let stoppedSince: number | undefined;
  for (;; await new Promise((r) => setTimeout(r, intervalMs))) {
    let c: ImageContainer;
    try {
      c = describeImageContainer(ctx, checkImageContainer(ctx, id));
    } catch (err) {
      if (err instanceof RuntimeError && err.code === 'ENOCONTAINER') {
        // between two runs of a restart: the old state is gone, its monitor (the claim's holder) makes the next one
        if (claimHeld(bundle)) continue;
        throw new RuntimeError('ENOCONTAINER', `container wait: ${id}: the container was removed as it exited (--rm): its exit status is gone`, { cause: err });
      }
      throw err;
    }
    // the monitor records the status just after the exit: a stopped container waits for it a moment; one whose
    // monitor lives on may be restarted
    if (c.exitStatus !== undefined && !(mayRestart(c.restartPolicy) && claimHeld(bundle))) return c.exitStatus;
    if (c.status === 'stopped' && c.exitStatus === undefined) stoppedSince ??= Date.now();
    if (stoppedSince !== undefined && Date.now() - stoppedSince > RECORD_GRACE_MS) {
      throw new RuntimeError('EBADSTATE', `container wait: ${id}: stopped, but no exit status was recorded (its monitor was killed?)`);
    }
  }
}

/**
 * `container start ID` (podman's start of an exited container): run the kept container again, detached under a
 * new monitor, from the bundle and root it had (its files as it left them; the log goes on). A running one is left
 * as it is. Its restart count and the user's stop are cleared (podman's), under the restart lock
 * (restart-record.ts): a monitor still waiting to restart it finds the new run and steps aside; an `rm` meanwhile
 * finds the new run and removes it.
 * @throws RuntimeError ENOCONTAINER, EUSAGE (not of `container run`), EBADSTATE (paused).
 */
export async function startImageContainer(ctx: RuntimeContext, id: string): Promise<void> {
  const bundle = imageBundleDir(ctx, id);
  const done = await withRestartLock(bundle, async () => {
    const s = checkImageContainer(ctx, id);
    if (s.status === 'running' || s.status === 'created') return true;
    if (s.status === 'paused') throw new RuntimeError('EBADSTATE', `container start: ${id}: the container is paused: resume it (ct resume ${id})`);
    const config = readConfig(bundle);
    // while the old state is gone and the new one not made yet, the claim names us: the name is not a dead run's
    holdClaim(bundle);
    resetRestartRecord(bundle);
    // the old state goes (none after a failed restart), the bundle and root stay; the exit status recorded is the last run's
    await deleteImageContainer(ctx, id, { keepImageBundle: true });
    const exitFile = imageExitFile(ctx, id);
    const last = existsSync(exitFile) ? readFileSync(exitFile, 'utf8') : undefined;
    rmSync(exitFile, { force: true });
    const { spawnMonitor } = await import('./container-run-monitor/monitor-spawn.js');
    try {
      await spawnMonitor(ctx, id, bundle, imageLogFile(ctx, id), exitFile, { tty: config.process?.terminal === true, keepBundle: true });
    } catch (err) {
      // it stays, exited as it was, with this error (podman's State.Error): ps, inspect, start and rm still see it
      if (last !== undefined) writeFileAtomic(exitFile, last, 0o644);
      writeRestartFailure(bundle, err instanceof Error ? err.message : String(err));
      throw err;
    }
    return true;
  });
  if (done === undefined) {
    // no bundle: removed meanwhile, or not a container of `container run` (checkImageContainer says which)
    checkImageContainer(ctx, id);
    throw new RuntimeError('ENOCONTAINER', `container start: ${id}: its bundle ${bundle} is gone (removed meanwhile?)`);
  }
}

/** `container restart ID`: stop it (its stop signal and timeout, or `timeout`) when it runs, then start it. */
export async function restartImageContainer(ctx: RuntimeContext, id: string, timeout?: number): Promise<void> {
  await stopImageContainer(ctx, id, timeout);
  await startImageContainer(ctx, id);
}

/**
 * `container prune`: remove every stopped container of `container run`, and what runs killed before their container
 * had a state left (image-run-claim.ts); returns their ids.
 */
export async function pruneImageContainers(ctx: RuntimeContext): Promise<string[]> {
  const removed = await removeStaleClaims(ctx);
  for (const c of listImageContainers(ctx, { all: true })) {
    if (c.status !== 'stopped') continue;
    try {
      // a restart its monitor was about to make does not happen (nor is it under way: then it is not stopped)
      await markStoppedByUser(imageBundleDir(ctx, c.id), () => stateStatus(ctx, c.id) === 'stopped');
      await deleteImageContainer(ctx, c.id, { force: false });
      removed.push(c.id);
    } catch (err) {
      // started or removed meanwhile: not ours to prune
      if (!(err instanceof RuntimeError && (err.code === 'ENOCONTAINER' || err.code === 'EBADSTATE'))) throw err;
    }
  }
  return removed;
}
