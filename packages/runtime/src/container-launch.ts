/**
 * Launching a container's init from a checked config: config.json → ContainerSpec (to-container-spec.ts) →
 * @ct/namespaces' child plan, with the create/start split added before exec: a `wait` labelled "created" (the
 * parent learns the setup is done, records the state and may exit), then `waitFifo` on the exec FIFO (opened by
 * the parent O_PATH and passed as an fd, reached as /proc/self/fd/N after pivot_root, as runc does), then the
 * FIFO's fd is marked close-on-exec and the user process is exec'd.
 *
 * This drives the child itself rather than calling `runContainer`, which resolves only at exec.
 * TODO(NEEDS.md): an `execFifo` field in ContainerSpec and a "created" resolution in runContainer would let this
 * file shrink to one call.
 *
 * Man pages: fifo(7), open(2) (O_PATH), proc(5) (/proc/self/fd), user_namespaces(7).
 */
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import * as syscalls from '@ct/syscalls';
import type { ChildHandle, SpawnPlan, Step } from '@ct/syscalls';
import {
  buildChildPlan, describeChildFailure, HOST_DEVICES, installSignalRelay, isNewNamespace, planIdMaps, readSubordinateIds,
  withDefaults, writeIdMaps, type PlannedStep, type ResolvedContainerSpec,
} from '@ct/namespaces';
import type { BundleConfig } from './config/bundle-config.js';
import { toContainerSpec } from './config/to-container-spec.js';
import { RuntimeError, systemError } from './errors.js';
import { userName } from './owner.js';

/** How to launch the init. */
export interface LaunchOptions {
  /** The exec FIFO the init blocks on before exec (returns when `start` opens it). */
  readonly execFifo: string;
  /** Extra fds passed at 3, 4, ... (--preserve-fds plus LISTEN_FDS). */
  readonly extraFds: number;
  /** Rootless: ct makes the user namespace (newuidmap for ranges). */
  readonly rootless: boolean;
  /** Relay the caller's signals to the init (`run` in the foreground). */
  readonly relaySignals: boolean;
  /** Warnings (unsupported fields) go here. */
  readonly warn: (message: string) => void;
}

/** The launched init. */
export interface LaunchedInit {
  /** Host pid. */
  readonly pid: number;
  /** Resolves once the user process is exec'd (after `start`); rejects with the step that failed. */
  execed(): Promise<void>;
  /** Resolves with the shell-style exit status (code, or 128 + signal) when the init exits. */
  wait(): Promise<number>;
  /** Signal the init (through its pidfd). */
  kill(signal: number): void;
}

/** The label of the pause right before the FIFO wait. */
const CREATED = 'created';
/** O_PATH: an fd that names the FIFO without opening it for I/O (so it counts as neither reader nor writer). */
const O_PATH = 0o10000000;

type Spawn = (plan: SpawnPlan) => ChildHandle | Promise<ChildHandle>;

function engine(): Spawn {
  const spawn = (syscalls as unknown as { spawn?: Spawn }).spawn;
  if (typeof spawn !== 'function') throw new RuntimeError('ESETUP', 'create: spawn: not provided by the installed @ct/syscalls');
  return spawn;
}

function onPath(name: string): boolean {
  return (process.env['PATH'] ?? '/usr/bin:/bin').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function idMapsFor(s: ResolvedContainerSpec): ReturnType<typeof planIdMaps> | undefined {
  if (!isNewNamespace(s, 'user')) return undefined;
  const euid = process.geteuid?.() ?? 0;
  const egid = process.getegid?.() ?? 0;
  const wantRanges = euid !== 0 && s.useSubordinateIds;
  const user = wantRanges ? userName(euid) : undefined;
  const plan = planIdMaps(s, {
    euid, egid,
    subuid: wantRanges ? readSubordinateIds('/etc/subuid', user, euid) : [],
    subgid: wantRanges ? readSubordinateIds('/etc/subgid', user, euid) : [],
    newidmapAvailable: onPath('newuidmap') && onPath('newgidmap'),
  });
  // euid 0 in a user namespace whose creator denied setgroups (unshare --map-root-user, rootless engines): the
  // nested namespace inherits the denial, so the plan must not call setgroups (TODO(NEEDS.md): in planIdMaps).
  return setgroupsDenied() ? { ...plan, denySetgroups: true } : plan;
}

function setgroupsDenied(): boolean {
  try {
    return readFileSync('/proc/self/setgroups', 'utf8').trim() === 'deny';
  } catch {
    return false;
  }
}

/** The plan of `s` with the created pause, the FIFO wait and the fd's close-on-exec inserted before exec. */
function withExecFifo(plan: SpawnPlan, described: readonly PlannedStep[], fifoFd: number, fifoTo: number) {
  const execAt = plan.steps.length - 1;
  const extra: PlannedStep[] = [
    { step: { op: 'wait', label: CREATED }, what: 'wait for create to finish' },
    { step: { op: 'waitFifo', path: `/proc/self/fd/${fifoTo}` }, what: 'wait for start', object: 'exec.fifo' },
    { step: { op: 'closeFrom', first: fifoTo }, what: 'close exec.fifo' },
  ];
  const steps: Step[] = [...plan.steps.slice(0, execAt), ...extra.map((p) => p.step), ...plan.steps.slice(execAt)];
  return {
    plan: { ...plan, steps, fds: [...(plan.fds ?? []), { from: fifoFd, to: fifoTo }] },
    described: [...described.slice(0, execAt), ...extra, ...described.slice(execAt)],
  };
}

/** Launch the init of `config`; resolves when it is set up and about to wait on the exec FIFO. */
export async function launchInit(config: BundleConfig, options: LaunchOptions): Promise<LaunchedInit> {
  const spec = toContainerSpec(config, {
    rootless: options.rootless, euid: process.geteuid?.() ?? 0, extraFds: options.extraFds,
    relaySignals: options.relaySignals, warn: options.warn,
  });
  const s = withDefaults(spec);
  const idMaps = idMapsFor(s);
  const sourceIsDirectory = (source: string): boolean => {
    try {
      return statSync(source).isDirectory();
    } catch (err) {
      throw systemError('stat bind source', source, err);
    }
  };
  const base = buildChildPlan(s, {
    idMaps, euid: process.geteuid?.() ?? 0, egid: process.getegid?.() ?? 0, rootDir: config.rootfs, sourceIsDirectory,
    hostDevices: HOST_DEVICES.filter((name) => existsSync(`/dev/${name}`)), consoleTty: undefined, initPath: undefined,
    pauseAfterIdMaps: false, pauseBeforePivotRoot: false, pauseBeforeExec: false,
  });
  let fifoFd: number;
  try {
    fifoFd = openSync(options.execFifo, O_PATH);
  } catch (err) {
    throw systemError('create: open exec fifo', options.execFifo, err);
  }
  const { plan, described } = withExecFifo(base.plan, base.described, fifoFd, 3 + options.extraFds);
  let child: ChildHandle | undefined;
  try {
    child = await engine()(plan);
    for (;;) {
      let event;
      try {
        event = await child.nextEvent();
      } catch (err) {
        throw describeChildFailure(err, described, child.pid);
      }
      if (event.kind === 'exec') throw new RuntimeError('ESETUP', 'create: the init exec\'d before the exec fifo');
      if (event.label === 'id-maps' && idMaps !== undefined) await writeIdMaps(child.pid, idMaps);
      child.release();
      if (event.label === CREATED) break;
    }
  } catch (err) {
    if (child !== undefined) {
      child.kill('SIGKILL');
      await child.wait().catch(() => undefined);
    }
    throw err;
  } finally {
    closeSync(fifoFd);
  }
  const running = child;
  const relay = options.relaySignals ? installSignalRelay(s.relayedSignals) : undefined;
  relay?.attach(running);
  return {
    pid: running.pid,
    async execed() {
      try {
        await running.nextEvent();
      } catch (err) {
        throw describeChildFailure(err, described, running.pid);
      }
    },
    async wait() {
      try {
        return (await running.wait()).status;
      } finally {
        relay?.remove();
      }
    },
    kill(signal) {
      running.kill(signal);
    },
  };
}
