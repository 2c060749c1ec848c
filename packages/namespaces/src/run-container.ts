/**
 * `runContainer(spec, lifecycle)`: the spec-based entry (Guix's `run-container`, GUIX.md §1d parent side).
 * The parent plans everything, installs the signal relays, clones, then at each pause of the child does its part:
 * writes the id maps (then `afterIdMaps`), runs `onNamespaces` once every namespace exists, `beforePivotRoot`, starts and finishes the mount-locking helper,
 * runs `beforeExec`. It resolves once the command has been exec'd. A child failure comes back as a
 * NamespaceSetupError naming the step, the object and the errno (`mount proc: /proc: EPERM`).
 *
 * Man pages: clone3(2), user_namespaces(7), pidfd_open(2), waitid(2).
 */
import { closeSync, existsSync, mkdtempSync, openSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { O, SyscallError } from '@ct/syscalls';
import { buildChildPlan } from './child-plan.js';
import {
  callerTty, gatherIdMapContext, type HostOptions, mountPointOf, mountPoints, presentHostDevices, runningInUserNamespace, statBindSources,
} from './host-context.js';
import { type IdMapPlan, planIdMaps } from './id-map.js';
import { writeIdMaps } from './id-map-write.js';
import { initProgramPath, waitInitReady } from './init-program.js';
import { defaultSyscalls } from './internal/default-syscalls.js';
import type { ChildHandle, ExitStatus, Syscalls } from './internal/syscalls-port.js';
import { type LockHelper, startLockHelper } from './lock-helper.js';
import type { PlannedStep } from './planned-step.js';
import { installSignalRelay } from './signal-relay.js';
import { type ContainerSpec, hasNamespace, type Mount, isNewNamespace, withDefaults } from './spec.js';
import { type CgroupOptions, createContainerCgroup } from './cgroups/cgroup.js';
import { type CgroupMountContext, inMountOrder, ownCgroupMountContext } from './cgroup-mount-plan.js';
import type { ContainerCgroup } from './cgroups/resources.js';
import { describeChildFailure, drivePauses, type PauseHandlers } from './pause-protocol.js';
import { clampRlimits, readRlimitHost, type RlimitHost } from './rlimits.js';
import { compileSeccomp } from './seccomp/compile.js';
import { limitWait, type WaitOptions } from './wait-options.js';
import { openStdioPipes } from './stdio-pipes.js';
import type { Readable, Writable } from 'node:stream';

/** Points in the container's setup where a caller (a runtime) may act; the child waits meanwhile. */
export interface ContainerLifecycle {
  /** The id maps are written (cgroup placement, hooks). */
  readonly afterIdMaps?: (pid: number) => void | Promise<void>;
  /**
   * Every namespace of the container exists (a new user namespace with its maps written, the cgroup placement
   * done) and nothing is mounted yet: the place to start what works on the namespaces while the child mounts, such
   * as a network helper on /proc/PID/ns/net (pasta, slirp4netns). The child waits until it resolves, and during the
   * wait it is dumpable, so an unprivileged caller may open /proc/PID/ns/* (it is not once released): open them
   * here, and leave what takes long to go on after it returns.
   */
  readonly onNamespaces?: (pid: number) => void | Promise<void>;
  /** Every mount is in place, pivot_root is next (OCI createContainer hooks). */
  readonly beforePivotRoot?: (pid: number) => void | Promise<void>;
  /** Everything is set up, execve is next (OCI startContainer hooks). */
  readonly beforeExec?: (pid: number) => void | Promise<void>;
}

/** Where the container's parent-side work looks and which kernel interface it uses. */
export interface RunOptions extends HostOptions, CgroupOptions {
  /** The kernel interface (default @ct/syscalls). */
  readonly syscalls?: Syscalls;
  /** Directory for a tmpfs root's mount point (default the OS temp dir). */
  readonly tmpDir?: string;
  /** Where warnings go (a clamped rlimit, no cgroup for an unprivileged caller, ...); default process.emitWarning. */
  readonly warn?: (message: string) => void;
  /** The caller's hard limits and CAP_SYS_RESOURCE (default read from /proc/self). */
  readonly rlimitHost?: RlimitHost;
  /**
   * The container's cgroup, made by the caller (a runtime with its own policy for it): used instead of making one
   * from the spec's `cgroup`, and left to the caller to remove. `null`: the caller made none.
   */
  readonly cgroup?: ContainerCgroup | null;
}

function defaultWarn(message: string): void {
  process.emitWarning(message, { code: 'CT_CONFINEMENT' });
}

/** A running container. */
export interface ContainerHandle extends AsyncDisposable {
  /** PID 1 of the container, in the caller's pid namespace. */
  readonly pid: number;
  /** A pidfd for it. */
  readonly pidfd: number;
  /** The host directory its root was mounted on. */
  readonly rootDir: string | undefined;
  /**
   * Resolves when PID 1 exits (then the relays are removed and a temporary root dir deleted). `options.signal`
   * and `options.timeout` give up the wait (rejecting) without touching the container.
   */
  wait(options?: WaitOptions): Promise<ExitStatus>;
  /** Send a signal to PID 1 (default SIGKILL). */
  kill(signal?: NodeJS.Signals | number): void;
  /**
   * Resolves once the command is exec'd: at once, unless the spec has an `execFifo` (then runContainer resolved
   * at "created" and this waits for a reader of the FIFO); rejects with the failed step's NamespaceSetupError.
   */
  execed(): Promise<void>;
  /** The container's cgroup, when one was made. */
  readonly cgroup: ContainerCgroup | undefined;
  /** Streams of the stdio entries given as 'pipe' (undefined for the others). */
  readonly stdin: Writable | undefined;
  /** The process's stdout, when given as 'pipe'. */
  readonly stdout: Readable | undefined;
  /** The process's stderr, when given as 'pipe'. */
  readonly stderr: Readable | undefined;
  /** Let the caller's event loop end while the container runs (`create`); the container is not affected. */
  unref(): void;
  /** `await using c = await runContainer(…)`: at the end of the block, PID 1 is killed (SIGKILL) and reaped. */
  [Symbol.asyncDispose](): Promise<void>;
}

function makeRootDir(spec: ContainerSpec['root'], tmpDir: string): { dir: string | undefined; temporary: boolean } {
  if (spec === undefined || spec.kind === 'tmpfs') {
    if (spec?.dir !== undefined) return { dir: spec.dir, temporary: false };
    return { dir: mkdtempSync(join(tmpDir, 'ct-root-')), temporary: true };
  }
  return { dir: spec.kind === 'rootfs' ? spec.path : undefined, temporary: false };
}

interface ChildContext {
  readonly sys: Syscalls;
  readonly lifecycle: ContainerLifecycle;
  readonly idMaps: IdMapPlan | undefined;
  readonly options: RunOptions;
  readonly cgroup: ContainerCgroup | undefined;
}

/** The parent's part at each pause of a container's child. */
function pauseHandlers(ctx: ChildContext, helper: { current: LockHelper | undefined }): PauseHandlers {
  const { lifecycle } = ctx;
  const procRoot = ctx.options.procRoot ?? '/proc';
  return {
    'id-maps': async (pid) => {
      if (ctx.idMaps !== undefined) await writeIdMaps(pid, ctx.idMaps, ctx.options);
      await lifecycle.afterIdMaps?.(pid);
    },
    cgroup: (pid) => ctx.cgroup?.place(pid),
    namespaces: async (pid) => { await lifecycle.onNamespaces?.(pid); },
    'before-pivot-root': async (pid) => { await lifecycle.beforePivotRoot?.(pid); },
    'lock-mounts': async (pid) => {
      if (ctx.idMaps === undefined) throw new TypeError('runContainer: locking mounts without a user namespace');
      helper.current = await startLockHelper(ctx.sys, pid, ctx.idMaps, procRoot);
    },
    'lock-maps': async () => {
      await helper.current?.writeInnerMaps();
      helper.current = undefined;
    },
    'before-exec': async (pid) => { await lifecycle.beforeExec?.(pid); },
    created: () => undefined,
  };
}

/** Answer the child's pauses until it has exec'd (true) or was released from the "created" pause (false). */
async function driveChild(ctx: ChildContext, child: ChildHandle, described: readonly PlannedStep[]): Promise<boolean> {
  const helper: { current: LockHelper | undefined } = { current: undefined };
  try {
    return await drivePauses(child, described, pauseHandlers(ctx, helper), 'created');
  } catch (error) {
    helper.current?.abort();
    throw error;
  }
}

/** What a `cgroup` mount binds: the container's cgroup, else (for a cgroup mount) the caller's; in the host's mount order. */
function cgroupMountContext(
  mounts: readonly Mount[], namespaced: boolean, cgroup: ContainerCgroup | undefined, options: RunOptions,
): CgroupMountContext | undefined {
  const root = options.cgroupRoot ?? '/sys/fs/cgroup';
  const context = cgroup !== undefined ? { version: cgroup.version, paths: cgroup.paths, root }
    : mounts.some((m) => m.type === 'cgroup') ? ownCgroupMountContext(root, options.procRoot) : undefined;
  return context === undefined ? undefined : { ...inMountOrder(context, mountPoints(options.procRoot)), namespaced };
}

/** Open the exec FIFO O_PATH (the child reaches it as /proc/self/fd/N). */
function openExecFifo(path: string | undefined): number | undefined {
  if (path === undefined) return undefined;
  try {
    // O_PATH: it counts as neither reader nor writer of the FIFO.
    return openSync(path, O.PATH);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new SyscallError('open', Math.abs(e.errno ?? 2), { path }, { cause: error });
  }
}

/**
 * Start a container from `spec`; resolves once its command is exec'd, or with an `execFifo` once the container
 * is created (then `execed()` resolves after a reader opened the FIFO).
 */
export async function runContainer(
  spec: ContainerSpec, lifecycle: ContainerLifecycle = {}, options: RunOptions = {},
): Promise<ContainerHandle> {
  const pipes = openStdioPipes(spec.stdio);
  let s: ReturnType<typeof withDefaults>;
  try {
    s = withDefaults({ ...spec, ...(pipes.stdio === undefined ? {} : { stdio: pipes.stdio }) });
  } catch (error) {
    pipes.destroy();
    throw error;
  }
  const sys = options.syscalls ?? defaultSyscalls();
  const warn = options.warn ?? defaultWarn;
  const sourceKinds = statBindSources(s.mounts);
  const idContext = gatherIdMapContext(options, s.useSubordinateIds);
  const idMaps = isNewNamespace(s, 'user') ? planIdMaps(s, idContext) : undefined;
  const c = s.confinement;
  const rlimits = c.rlimits.length === 0 ? [] : clampRlimits(c.rlimits, options.rlimitHost ?? readRlimitHost(options.procRoot), warn);
  const seccomp = c.seccomp === undefined ? undefined : compileSeccomp(c.seccomp);
  if (seccomp !== undefined && seccomp.unknownNames.length > 0) warn(`seccomp: unknown syscalls skipped: ${seccomp.unknownNames.join(' ')}`);
  const root = makeRootDir(s.root, options.tmpDir ?? tmpdir());
  const given = options.cgroup !== undefined;
  let cgroup: ContainerCgroup | undefined = options.cgroup ?? undefined;
  let fifoFd: number | undefined;
  const cleanup = async (): Promise<void> => {
    // rmdir, never a recursive delete: the tmpfs lived in the container's mount namespace only.
    if (root.temporary && root.dir !== undefined) rmdirSync(root.dir);
    // A cgroup the caller made is the caller's to remove.
    if (cgroup !== undefined && !given) {
      cgroup.killAll();
      await cgroup.remove();
    }
  };
  let relay;
  let child: ChildHandle | undefined;
  let execed: boolean;
  let describedSteps: readonly PlannedStep[] = [];
  try {
    if (!given && c.cgroup !== undefined) cgroup = createContainerCgroup(c.cgroup, idContext.euid, warn, options);
    fifoFd = openExecFifo(c.execFifo);
    const { plan, described } = buildChildPlan(s, {
      idMaps,
      euid: idContext.euid,
      egid: idContext.egid,
      rootDir: root.dir ?? '/',
      sourceIsDirectory: (source) => sourceKinds.get(source) ?? true,
      hostDevices: presentHostDevices(),
      consoleTty: s.consoleTty === undefined ? callerTty(options.procRoot) : s.consoleTty ?? undefined,
      initPath: s.init ? initProgramPath() : undefined,
      pauseAfterIdMaps: lifecycle.afterIdMaps !== undefined,
      pauseAfterNamespaces: lifecycle.onNamespaces !== undefined,
      pauseBeforePivotRoot: lifecycle.beforePivotRoot !== undefined,
      pauseBeforeExec: lifecycle.beforeExec !== undefined,
      pauseForCgroup: cgroup !== undefined,
      cgroup: cgroupMountContext(s.mounts, hasNamespace(s, 'cgroup'), cgroup, options),
      kcore: existsSync(`${options.procRoot ?? '/proc'}/kcore`),
      warn,
      // mknod needs real root: no user namespace, new or joined (runc binds the devices with either), and not
      // running in one (a rootless engine's).
      mknodDevices: !hasNamespace(s, 'user') && idContext.euid === 0 && !runningInUserNamespace(options.procRoot),
      setgroupsDenied: idContext.setgroupsDenied === true,
      rootParentMount: root.dir === undefined ? '/' : mountPointOf(root.dir, options.procRoot),
      rlimits,
      ...(seccomp === undefined ? {} : { seccomp }),
      ...(fifoFd === undefined ? {} : { execFifoFd: fifoFd }),
    });
    relay = installSignalRelay(s.relayedSignals);
    try {
      child = await sys.spawn(plan);
    } catch (error) {
      // a step whose fd the parent opens first (the console socket, a namespace to join) failed there: that step's
      throw describeChildFailure(error, described, undefined, 'clone');
    } finally {
      // The child has its own copy now (or never will).
      if (fifoFd !== undefined) closeSync(fifoFd);
      fifoFd = undefined;
      pipes.closeChildEnds();
    }
    execed = await driveChild({ sys, lifecycle, idMaps, options, cgroup }, child, described);
    // Signals the caller got during the set-up were held: a paused child (SIG_DFL, PID 1 of its pid namespace)
    // would drop them, or die of them. Sent now that the command runs, and with ct-init once it has its handlers.
    if (execed && s.init) await waitInitReady(child.pid, options.procRoot);
    relay.attach(child);
    describedSteps = described;
    // Steps the child went on after (a session keyring the kernel has none of, or over quota).
    for (const w of child.warnings ?? []) warn(`${describeChildFailure(w, described, child.pid).message} (ignored)`);
  } catch (error) {
    if (fifoFd !== undefined) closeSync(fifoFd);
    if (child !== undefined) {
      child.kill('SIGKILL');
      await child.wait().catch(() => undefined);
    }
    relay?.remove();
    pipes.destroy();
    await cleanup().catch((cleanupError: unknown) => {
      throw new AggregateError([error, cleanupError], (error as Error).message);
    });
    throw error;
  }
  const running = child;
  const finalRelay = relay;
  let exited: Promise<ExitStatus> | undefined;
  let execPromise: Promise<void> | undefined;
  const wait = (options?: WaitOptions): Promise<ExitStatus> => {
    exited ??= running.wait().finally(async () => {
      finalRelay.remove();
      await cleanup();
    });
    return limitWait(exited, `container ${running.pid}`, options);
  };
  return {
    pid: running.pid,
    pidfd: running.pidfd,
    rootDir: root.dir,
    cgroup,
    ...pipes.streams,
    wait,
    kill(signal = 'SIGKILL') {
      running.kill(signal);
    },
    execed() {
      execPromise ??= execed ? Promise.resolve() : running.nextEvent().then(
        () => undefined,
        (error: unknown) => { throw describeChildFailure(error, describedSteps, running.pid); },
      );
      return execPromise;
    },
    unref() {
      running.unref?.();
    },
    async [Symbol.asyncDispose]() {
      try {
        running.kill('SIGKILL');
      } catch {
        // gone already
      }
      await wait().catch(() => undefined);
    },
  };
}
