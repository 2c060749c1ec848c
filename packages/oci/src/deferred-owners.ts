/**
 * The unprivileged unpack in this process (issue 21): the caller writes every file itself, which its user namespace
 * sees as namespace root's, and what only namespace root may do is noted and done at the end in one pass by a small
 * process inside the user namespace (owner-fix-worker.ts), instead of running the whole unpack in a second Node
 * process there. Noted, per inode: an owner the namespace maps other than 0:0, the setuid/setgid mode that chown
 * clears, a `security.capability` xattr (namespaced file capabilities), and a directory mode without u+rwx (kept
 * u+rwx until the end so that later layers can still write below it, as namespace root could).
 * A note is dropped when its inode goes (the last link removed) or gets a new owner, so a reused inode number never
 * inherits one; the end pass checks each path's inode again before it acts. Owners the namespace does not map are
 * recorded in user.rootlesscontainers at once, as usernsFsOps does. Only the merged `rootfs` form uses this: the
 * overlay form reads its lower layers' owners back and keeps the worker.
 * Man pages: chown(2) (setuid/setgid cleared), capabilities(7) (namespaced file capabilities), proc(5) (/proc/self/fd).
 */
import { readlinkSync } from 'node:fs';
import { S, SyscallError, type Statx } from '@ct/syscalls';
import { defaultFsOps, recordOwner, recordOwnerAt, usernsFsOps, type FsOps } from './fs-ops.js';
import type { IdMapping } from './runtime-config.js';

/** What the end pass does to one inode (found at any of `paths`, relative to the root; '' is the root itself). */
export interface OwnerNote {
  readonly ino: bigint;
  readonly paths: Buffer[];
  uid: number;
  gid: number;
  /** The mode to set after the owner (setuid/setgid bits, or a directory's final mode). */
  mode?: number;
  /** The `security.capability` value to set last. */
  cap?: Buffer;
}

const CAP_XATTR = 'security.capability';

function mapped(id: number, maps: readonly IdMapping[]): boolean {
  return maps.some((m) => id >= m.containerID && id < m.containerID + m.size);
}

function lstatat(dirFd: number, name: Uint8Array): Statx | undefined {
  return defaultFsOps.lstatat(dirFd, name);
}

/** The notes of one in-process unprivileged unpack and the {@link FsOps} that takes them. */
export class DeferredOwners {
  private readonly notes = new Map<bigint, OwnerNote>();
  /** The strategy to unpack with (kind 'userns': what namespace root could not do is noted, not refused). */
  readonly fsOps: FsOps;

  /** `rootPath`: the root's absolute path as /proc/self/fd shows it; `uidMappings`/`gidMappings`: the namespace's. */
  constructor(private readonly rootPath: Buffer, private readonly uidMappings: readonly IdMapping[], private readonly gidMappings: readonly IdMapping[]) {
    this.fsOps = {
      ...defaultFsOps,
      kind: 'userns',
      mknodat: usernsFsOps.mknodat,
      chownat: (dirFd, name, uid, gid) => {
        const st = lstatat(dirFd, name);
        if (st === undefined) return defaultFsOps.chownat(dirFd, name, uid, gid); // fails with ENOENT, named
        return this.chown(st, () => this.pathOf(dirFd, name), uid, gid, () => recordOwnerAt(dirFd, name, uid, gid));
      },
      fchown: (fd, uid, gid) => this.chown(defaultFsOps.fstat(fd), () => this.pathOf(fd, null), uid, gid, () => recordOwner(fd, uid, gid)),
      chmodat: (dirFd, name, mode) => this.chmodat(dirFd, name, mode),
      fchmod: (fd, mode) => {
        defaultFsOps.fchmod(fd, mode);
        if (this.notes.size > 0) {
          const note = this.notes.get(defaultFsOps.fstat(fd).ino);
          if (note !== undefined) note.mode = mode;
        }
      },
      fsetxattr: (fd, name, value) => {
        try {
          return defaultFsOps.fsetxattr(fd, name, value);
        } catch (e) {
          if (!(e instanceof SyscallError && e.code === 'EPERM')) throw e;
          if (name === CAP_XATTR) {
            this.noteOf(defaultFsOps.fstat(fd), () => this.pathOf(fd, null)).cap = Buffer.from(value);
            return true;
          }
          if (name.startsWith('user.')) throw e;
          return false;
        }
      },
      linkat: (od, on, nd, nn) => {
        defaultFsOps.linkat(od, on, nd, nn);
        const st = this.notes.size > 0 ? lstatat(od, on) : undefined;
        if (st !== undefined) this.notes.get(st.ino)?.paths.push(this.pathOf(nd, nn));
      },
      unlinkat: (dirFd, name, removeDir) => {
        const st = this.notes.size > 0 ? lstatat(dirFd, name) : undefined;
        defaultFsOps.unlinkat(dirFd, name, removeDir);
        if (st === undefined) return;
        if (removeDir || st.nlink <= 1) this.notes.delete(st.ino);
        else {
          const note = this.notes.get(st.ino);
          const gone = this.pathOf(dirFd, name);
          if (note !== undefined) note.paths.splice(0, note.paths.length, ...note.paths.filter((p) => !p.equals(gone)));
        }
      },
    };
  }

  /** The notes, deepest paths first (a directory's mode is set after what is below it). */
  list(): OwnerNote[] {
    const depth = (n: OwnerNote): number => Math.max(...n.paths.map((p) => (p.length === 0 ? 0 : 1 + p.filter((b) => b === 0x2f).length)));
    return [...this.notes.values()].filter((n) => n.paths.length > 0).sort((a, b) => depth(b) - depth(a));
  }

  /** True when some note needs namespace root (an owner other than 0:0, or a file capability). */
  needsNamespace(): boolean {
    return [...this.notes.values()].some((n) => n.uid !== 0 || n.gid !== 0 || n.cap !== undefined);
  }

  private chown(st: Statx, path: () => Buffer, uid: number, gid: number, record: () => boolean): boolean {
    // A new owner: whatever was noted for this inode before (an earlier entry's) is stale.
    const had = this.notes.get(st.ino);
    this.notes.delete(st.ino);
    if (mapped(uid, this.uidMappings) && mapped(gid, this.gidMappings)) {
      if (uid !== 0 || gid !== 0) this.notes.set(st.ino, { ino: st.ino, paths: had?.paths ?? [path()], uid, gid });
      return true;
    }
    // Not mapped: the file stays namespace root's with the owner recorded, as usernsFsOps does.
    return record();
  }

  private chmodat(dirFd: number, name: Uint8Array, mode: number): void {
    const restricted = (mode & 0o700) !== 0o700;
    const st = restricted || this.notes.size > 0 ? lstatat(dirFd, name) : undefined;
    if (st !== undefined && restricted && (st.mode & S.IFMT) === S.IFDIR) {
      defaultFsOps.chmodat(dirFd, name, mode | 0o700);
      this.noteOf(st, () => this.pathOf(dirFd, name)).mode = mode;
      return;
    }
    defaultFsOps.chmodat(dirFd, name, mode);
    const note = st === undefined ? undefined : this.notes.get(st.ino);
    if (note !== undefined) note.mode = mode;
  }

  private noteOf(st: Statx, path: () => Buffer): OwnerNote {
    let note = this.notes.get(st.ino);
    if (note === undefined) {
      note = { ino: st.ino, paths: [path()], uid: 0, gid: 0 };
      this.notes.set(st.ino, note);
    }
    return note;
  }

  /** The path of `name` in `dirFd` (or of the fd itself with null or '.') relative to the root. */
  private pathOf(dirFd: number, name: Uint8Array | null): Buffer {
    const abs = readlinkSync(`/proc/self/fd/${dirFd}`, { encoding: 'buffer' });
    let rel: Buffer;
    if (abs.equals(this.rootPath)) rel = Buffer.alloc(0);
    else if (abs.length > this.rootPath.length && abs[this.rootPath.length] === 0x2f && abs.subarray(0, this.rootPath.length).equals(this.rootPath)) {
      rel = abs.subarray(this.rootPath.length + 1);
    } else throw new Error(`/proc/self/fd/${dirFd}: ${abs.toString('latin1')} is not below ${this.rootPath.toString('latin1')}`);
    if (name === null || (name.length === 1 && name[0] === 0x2e)) return Buffer.from(rel);
    return rel.length === 0 ? Buffer.from(name) : Buffer.concat([rel, Buffer.from('/'), name]);
  }
}
