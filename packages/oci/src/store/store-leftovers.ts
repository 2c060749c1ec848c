/**
 * What killed imports and pulls leave in the store: staging dirs under `tmp/` whose flock (`tmp/<name>.lock`) no
 * live import holds, and download layouts under `downloads/<key>/` (partial blobs, `*.partial`, kept so a later
 * pull resumes them) whose `use.lock` no live pull holds. `storeLeftovers` reports them with the space they take
 * (for `image ls`), pruneStore removes them. A live process holds its lock for as long as it uses the directory,
 * and the kernel drops the lock of a killed one, so nothing in use is ever counted or removed. A pull takes its
 * `use.lock` under the shared store lock, prune looks under the exclusive one: they never race.
 * Man pages: flock(2), lstat(2).
 */
import { closeSync, existsSync, lstatSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LOCK, flockTry } from '@ct/syscalls';
import { withStoreLock } from './store-lock.js';
import { storePaths, type StoreOptions, type StorePaths } from './store-paths.js';

/** One leftover directory. */
export interface Leftover {
  /** Its name under `tmp/` or `downloads/`. */
  readonly name: string;
  /** The bytes of the files below it that could be read (an unprivileged caller cannot read subuid-owned 0700 dirs). */
  readonly bytes: number;
}

/** The leftovers of a store. */
export interface StoreLeftovers {
  /** Staging dirs of dead imports (`tmp/`). */
  readonly staging: readonly Leftover[];
  /** Download layouts no pull uses (`downloads/`): partial and complete blobs of killed or finished pulls. */
  readonly downloads: readonly Leftover[];
  /** The sum of their bytes. */
  readonly bytes: number;
}

/** The bytes of the regular files under `path` (what can be read; lstat, no symlink followed). */
export function treeBytes(path: string): number {
  let total = 0;
  const walk = (p: string): void => {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    if (st.isFile()) total += st.size;
    else if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = readdirSync(p);
      } catch {
        return; // a 0700 dir of a subuid: not ours to read
      }
      for (const n of names) walk(join(p, n));
    }
  };
  walk(path);
  return total;
}

/** True when nobody holds `lockFile` (or it does not exist): the directory it guards is abandoned. */
export function lockIsFree(lockFile: string): boolean {
  if (!existsSync(lockFile)) return true;
  let fd: number;
  try {
    fd = openSync(lockFile, 'r');
  } catch {
    return true; // unlinked meanwhile
  }
  try {
    return flockTry(fd, LOCK.EX);
  } finally {
    closeSync(fd);
  }
}

/** The abandoned download layouts of `paths` (caller holds the store lock). */
export function abandonedDownloads(paths: StorePaths): Leftover[] {
  const dir = join(paths.root, 'downloads');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => lockIsFree(join(dir, name, 'use.lock')))
    .map((name) => ({ name, bytes: treeBytes(join(dir, name)) }));
}

/** The staging dirs of dead imports (caller holds the store lock). */
export function abandonedStaging(paths: StorePaths): Leftover[] {
  if (!existsSync(paths.tmp)) return [];
  return readdirSync(paths.tmp)
    .filter((name) => !name.endsWith('.lock') && lockIsFree(join(paths.tmp, `${name}.lock`)))
    .map((name) => ({ name, bytes: treeBytes(join(paths.tmp, name)) }));
}

/** What killed imports and pulls left and the space it takes (`ct image prune` removes it). */
export async function storeLeftovers(options: StoreOptions = {}): Promise<StoreLeftovers> {
  const paths = storePaths(options);
  return withStoreLock(paths, 'shared', () => {
    const staging = abandonedStaging(paths);
    const downloads = abandonedDownloads(paths);
    return { staging, downloads, bytes: [...staging, ...downloads].reduce((n, l) => n + l.bytes, 0) };
  });
}
