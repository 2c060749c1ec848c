/**
 * `start <id>`: releases a created container from the exec FIFO. ct-exec-fifo, the container's program until now,
 * holds the FIFO open read-write from before the clone (container-launch.ts) and blocks reading it. start opens the
 * FIFO for writing without blocking (ENXIO: no reader, so the init is gone), unlinks it (from then on the status is
 * `running`), writes "0" and waits until the init has closed its end, which it does right before it execs the user
 * program: then a write fails with EPIPE. So start returns once the program is being exec'd, as runc's start returns
 * once its init wrote the byte; nothing in the container reopens the FIFO by path, so a container without /proc
 * starts too (runc 1.1.5 cannot: its init reopens the FIFO through /proc/self/fd).
 *
 * Man pages: fifo(7), pipe(7) (EPIPE without readers), open(2) (O_NONBLOCK on FIFOs: ENXIO).
 */
import { closeSync, constants, openSync, rmSync, writeSync } from 'node:fs';
import type { RuntimeContext } from './context.js';
import { deriveStatus } from './container-status.js';
import { RuntimeError, systemError } from './errors.js';
import { withLock } from './lock.js';
import { hookState, runHooksFailing, runHooksWarning } from './hook-state.js';
import { signalProcess } from './process-signal.js';
import { containerPaths, readRecord } from './state-store.js';

/** How long start waits for the init to take the byte. */
const handshakeTimeoutMs = 10_000;

/** Whether every reader of the FIFO behind write end `fd` has closed it (a one-byte write fails with EPIPE). */
function readersGone(fd: number): boolean {
  try {
    writeSync(fd, '0'); // a reader is still there: the init reads one byte, the rest goes with the FIFO
    return false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') return true;
    if (code === 'EAGAIN') return false;
    throw err;
  }
}

/** Release the init waiting on `fifo`: write "0", wait until it closed the FIFO (it execs right after). */
async function releaseInit(fifo: string): Promise<void> {
  let fd: number;
  try {
    fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENXIO') throw new RuntimeError('ENOTRUNNING', 'start: the container init exited before it was started');
    throw systemError('start: open exec fifo', fifo, err);
  }
  try {
    rmSync(fifo, { force: true });
    const started = Date.now();
    for (let delay = 1; !readersGone(fd); delay = Math.min(delay * 2, 20)) {
      if (Date.now() - started > handshakeTimeoutMs) throw new RuntimeError('ESETUP', 'start: exec fifo: the init did not answer');
      await new Promise((r) => setTimeout(r, delay));
    }
  } catch (err) {
    throw err instanceof RuntimeError ? err : systemError('start: write exec fifo', fifo, err);
  } finally {
    closeSync(fd);
  }
}

/**
 * Start container `id` (it must be `created`): run its startContainer hooks, then release the init from the exec
 * FIFO; a failing poststart hook is a warning.
 * @throws RuntimeError EUSAGE (an id that is not a plain name), ContainerNotFoundError (ENOCONTAINER),
 *   RuntimeError EBADSTATE (not created), ESETUP (a startContainer hook failed: the init is killed; the init did
 *   not answer), ENOTRUNNING (the init exited before it was started), ESYSTEM.
 */
export async function startContainer(ctx: RuntimeContext, id: string): Promise<void> {
  const paths = containerPaths(ctx.stateRoot.path, id);
  readRecord(paths, id);
  await withLock(paths.lock, async () => {
    const record = readRecord(paths, id);
    const status = deriveStatus(record, paths);
    if (status === 'stopped') throw new RuntimeError('EBADSTATE', 'cannot start a container that has stopped');
    if (status === 'running') throw new RuntimeError('EBADSTATE', 'cannot start an already running container');
    if (status !== 'created') throw new RuntimeError('EBADSTATE', `cannot start a container in the ${status} state`);
    const hooks = record.hooks;
    try {
      await runHooksFailing(hooks, 'startContainer', hookState(record, 'startContainer', record.pid), record.pid);
    } catch (err) {
      // the program must not run after a failed startContainer hook (runc fails start the same way)
      await signalProcess({ pid: record.pid, startTime: record.initStartTime }, 9).catch(() => undefined);
      throw err;
    }
    await releaseInit(paths.execFifo);
    ctx.logger.log('debug', `started ${id}: init ${record.pid}`);
    // a failing poststart hook is a warning (runtime-spec): the container keeps running, the other hooks still run
    await runHooksWarning(hooks, 'poststart', hookState(record, 'poststart', record.pid), record.pid, (m) => ctx.logger.log('warning', m));
  });
}
