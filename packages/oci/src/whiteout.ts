/**
 * Whiteouts as image-spec layer.md defines them: `.wh.NAME` removes NAME of the lower layers, and `.wh..wh..opq` in
 * a directory hides every lower-layer child of that directory while keeping what the same layer adds (before or
 * after the marker). Other `.wh..wh.*` names (AUFS bookkeeping) are ignored, as Docker does. Removal is confined:
 * every call is relative to a directory fd and never follows a symlink.
 * Man pages: unlinkat(2), openat(2), proc(5).
 */
import { closeSync } from 'node:fs';
import { O, S, SyscallError } from '@ct/syscalls';
import type { FsOps } from './fs-ops.js';

/** What a base name means as a whiteout. */
export type Whiteout =
  | { readonly kind: 'none' }
  | { readonly kind: 'opaque' }
  | { readonly kind: 'remove'; readonly target: Buffer }
  | { readonly kind: 'ignore' }
  | { readonly kind: 'invalid' };

const WH = Buffer.from('.wh.');
const META = Buffer.from('.wh..wh.');
const OPAQUE = Buffer.from('.wh..wh..opq');

/** Classify a base name. */
export function classifyWhiteout(base: Buffer): Whiteout {
  if (!base.subarray(0, WH.length).equals(WH)) return { kind: 'none' };
  if (base.equals(OPAQUE)) return { kind: 'opaque' };
  if (base.subarray(0, META.length).equals(META)) return { kind: 'ignore' };
  const target = Buffer.from(base.subarray(WH.length));
  if (target.length === 0 || target.equals(Buffer.from('.')) || target.equals(Buffer.from('..'))) return { kind: 'invalid' };
  return { kind: 'remove', target };
}

function openDirForRemoval(fs: FsOps, dirFd: number, name: Uint8Array): number {
  try {
    return fs.openat(dirFd, name, O.RDONLY | O.DIRECTORY, 0);
  } catch (e) {
    // A mode-0000 directory of our own (rootless): give ourselves access, then retry.
    if (!(e instanceof SyscallError) || e.code !== 'EACCES') throw e;
    fs.chmodat(dirFd, name, 0o700);
    return fs.openat(dirFd, name, O.RDONLY | O.DIRECTORY, 0);
  }
}

/**
 * Remove `name` in `dirFd` and, for a directory, everything below it. `keep` decides for each child (by its path
 * relative to `name`'s parent) whether it stays; a kept directory is descended into. Absent names are fine.
 */
export function removeEntry(fs: FsOps, dirFd: number, name: Buffer, keep?: (path: Buffer[]) => boolean, path: Buffer[] = [name]): void {
  const st = fs.lstatat(dirFd, name);
  if (st === undefined) return;
  const isDir = (st.mode & S.IFMT) === S.IFDIR;
  const kept = keep?.(path) ?? false;
  if (kept && !isDir) return;
  if (isDir) {
    const fd = openDirForRemoval(fs, dirFd, name);
    try {
      for (const child of fs.readdir(fd)) removeEntry(fs, fd, child, keep, [...path, child]);
    } finally {
      closeSync(fd);
    }
  }
  if (!kept) fs.unlinkat(dirFd, name, isDir);
}

/**
 * Apply an opaque marker: remove every child of the directory open at `dirFd` unless `keep` says the layer being
 * applied made it (or made something below it).
 */
export function applyOpaque(fs: FsOps, dirFd: number, keep: (path: Buffer[]) => boolean): void {
  for (const child of fs.readdir(dirFd)) removeEntry(fs, dirFd, child, keep, [child]);
}
