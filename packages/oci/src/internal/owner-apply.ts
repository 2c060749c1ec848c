/**
 * The end pass of an in-process unprivileged unpack (deferred-owners.ts): set the noted owner, mode and file
 * capability of one inode, found by path inside the root (openat2 RESOLVE_IN_ROOT or the O_NOFOLLOW walk, never
 * following the last component) and acted on only when it is still the inode that was noted. Runs in the caller
 * (modes only) or in owner-fix-worker.ts inside the user namespace; imports nothing but @ct/syscalls.
 * Man pages: fchownat(2), fchmodat(2), setxattr(2), statx(2), openat2(2).
 */
import { closeSync } from 'node:fs';
import { AT, O, S, SyscallError, fchmodat, fchownat, fsetxattr, openInRoot, openat, statx } from '@ct/syscalls';

/** One note as it travels to the worker (JSON): paths as latin1 (one char per byte), the capability as base64. */
export interface OwnerJobNote {
  readonly ino: string;
  readonly paths: readonly string[];
  readonly uid: number;
  readonly gid: number;
  readonly mode?: number;
  readonly cap?: string;
}

/** The job of owner-fix-worker.ts. */
export interface OwnerJob {
  readonly root: string;
  readonly forceWalk: boolean;
  readonly notes: readonly OwnerJobNote[];
}

function gone(e: unknown): boolean {
  return e instanceof SyscallError && (e.code === 'ENOENT' || e.code === 'ENOTDIR');
}

/**
 * Apply `note` under the root open at `rootFd` (`chown`: set the owner too, which needs namespace root).
 * Returns false when none of its paths holds the noted inode any more (removed or replaced: nothing to do).
 * @throws SyscallError of the call that failed, with the path.
 */
export function applyOwnerNote(rootFd: number, note: OwnerJobNote, o: { forceWalk: boolean; chown: boolean }): boolean {
  for (const text of note.paths) {
    const path = Buffer.from(text, 'latin1');
    const slash = path.lastIndexOf(0x2f);
    const base = path.length === 0 ? Buffer.from('.') : path.subarray(slash + 1);
    let dirFd: number;
    try {
      dirFd = slash < 0 ? openInRoot(rootFd, '.', O.PATH | O.DIRECTORY | O.CLOEXEC, { forceWalk: o.forceWalk })
        : openInRoot(rootFd, path.subarray(0, slash), O.PATH | O.DIRECTORY | O.CLOEXEC, { forceWalk: o.forceWalk });
    } catch (e) {
      if (gone(e)) continue;
      throw e;
    }
    try {
      let st;
      try {
        st = statx(dirFd, base, AT.SYMLINK_NOFOLLOW);
      } catch (e) {
        if (gone(e)) continue;
        throw e;
      }
      if (String(st.ino) !== note.ino) continue;
      if (o.chown) fchownat(dirFd, base, note.uid, note.gid, AT.SYMLINK_NOFOLLOW);
      const type = st.mode & S.IFMT;
      if (note.mode !== undefined && type !== S.IFLNK) fchmodat(dirFd, base, note.mode, AT.SYMLINK_NOFOLLOW);
      if (note.cap !== undefined && type === S.IFREG) {
        const fd = openat(dirFd, base, O.RDONLY | O.NOFOLLOW | O.NONBLOCK | O.CLOEXEC);
        try {
          fsetxattr(fd, 'security.capability', Buffer.from(note.cap, 'base64'));
        } finally {
          closeSync(fd);
        }
      }
      return true;
    } finally {
      closeSync(dirFd);
    }
  }
  return false;
}
