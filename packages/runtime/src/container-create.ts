/**
 * `create <id>`: applies config.json except the user process and returns, leaving the init blocked before exec
 * on the exec FIFO in the state directory. The init is not kept as ct's child in any way that matters: ct exits
 * and the init is re-parented to the caller's subreaper (shim, conmon); it holds only the stdio the caller passed.
 * A failure leaves nothing behind (state directory removed, init killed), as the runtime-spec asks.
 *
 * Man pages: mkfifo(3), mknod(2), fifo(7).
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { AT, mknodat, S } from '@ct/syscalls';
import { readBundleConfig, type BundleConfig } from './config/bundle-config.js';
import { ConfigError, RuntimeError, errnoCode, systemError } from './errors.js';
import type { RuntimeContext } from './context.js';
import type { LaunchedInit } from './container-launch.js';
import { withLock } from './lock.js';
import { runHooks } from './hooks.js';
import { toContainerState } from './container-state.js';
import { removeCgroups } from './container-delete.js';
import { cgroupRootFromEnv, DEFAULT_CGROUP_ROOT, recordCgroup } from './container-cgroup.js';
import { userName } from './owner.js';
import { readProcStat } from './proc-stat.js';
import {
  containerPaths, ensureStateRoot, removeContainerDir, writeFileAtomic, writeRecord, type ContainerPaths, type ContainerRecord,
} from './state-store.js';

/** Options of `create` (runc's flags). */
export interface CreateOptions {
  /** --bundle (default: the current directory). */
  readonly bundle?: string | undefined;
  /** --pid-file: written atomically with the init's pid. */
  readonly pidFile?: string | undefined;
  /** --console-socket (issue 9: refused for now unless process.terminal is false, where runc ignores it). */
  readonly consoleSocket?: string | undefined;
  /** --pidfd-socket: refused for now (a caller would wait on the socket for a pidfd that never comes). */
  readonly pidfdSocket?: string | undefined;
  /** --no-pivot (accepted; ct always uses pivot_root for now). */
  readonly noPivot?: boolean | undefined;
  /** --no-new-keyring: the container keeps the caller's session keyring instead of a new one. */
  readonly noNewKeyring?: boolean | undefined;
  /** --preserve-fds N: fds 3..3+N-1 go to the container. */
  readonly preserveFds?: number | undefined;
  /** Relay the caller's signals to the init (`run` in the foreground). */
  readonly relaySignals?: boolean | undefined;
  /**
   * Foreground `run`: process.terminal without --console-socket makes ct hold the pty (as runc): called for the path
   * of a socket ct listens on, to which the child sends the master. Without it, such a config is refused.
   */
  readonly ownTerminal?: (() => Promise<string>) | undefined;
  /** The environment to read LISTEN_FDS and CT_CGROUP_ROOT from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A created container: its record and, in the creating process, the init handle (used by `run`). */
export interface CreatedContainer {
  readonly record: ContainerRecord;
  readonly init: LaunchedInit;
}

function checkProcess(config: BundleConfig, options: CreateOptions): void {
  if (config.process === undefined) throw new ConfigError('process', 'missing: create needs a process to run');
  if (config.process.args.length === 0) throw new ConfigError('process.args', 'empty');
  if (!config.process.terminal) return;
  if (options.consoleSocket !== undefined || options.ownTerminal !== undefined) return;
  // runc's words: only a foreground run can hold the pty itself
  throw new RuntimeError('EUSAGE', 'cannot allocate tty if ct will detach without setting console socket');
}

function makeStateDir(paths: ContainerPaths, id: string): void {
  try {
    mkdirSync(paths.dir, { mode: 0o711 });
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') throw new RuntimeError('ECONTAINEREXISTS', 'container with given ID already exists', { cause: err });
    throw systemError('create state dir', paths.dir, err);
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

/** Create container `id` from the bundle; returns once the init waits on the exec FIFO. */
export async function createContainer(ctx: RuntimeContext, id: string, options: CreateOptions = {}): Promise<CreatedContainer> {
  const paths = containerPaths(ctx.stateRoot.path, id);
  if (options.pidfdSocket !== undefined) throw new RuntimeError('EUSAGE', 'create: --pidfd-socket is not supported yet');
  const config = readBundleConfig(options.bundle ?? process.cwd());
  checkProcess(config, options);
  ensureStateRoot(ctx.stateRoot.path);
  makeStateDir(paths, id);
  let init: LaunchedInit | undefined;
  let cgroupPaths: readonly string[] = [];
  let cgroupParents: readonly string[] = [];
  try {
    return await withLock(paths.lock, async () => {
      const base: ContainerRecord = {
        ociVersion: config.ociVersion, id, pid: 0, initStartTime: '0', bundle: config.bundle, rootfs: config.rootfs,
        created: new Date().toISOString(), owner: userName(ctx.identity.euid), annotations: config.annotations,
        creating: true, creator: { pid: process.pid, startTime: String(readProcStat(process.pid)?.startTime ?? 0n) },
        rootless: ctx.rootless,
      };
      writeRecord(paths, base);
      writeFileAtomic(paths.config, config.text);
      try {
        mknodat(AT.FDCWD, paths.execFifo, S.IFIFO | 0o622);
        // not masked by our umask: the container's user (any uid) must be able to open it for writing
        chmodSync(paths.execFifo, 0o622);
      } catch (err) {
        throw systemError('create exec fifo', paths.execFifo, err);
      }
      const env = options.env ?? process.env;
      const listenFds = listenFdCount(env);
      // @ct/namespaces is loaded only by the verbs that launch: state, kill and delete stay light
      const { launchInit } = await import('./container-launch.js');
      init = await launchInit(config, {
        // prestart and createRuntime hooks: after the namespaces exist, before pivot_root (runtime-spec order)
        beforePivotRoot: config.hooks.prestart === undefined && config.hooks.createRuntime === undefined ? undefined : async (pid) => {
          const state = { ...toContainerState(base, 'creating'), pid };
          for (const kind of ['prestart', 'createRuntime'] as const) await runHooks(config.hooks, kind, state, pid);
        },
        id, consoleSocket: config.process?.terminal === true ? options.consoleSocket ?? await options.ownTerminal?.() : undefined,
        execFifo: paths.execFifo, extraFds: listenFds + (options.preserveFds ?? 0), rootless: ctx.rootless,
        // the container sees its sockets as its own (runc does the same)
        extraEnv: listenFds > 0 ? [`LISTEN_FDS=${listenFds}`, 'LISTEN_PID=1'] : [],
        relaySignals: options.relaySignals ?? false, warn: (msg) => ctx.logger.log('debug', msg), cgroupRoot: cgroupRootFromEnv(env),
        noNewKeyring: options.noNewKeyring === true,
      });
      const stat = readProcStat(init.pid);
      if (stat === undefined) throw new RuntimeError('ESETUP', `create: init ${init.pid} exited before exec`);
      const { creating: _creating, creator: _creator, ...rest } = base;
      const record: ContainerRecord = {
        ...rest, pid: init.pid, initStartTime: String(stat.startTime),
        ...recordCgroup(init.cgroup, cgroupRootFromEnv(env)),
        ...(options.noNewKeyring === true ? { noNewKeyring: true as const } : {}),
        ...(Object.keys(config.hooks).length > 0 ? { hooks: config.hooks } : {}),
      };
      writeRecord(paths, record);
      cgroupPaths = init.cgroup?.paths ?? [];
      cgroupParents = init.cgroup?.parents ?? [];
      if (record.hooks !== undefined) {
        // a failing hook stops and destroys the container (below), its error naming the hook
        const state = toContainerState(record, 'created');
        await runHooks(record.hooks, 'createContainer', state, init.pid);
      }
      if (options.pidFile !== undefined) writeFileAtomic(resolve(options.pidFile), String(init.pid), 0o644);
      ctx.logger.log('debug', `created ${id}: init ${init.pid}`);
      return { record, init };
    });
  } catch (err) {
    init?.kill(9);
    if (cgroupPaths.length > 0) await removeCgroups(cgroupPaths, cgroupRootFromEnv(options.env ?? process.env) !== DEFAULT_CGROUP_ROOT, cgroupParents).catch(() => undefined);
    removeContainerDir(paths);
    throw err;
  }
}
