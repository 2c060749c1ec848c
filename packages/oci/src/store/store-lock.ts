/**
 * Store locks: one flock(2) on `store.lock` (shared to read records and start containers, exclusive to commit an
 * import, remove or prune), one exclusive flock per staging dir (`tmp/<name>.lock`), held for the whole import
 * so a later import can tell a live staging dir from one a killed import left (its lock is free) and clear it,
 * and one flock per layer (`locks/<chainid hex>.lock`): exclusive while an import unpacks that layer, shared while
 * an import builds on it as a lower layer (see {@link lockLayers}). The kernel drops a dead holder's locks, so a
 * SIGKILL never leaves the store locked. Waiting is by polling (see {@link lockFile}).
 * Man pages: flock(2), fstat(2).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LOCK, flockTry } from '@ct/syscalls';
import { removeTree } from '../tree-remove.js';
import type { StorePaths } from './store-paths.js';

/** A held lock; `release` closes its fd (idempotent). */
export interface HeldLock {
  /** The locked file's descriptor (valid until release). */
  readonly fd: number;
  release(): void;
}

/** Create the store's directories (mode 0700 for the root: layers hold files of the caller's subuids). */
export function ensureStore(paths: StorePaths): void {
  mkdirSync(paths.root, { recursive: true, mode: 0o700 });
  for (const dir of [paths.blobs, paths.layers, paths.images, paths.containers, paths.tmp, paths.locks]) mkdirSync(dir, { recursive: true, mode: 0o700 });
}

const POLL_FIRST_MS = 5;
const POLL_MAX_MS = 100;

/**
 * Take a flock on `file` (created if missing). A busy lock is polled (LOCK_NB, 5 ms doubling to 100 ms) rather than
 * waited for in a blocking flock(2): that would hold one of libuv's four pool threads per waiter, and a few
 * imports waiting in one process would leave none for the holder's file I/O (a deadlock).
 */
export async function lockFile(file: string, mode: 'shared' | 'exclusive'): Promise<HeldLock> {
  const fd = openSync(file, 'a', 0o600);
  try {
    const op = mode === 'shared' ? LOCK.SH : LOCK.EX;
    for (let delay = POLL_FIRST_MS; !flockTry(fd, op); delay = Math.min(delay * 2, POLL_MAX_MS)) {
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  let held = true;
  return { fd, release() { if (held) { held = false; closeSync(fd); } } };
}

/** True when `fd` is still the file at `file` (a lock file may have been unlinked while we waited on it). */
function stillLinked(fd: number, file: string): boolean {
  try {
    const a = fstatSync(fd);
    const b = statSync(file);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

/**
 * Take a flock on a lock file that its holder may unlink (a layer's): after the lock is granted, check that the
 * path still names the locked file, else lock the new one.
 */
export async function lockUnlinkable(file: string, mode: 'shared' | 'exclusive'): Promise<HeldLock> {
  for (;;) {
    const lock = await lockFile(file, mode);
    if (stillLinked(lock.fd, file)) return lock;
    lock.release();
  }
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
 * Run `fn` with a fresh staging dir `tmp/<prefix>-<random>` of the store (mode 0700), guarded by the flock of
 * `tmp/<prefix>-<random>.lock` so clearStaleStaging leaves it alone while it is held; both go afterwards.
 */
export async function withStagingDir<T>(paths: StorePaths, prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const name = `${prefix}-${randomBytes(6).toString('hex')}`;
  const dir = join(paths.tmp, name);
  const lock = await lockFile(join(paths.tmp, `${name}.lock`), 'exclusive');
  try {
    mkdirSync(dir, { mode: 0o700 });
    return await fn(dir);
  } finally {
    try {
      rmSync(dir, { recursive: true, force: true });
      rmSync(join(paths.tmp, `${name}.lock`), { force: true });
    } finally {
      lock.release();
    }
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

/** Try to take an exclusive flock on `file` (created if missing) without waiting; undefined when it is held. */
export function tryLockFile(file: string): HeldLock | undefined {
  const fd = openSync(file, 'a', 0o600);
  if (!flockTry(fd, LOCK.EX) || !stillLinked(fd, file)) {
    closeSync(fd);
    return undefined;
  }
  let held = true;
  return { fd, release() { if (held) { held = false; closeSync(fd); } } };
}

/** The lock file of layer `chainId`. */
export function layerLockPath(paths: StorePaths, chainId: string): string {
  return join(paths.locks, `${chainId.slice(chainId.indexOf(':') + 1)}.lock`);
}

/** The layer locks an import holds, bottom first. */
export interface LayerLocks {
  /** Per layer: true when it is complete in the store (held shared: built upon), false when it is to be made (held exclusive). */
  readonly complete: readonly boolean[];
  release(): void;
}

/**
 * Lock the layers `chainIds` (bottom first) for an import: a complete layer shared, so it is not removed while the
 * import builds on it; a missing one exclusive, so one import makes it while the others wait and then find it
 * complete. Every import locks bottom first, and two images share a layer only with every layer below it (a chain
 * id covers the layers beneath), so two imports never wait on each other in a cycle.
 */
export async function lockLayers(paths: StorePaths, chainIds: readonly string[], isComplete: (chainId: string) => boolean): Promise<LayerLocks> {
  const held: HeldLock[] = [];
  const complete: boolean[] = [];
  const releaseAll = (): void => { for (const l of held.splice(0)) l.release(); };
  try {
    for (const chainId of chainIds) {
      const file = layerLockPath(paths, chainId);
      for (;;) {
        const shared = await lockUnlinkable(file, 'shared');
        if (isComplete(chainId)) { held.push(shared); complete.push(true); break; }
        shared.release();
        const exclusive = await lockUnlinkable(file, 'exclusive');
        if (!isComplete(chainId)) { held.push(exclusive); complete.push(false); break; }
        exclusive.release(); // made meanwhile by another import: take it shared
      }
    }
  } catch (err) {
    releaseAll();
    throw err;
  }
  return { complete, release: releaseAll };
}
