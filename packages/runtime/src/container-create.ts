/**
 * `create <id>`: applies config.json except the user process and returns, leaving the init blocked before exec
 * on the exec FIFO in the state directory. The init is not kept as ct's child in any way that matters: ct exits
 * and the init is re-parented to the caller's subreaper (shim, conmon); it holds only the stdio the caller passed.
 * A failure leaves nothing behind (state directory removed, init killed, cgroup removed), as the runtime-spec asks.
 *
 * Crash safety (issue 24): every resource is named in the state record before it exists. The first record (written
 * before anything else) holds the creator and the cgroup directories the launch may make (@ct/namespaces'
 * plannedCgroupDirs, the v1 hierarchies and the hybrid layout's v2 mount), so
 * `delete` of a create killed at any point finds them, and the init in them; the record naming the init's pid is
 * written as soon as the launch returns. `CT_TEST_STOP_AT` (test-stop.ts) stops ct at each of these steps for the
 * fault-injection tests.
 *
 * The order of the runtime-spec: the namespaces and mounts are made, then, at the launch's pause before pivot_root,
 * process.scheduler and process.ioPriority are set on the init (process-scheduling.ts), then
 * the prestart, createRuntime (ct's namespaces) and createContainer hooks (the container's namespaces; the path
 * resolves in the mount namespace before pivot_root, as runc runs it), all with status `creating`; after the launch
 * the program is looked up in the container (runc's exec.LookPath: a missing one fails create, as with runc).
 *
 * Man pages: mkfifo(3), mknod(2), fifo(7).
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { AT, mknodat, S } from '@ct/syscalls';
import { readBundleConfig, type BundleConfig } from './config/bundle-config.js';
import { withDeviceCgroup } from './config/config-resources.js';
import { checkCgroupFields } from './config/config-resources-host.js';
import { ConfigError, ExecProgramError, RuntimeError, errnoCode, systemError } from './errors.js';
import type { RuntimeContext } from './context.js';
import type { LaunchedInit } from './container-launch.js';
import { withLock } from './lock.js';
import { hookState, runHooksFailing } from './hook-state.js';
import { removeCgroups } from './container-delete.js';
import { cgroupRootFromEnv, DEFAULT_CGROUP_ROOT, recordCgroup } from './container-cgroup.js';
import { lookupInProcessRoot } from './program-lookup.js';
import { applyScheduling, hasScheduling } from './process-scheduling.js';
import { userName } from './owner.js';
import { readProcStat } from './proc-stat.js';
import { stopForTest } from './test-stop.js';
import {
  containerPaths, ensureStateRoot, removeContainerDir, writeFileAtomic, writeRecord, type ContainerPaths, type ContainerRecord,
} from './state-store.js';

/** Options of `create` (runc's flags). */
export interface CreateOptions {
  /** --bundle (default: the current directory). */
  readonly bundle?: string | undefined;
  /** --pid-file: written atomically with the init's pid. */
  readonly pidFile?: string | undefined;
  /** --console-socket: receives the pty master when process.terminal is true (runc ignores it otherwise). */
  readonly consoleSocket?: string | undefined;
  /** --pidfd-socket: refused for now (a caller would wait on the socket for a pidfd that never comes). */
  readonly pidfdSocket?: string | undefined;
  /** --no-pivot: the root is entered with chroot(2) after moving it over / (runc's msMoveRoot), not pivot_root. */
  readonly noPivot?: boolean | undefined;
  /** --no-new-keyring: the container keeps the caller's session keyring instead of a new one. */
  readonly noNewKeyring?: boolean | undefined;
  /** --preserve-fds N: fds 3..3+N-1 go to the container. */
  readonly preserveFds?: number | undefined;
  /** The fds the container gets as its stdin, stdout and stderr (default: ours, 0 1 2; a restart's new pipes). */
  readonly stdio?: readonly [number, number, number] | undefined;
  /** Relay the caller's signals to the init (`run` in the foreground). */
  readonly relaySignals?: boolean | undefined;
  /**
   * Foreground `run`: process.terminal without --console-socket makes ct hold the pty (as runc): called for the path
   * of a socket ct listens on, to which the child sends the master. Without it, such a config is refused.
   */
  readonly ownTerminal?: (() => Promise<string>) | undefined;
  /** The environment to read LISTEN_FDS, CT_CGROUP_ROOT and CT_TEST_STOP_AT from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Called with the child's pid once its namespaces exist, before it mounts (`ct container run`'s pasta starts
   * there: network/network-attach.ts); a failure fails the create.
   */
  readonly onNamespaces?: ((pid: number) => Promise<void>) | undefined;
}

/** A created container: its record and, in the creating process, the init handle (used by `run`). */
export interface CreatedContainer {
  readonly record: ContainerRecord;
  readonly init: LaunchedInit;
}

function checkProcess(config: BundleConfig, options: CreateOptions): void {
  const p = config.process;
  if (p === undefined) throw new ConfigError('process', 'missing: create needs a process to run');
  if (p.args.length === 0) throw new ConfigError('process.args', 'empty');
  if (!p.terminal) return;
  if (options.consoleSocket !== undefined || options.ownTerminal !== undefined) return;
  // runc's words: only a foreground run can hold the pty itself
  throw new RuntimeError('EUSAGE', 'cannot allocate tty if ct will detach without setting console socket');
}

function makeStateDir(paths: ContainerPaths): void {
  try {
    mkdirSync(paths.dir, { mode: 0o711 });
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') throw new RuntimeError('ECONTAINEREXISTS', 'container with given ID already exists', { cause: err });
    throw systemError('create state dir', paths.dir, err);
  }
}

function makeExecFifo(paths: ContainerPaths): void {
  try {
    mknodat(AT.FDCWD, paths.execFifo, S.IFIFO | 0o622);
    // not masked by our umask: the container's user (any uid) must be able to open it for writing
    chmodSync(paths.execFifo, 0o622);
  } catch (err) {
    throw systemError('create exec fifo', paths.execFifo, err);
  }
}

/**
 * Socket-activation fds for us (systemd's protocol, as runc reads it): LISTEN_FDS counts them, and they are ours only
 * when LISTEN_PID is our pid.
 */
function listenFdCount(env: Readonly<Record<string, string | undefined>>): number {
  const count = Number(env['LISTEN_FDS'] ?? '0');
  if (env['LISTEN_PID'] !== String(process.pid) || !Number.isInteger(count) || count <= 0) return 0;
  return count;
}

/** runc refuses at create a program the init would not find (exec.LookPath in the container), in its words. */
function checkProgram(config: BundleConfig, pid: number): void {
  const p = config.process;
  if (p === undefined) return;
  const lookup = lookupInProcessRoot(pid, p.args[0] ?? '', p.env, p.cwd);
  if (lookup?.found === false) throw new ExecProgramError(lookup.status, `unable to start container process: ${lookup.reason}`);
}

/**
 * Create container `id` from the bundle; returns once the init waits on the exec FIFO. On failure nothing is left
 * (the init killed, its cgroup and state directory removed).
 * @throws RuntimeError EUSAGE (a bad id, `pidfdSocket`, a terminal without a console socket),
 *   ECONTAINEREXISTS, ECONFIG (`ConfigError` naming the config.json field; a linux.resources limit or cgroupsPath
 *   the host's cgroups cannot take, config-resources-host.ts), ESETUP (a create-time hook failed; the
 *   init exited before exec; the program cannot be found, in runc's words, as an `ExecProgramError`), ESYSTEM (the
 *   state directory); the launch's own errors as @ct/namespaces throws them (re-exported here): NamespaceSetupError
 *   (NAMESPACE_SETUP, a child step failed, its cause the SyscallError; the message led by the config.json field the
 *   step applied, `mounts[3]: ...`, when one did), ContainerSpecError, IdMapError, CgroupError.
 * @example
 * ```ts
 * import { containerState, createContainer, createContext, startContainer } from '@ct/runtime';
 * const ctx = createContext({});
 * await createContainer(ctx, 'web', { bundle: '/srv/bundles/web' }); // the init waits in ct-exec-fifo
 * await startContainer(ctx, 'web');
 * console.log(containerState(ctx, 'web').status); // running
 * ```
 */
export async function createContainer(ctx: RuntimeContext, id: string, options: CreateOptions = {}): Promise<CreatedContainer> {
  const paths = containerPaths(ctx.stateRoot.path, id);
  if (options.pidfdSocket !== undefined) throw new RuntimeError('EUSAGE', 'create: --pidfd-socket is not supported yet');
  const config = withDeviceCgroup(readBundleConfig(options.bundle ?? process.cwd()), ctx.rootless, (m) => ctx.logger.log('debug', m));
  checkProcess(config, options);
  const env = options.env ?? process.env;
  const cgroupRoot = cgroupRootFromEnv(env);
  // a limit or cgroupsPath this host's cgroups cannot take is refused naming it, before anything is made (as runc)
  checkCgroupFields(config.confinement, { root: cgroupRoot, rootless: ctx.rootless });
  ensureStateRoot(ctx.stateRoot.path);
  makeStateDir(paths);
  let init: LaunchedInit | undefined;
  try {
    return await withLock(paths.lock, async () => {
      // @ct/namespaces is loaded only by the verbs that launch: state, kill and delete stay light
      const { cgroupPlacement, launchInit } = await import('./container-launch.js');
      const { plannedCgroupDirs } = await import('@ct/namespaces/engine');
      const base: ContainerRecord = {
        ociVersion: config.ociVersion, id, pid: 0, initStartTime: '0', bundle: config.bundle, rootfs: config.rootfs,
        created: new Date().toISOString(), owner: userName(ctx.identity.euid), annotations: config.annotations,
        creating: true, creator: { pid: process.pid, startTime: String(readProcStat(process.pid)?.startTime ?? 0n) },
        rootless: ctx.rootless,
        // before the launch makes any: what it may make, for a delete after a crash
        cgroupPlanned: plannedCgroupDirs(cgroupPlacement(config.confinement.cgroupsPath, id), { cgroupRoot }),
        ...(cgroupRoot === DEFAULT_CGROUP_ROOT ? {} : { cgroupRoot }),
      };
      writeRecord(paths, base);
      writeFileAtomic(paths.config, config.text);
      makeExecFifo(paths);
      stopForTest('after-record', env);
      const listenFds = listenFdCount(env);
      const createHooks = (['prestart', 'createRuntime', 'createContainer'] as const).filter((k) => (config.hooks[k] ?? []).length > 0);
      const pause = createHooks.length > 0 || hasScheduling(config.process) || env['CT_TEST_STOP_AT'] === 'in-launch';
      init = await launchInit(config, {
        // at the pause after the namespaces and mounts exist, before pivot_root (and before the init changes its ids):
        // the scheduling attributes, then the create-time hooks
        beforePivotRoot: !pause ? undefined : async (pid) => {
          stopForTest('in-launch', env);
          if (config.process !== undefined) await applyScheduling(pid, config.process);
          for (const kind of createHooks) await runHooksFailing(config.hooks, kind, hookState(base, kind, pid), pid, {
            bundle: config.bundle, rootfs: config.rootfs, ...(config.process === undefined ? {} : { processEnv: config.process.env }),
          });
        },
        id, consoleSocket: config.process?.terminal === true ? options.consoleSocket ?? await options.ownTerminal?.() : undefined,
        execFifo: paths.execFifo, extraFds: listenFds + (options.preserveFds ?? 0), rootless: ctx.rootless,
        // the container sees its sockets as its own (runc does the same)
        extraEnv: listenFds > 0 ? [`LISTEN_FDS=${listenFds}`, 'LISTEN_PID=1'] : [],
        relaySignals: options.relaySignals ?? false, warn: (msg) => ctx.logger.log('debug', msg), cgroupRoot,
        noNewKeyring: options.noNewKeyring === true, noPivot: options.noPivot === true, onNamespaces: options.onNamespaces,
        stdio: options.stdio,
      });
      stopForTest('after-launch', env);
      // TODO: written in LaunchOptions.onCreated (launch's) while the child still dies with us (PR_SET_PDEATHSIG)
      const stat = readProcStat(init.pid);
      if (stat === undefined) throw new RuntimeError('ESETUP', `create: init ${init.pid} exited before exec`);
      const { creating: _creating, creator: _creator, cgroupPlanned: _planned, ...rest } = base;
      const record: ContainerRecord = {
        ...rest, pid: init.pid, initStartTime: String(stat.startTime),
        ...recordCgroup(init.cgroup, cgroupRoot),
        ...(options.noNewKeyring === true ? { noNewKeyring: true as const } : {}),
        ...(Object.keys(config.hooks).length > 0 ? { hooks: config.hooks } : {}),
      };
      writeRecord(paths, record);
      stopForTest('after-record-pid', env);
      checkProgram(config, init.pid);
      if (options.pidFile !== undefined) writeFileAtomic(resolve(options.pidFile), String(init.pid), 0o644);
      ctx.logger.log('debug', `created ${id}: init ${init.pid}`);
      return { record, init };
    });
  } catch (err) {
    // we are alive: what exists is known (the launch removed its cgroup itself if it failed); the planned cgroups
    // in the record are for a delete after a create that died, not for this
    init?.kill(9);
    if (init?.cgroup !== undefined) {
      await removeCgroups(init.cgroup.paths, cgroupRoot !== DEFAULT_CGROUP_ROOT, init.cgroup.parents).catch((cleanup: unknown) => {
        ctx.logger.log('warning', `create: cleanup: ${cleanup instanceof Error ? cleanup.message : String(cleanup)}`);
      });
    }
    removeContainerDir(paths);
    throw err;
  }
}
