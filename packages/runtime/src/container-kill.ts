/**
 * `kill <id> [signal]` (default SIGTERM; names and numbers; `--all`: the init's pid namespace and its cgroup): only a
 * created or running (or paused) container can be signalled, anything else is "container not running" as engines
 * expect; except with `--all`, where a stopped container is not an error (runc 1.2 ignores "not running" with
 * --all, and containerd's shim sends `kill --all` after the init exited): whatever is left in its cgroup (processes
 * exec'd into a shared pid namespace outlive the init) is still signalled.
 *
 * Man pages: kill(2), signal(7).
 */
import type { RuntimeContext } from './context.js';
import { signalCgroup } from './container-cgroup.js';
import { deriveStatus } from './container-status.js';
import { RuntimeError } from './errors.js';
import { withLock } from './lock.js';
import { signalAll, signalProcess } from './process-signal.js';
import { parseSignal } from './signals.js';
import { containerPaths, readRecord } from './state-store.js';

/** Options of `kill`. */
export interface KillOptions {
  /** Signal every process of the container, not only the init. */
  readonly all?: boolean;
}

/**
 * Send a signal (name or number, default TERM) to the container's init, or to all its processes.
 * @throws RuntimeError EUSAGE (an id that is not a plain name), ContainerNotFoundError (ENOCONTAINER),
 *   RuntimeError EUSAGE (an unknown signal), ENOTRUNNING (stopped, without `all`).
 */
export async function killContainer(ctx: RuntimeContext, id: string, signal = 'SIGTERM', options: KillOptions = {}): Promise<void> {
  const signo = parseSignal(signal);
  const paths = containerPaths(ctx.stateRoot.path, id);
  readRecord(paths, id); // "does not exist" before anything else
  await withLock(paths.lock, async () => {
    const record = readRecord(paths, id);
    const status = deriveStatus(record, paths);
    const live = status === 'created' || status === 'running' || status === 'paused';
    if (!live && options.all !== true) throw new RuntimeError('ENOTRUNNING', 'container not running');
    const init = { pid: record.pid, startTime: record.initStartTime };
    if (options.all !== true) await signalProcess(init, signo);
    else {
      // the init may exit meanwhile: with --all that is not an error either
      if (live) await signalAll(init, signo).catch((err: unknown) => { if (!(err instanceof RuntimeError && err.code === 'ENOTRUNNING')) throw err; });
      signalCgroup(record, signo);
    }
  });
}
