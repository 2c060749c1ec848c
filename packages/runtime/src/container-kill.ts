/**
 * `kill <id> [signal]` (default SIGTERM; names and numbers; `--all`: the init's pid namespace and its cgroup): only a created or running (or paused)
 * container can be signalled, anything else is "container not running" as engines expect.
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

/** Send a signal (name or number, default TERM) to the container's init, or to all its processes. */
export async function killContainer(ctx: RuntimeContext, id: string, signal = 'SIGTERM', options: KillOptions = {}): Promise<void> {
  const signo = parseSignal(signal);
  const paths = containerPaths(ctx.stateRoot.path, id);
  readRecord(paths, id); // "does not exist" before anything else
  await withLock(paths.lock, async () => {
    const record = readRecord(paths, id);
    const status = deriveStatus(record, paths);
    if (status !== 'created' && status !== 'running' && status !== 'paused') {
      throw new RuntimeError('ENOTRUNNING', 'container not running');
    }
    const init = { pid: record.pid, startTime: record.initStartTime };
    if (options.all === true) {
      await signalAll(init, signo);
      signalCgroup(record, signo);
    }
    else await signalProcess(init, signo);
  });
}
