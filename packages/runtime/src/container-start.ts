/**
 * `start <id>`: releases a created container from the exec FIFO. ct-exec-fifo, the container's program until now,
 * opens the FIFO for writing (blocking until there is a reader), writes "0" and execs the user program. start
 * opens the FIFO read-write without blocking: being a reader lets the writer's open return whenever it comes (even
 * if ct-exec-fifo has not reached its open yet), and being a writer too means the read never ends in an early
 * EOF. The FIFO is unlinked (from then on the status is `running`) and start waits for the byte, checking that the
 * init is still alive.
 *
 * Man pages: fifo(7), open(2) (O_NONBLOCK on FIFOs).
 */
import { constants, openSync, readSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import type { RuntimeContext } from './context.js';
import { deriveStatus, isInitAlive } from './container-status.js';
import { RuntimeError, systemError } from './errors.js';
import { withLock } from './lock.js';
import { hookState, runHooksFailing, runHooksWarning } from './hook-state.js';
import { signalProcess } from './process-signal.js';
import { containerPaths, readRecord } from './state-store.js';

/** How long start waits for the init to take the FIFO handshake. */
const handshakeTimeoutMs = 10_000;

/** Whether the init's byte is in the FIFO (a non-blocking read; the socket has not consumed it yet). */
function byteWaiting(fd: number): boolean {
  try {
    return readSync(fd, Buffer.alloc(1)) === 1;
  } catch {
    return false; // EAGAIN: nothing written
  }
}

function awaitHandshake(fd: number, alive: () => boolean): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const sock = new Socket({ fd, readable: true, writable: false });
    const started = Date.now();
    const done = (err?: Error): void => {
      clearInterval(timer);
      sock.destroy();
      if (err === undefined) resolvePromise();
      else reject(err);
    };
    const timer = setInterval(() => {
      // a quick program may have taken the handshake and exited before the byte's 'data' event came: read it here
      if (!alive()) done(byteWaiting(fd) ? undefined : new RuntimeError('ENOTRUNNING', 'start: the container init exited before it was started'));
      else if (Date.now() - started > handshakeTimeoutMs) done(new RuntimeError('ESETUP', 'start: exec fifo: the init did not answer'));
    }, 20);
    sock.once('data', () => done());
    sock.once('error', (err) => done(err));
  });
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
    let fd: number;
    try {
      fd = openSync(paths.execFifo, constants.O_RDWR | constants.O_NONBLOCK);
    } catch (err) {
      throw systemError('start: open exec fifo', paths.execFifo, err);
    }
    rmSync(paths.execFifo, { force: true });
    await awaitHandshake(fd, () => isInitAlive(record));
    ctx.logger.log('debug', `started ${id}: init ${record.pid}`);
    // a failing poststart hook is a warning (runtime-spec): the container keeps running, the other hooks still run
    await runHooksWarning(hooks, 'poststart', hookState(record, 'poststart', record.pid), record.pid, (m) => ctx.logger.log('warning', m));
  });
}
