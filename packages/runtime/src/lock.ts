/**
 * The per-container lock: commands on one id are serialised (issue 8). An exclusive flock(2) on the `lock` file
 * of the container's state directory, taken on a libuv worker thread (@ct/syscalls' `flock`), so a second `ct`
 * waits without blocking its event loop; the kernel drops the lock when the holder dies (a shim's Pdeathsig).
 * @ct/syscalls (the addon) is loaded here on first use, so `state` and `list`, which take no lock, never load it.
 *
 * Man pages: flock(2).
 */
import { closeSync, openSync } from 'node:fs';
import { systemError } from './errors.js';

/** A held lock. */
export interface ContainerLock {
  /** Release the lock (idempotent). */
  release(): void;
}

/** Take the exclusive lock at `path` (created if missing; its directory must exist), waiting while it is held. */
export async function acquireLock(path: string): Promise<ContainerLock> {
  let fd: number;
  try {
    fd = openSync(path, 'a', 0o600);
  } catch (err) {
    throw systemError('lock', path, err);
  }
  try {
    const { flock, LOCK } = await import('@ct/syscalls');
    await flock(fd, LOCK.EX);
  } catch (err) {
    closeSync(fd);
    throw systemError('lock', path, err);
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      closeSync(fd);
    },
  };
}

/** Run `fn` holding the lock at `path`. */
export async function withLock<T>(path: string, fn: () => Promise<T> | T): Promise<T> {
  const lock = await acquireLock(path);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
