/**
 * Re-owning a copied layer for a `--userns` mode (userns-mode.ts): run by userns-shift-worker.ts inside a user
 * namespace with the default map (the caller 0, its subordinate ids 1..N), where every owner of the image's files
 * is mapped. `cp -a` copies the layer (owners, modes, times, xattrs such as user.overlay.opaque, hard links,
 * overlay whiteouts), then each inode is given the owners the mode's map says, once (a hard link is one inode).
 * chown clears set-user-ID and set-group-ID bits, so the mode is set again after it; file capabilities
 * (security.capability) are dropped by the chown and not restored (their root id would need re-mapping too).
 * Man pages: cp(1), lchown(2), chmod(2), user_namespaces(7).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, lchownSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import { mapId, type IdMapping } from './userns-mode.js';

/** One job of the worker: layer copies to make and re-own, and paths to give to the container's root. */
export interface ShiftJob {
  /** Copies left by builders that are gone (removed first). */
  readonly remove: readonly string[];
  /** Layer dirs to copy (`src`) into new dirs (`dst`, made here) and re-own. */
  readonly layers: readonly { readonly src: string; readonly dst: string }[];
  /** Paths (not followed below) given the owners `uid`:`gid` (namespace ids). */
  readonly chown: readonly { readonly path: string; readonly uid: number; readonly gid: number }[];
  readonly uidShift: readonly IdMapping[];
  readonly gidShift: readonly IdMapping[];
}

const SLASH = Buffer.from('/');

/** Give every inode below `root` (and itself) the owners the shift maps give its current ones. */
export function shiftTree(root: string, uidShift: readonly IdMapping[], gidShift: readonly IdMapping[]): void {
  const seen = new Set<string>();
  const stack: Buffer[] = [Buffer.from(root)];
  for (let path = stack.pop(); path !== undefined; path = stack.pop()) {
    const st = lstatSync(path, { bigint: true });
    if (st.nlink > 1n && !st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    const uid = mapId(uidShift, Number(st.uid));
    const gid = mapId(gidShift, Number(st.gid));
    if (uid === undefined || gid === undefined) {
      throw new Error(`shift owners: ${path.toString()}: owner ${st.uid}:${st.gid} has no id in the new map`);
    }
    lchownSync(path, uid, gid);
    const mode = Number(st.mode & 0o7777n);
    if (!st.isSymbolicLink() && (mode & 0o6000) !== 0) chmodSync(path, mode);
    if (st.isDirectory()) {
      for (const name of readdirSync(path, { encoding: 'buffer' })) stack.push(Buffer.concat([path, SLASH, name]));
    }
  }
}

/** Do `job`: remove the stale copies, copy and re-own each layer, then chown the listed paths. */
export function runShiftJob(job: ShiftJob): void {
  for (const dir of job.remove) rmSync(dir, { recursive: true, force: true });
  for (const { src, dst } of job.layers) {
    const cp = spawnSync('cp', ['-a', '--no-target-directory', `${src}/.`, dst], { encoding: 'utf8' });
    if (cp.error !== undefined || cp.status !== 0) throw new Error(`shift owners: copy ${src}: ${(cp.error?.message ?? cp.stderr).trim()}`);
    shiftTree(dst, job.uidShift, job.gidShift);
  }
  for (const c of job.chown) lchownSync(c.path, c.uid, c.gid);
}
