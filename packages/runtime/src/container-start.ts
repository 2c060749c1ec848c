/**
 * `start <id>`: releases a created container's init from the exec FIFO. The FIFO is opened for reading without
 * blocking (the init's blocking open for writing then returns), unlinked (from now on the status is `running`),
 * and read until the init writes its byte or closes the FIFO by exec (O_CLOEXEC) or by dying.
 *
 * Man pages: fifo(7), open(2) (O_NONBLOCK on FIFOs).
 */
import { constants, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import type { RuntimeContext } from './context.js';
import { deriveStatus } from './container-status.js';
import { RuntimeError, systemError } from './errors.js';
import { withLock } from './lock.js';
import { containerPaths, readRecord } from './state-store.js';

/** How long start waits for the init to take the FIFO handshake. */
const handshakeTimeoutMs = 10_000;

function awaitHandshake(fd: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const sock = new Socket({ fd, readable: true, writable: false });
    const done = (err?: Error): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err === undefined) resolvePromise();
      else reject(err);
    };
    const timer = setTimeout(() => done(new RuntimeError('ESETUP', 'start: exec fifo: the init did not answer')), handshakeTimeoutMs);
    sock.once('data', () => done());
    sock.once('end', () => done());
    sock.once('error', (err) => done(err));
  });
}

/** Start container `id` (it must be `created`). */
export async function startContainer(ctx: RuntimeContext, id: string): Promise<void> {
  const paths = containerPaths(ctx.stateRoot.path, id);
  readRecord(paths, id);
  await withLock(paths.lock, async () => {
    const record = readRecord(paths, id);
    const status = deriveStatus(record, paths);
    if (status === 'stopped') throw new RuntimeError('EBADSTATE', 'cannot start a container that has stopped');
    if (status === 'running') throw new RuntimeError('EBADSTATE', 'cannot start an already running container');
    if (status !== 'created') throw new RuntimeError('EBADSTATE', `cannot start a container in the ${status} state`);
    let fd: number;
    try {
      fd = openSync(paths.execFifo, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      throw systemError('start: open exec fifo', paths.execFifo, err);
    }
    rmSync(paths.execFifo, { force: true });
    await awaitHandshake(fd);
    ctx.logger.log('debug', `started ${id}: init ${record.pid}`);
  });
}
