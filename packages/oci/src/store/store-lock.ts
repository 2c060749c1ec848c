/**
 * Store locks: one flock(2) on `store.lock` (shared to read records and start containers, exclusive to commit an
 * import, remove or prune), and one exclusive flock per staging dir (`tmp/<name>.lock`), held for the whole import
 * so a later import can tell a live staging dir from one a killed import left (its lock is free) and clear it.
 * The kernel drops a dead holder's locks, so a SIGKILL never leaves the store locked.
 * Man pages: flock(2).
 */
import { closeSync, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LOCK, flock, flockTry } from '@ct/syscalls';
import { removeTree } from '../tree-remove.js';
import type { StorePaths } from './store-paths.js';

/** A held lock; `release` closes its fd (idempotent). */
export interface HeldLock {
  release(): void;
}

/** Create the store's directories (mode 0700 for the root: layers hold files of the caller's subuids). */
export function ensureStore(paths: StorePaths): void {
  mkdirSync(paths.root, { recursive: true, mode: 0o700 });
  for (const dir of [paths.blobs, paths.layers, paths.images, paths.containers, paths.tmp]) mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Take a flock on `file` (created if missing), waiting on a worker thread. */
export async function lockFile(file: string, mode: 'shared' | 'exclusive'): Promise<HeldLock> {
  const fd = openSync(file, 'a', 0o600);
  try {
    await flock(fd, mode === 'shared' ? LOCK.SH : LOCK.EX);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  let held = true;
  return { release() { if (held) { held = false; closeSync(fd); } } };
}

/** Run `fn` holding the store lock in `mode`. */
export async function withStoreLock<T>(paths: StorePaths, mode: 'shared' | 'exclusive', fn: () => Promise<T> | T): Promise<T> {
  ensureStore(paths);
  const lock = await lockFile(paths.lock, mode);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/**
 * Remove the staging dirs of dead imports: `tmp/X` whose `tmp/X.lock` can be locked right now (or is missing).
 * Returns the names removed.
 */
export async function clearStaleStaging(paths: StorePaths): Promise<string[]> {
  const removed: string[] = [];
  for (const name of readdirSync(paths.tmp)) {
    if (name.endsWith('.lock')) continue;
    const lockPath = join(paths.tmp, `${name}.lock`);
    let fd: number | undefined;
    try {
      fd = openSync(lockPath, 'a', 0o600);
      if (!flockTry(fd, LOCK.EX)) continue;
      await removeTree(join(paths.tmp, name));
      rmSync(lockPath, { force: true });
      removed.push(name);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  // Lock files whose staging dir is gone and that nobody holds.
  for (const name of readdirSync(paths.tmp)) {
    if (!name.endsWith('.lock')) continue;
    const fd = openSync(join(paths.tmp, name), 'a', 0o600);
    try {
      if (flockTry(fd, LOCK.EX) && !readdirSync(paths.tmp).includes(name.slice(0, -5))) rmSync(join(paths.tmp, name), { force: true });
    } finally {
      closeSync(fd);
    }
  }
  return removed;
}
