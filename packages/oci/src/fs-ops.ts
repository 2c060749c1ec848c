/**
 * The file operations layer unpacking goes through, chosen once per unpack as umoci's fseval is:
 * - `defaultFsOps` (root: owners, device nodes, every xattr namespace);
 * - `usernsFsOps` (root of a user namespace mapping the caller's subuid range, or only the caller: owners that are
 *   mapped are applied, the others recorded in `user.rootlesscontainers` on files owned by the caller; device nodes
 *   and xattrs the namespace may not make are skipped with a warning);
 * - `rootlessFsOps` (an unprivileged caller without a user namespace: every owner recorded, devices skipped,
 *   trusted.* and security.* xattrs skipped).
 * Every call is relative to a directory fd and never follows a final symlink; the fds come from root-confined
 * resolution (openInRoot).
 * Man pages: openat2(2), mkdirat(2), mknodat(2), symlinkat(2), linkat(2), unlinkat(2), fchownat(2), fchmodat(2),
 * utimensat(2), setxattr(2), statx(2), proc(5) (/proc/self/fd for readdir on an fd).
 */
import { closeSync, readdirSync } from 'node:fs';
import { encodeRootlessOwner, ROOTLESS_XATTR } from './rootless-owner.js';
import {
  AT, O, S, fchmod, fchmodat, fchown, fchownat, fsetxattr, linkat, mkdirat, mknodat, openat, openInRoot, statx,
  symlinkat, unlinkat, utimensat, SyscallError, type Statx,
} from '@ct/syscalls';

/** A warning raised while unpacking (something skipped on purpose). */
export interface UnpackWarning {
  /**
   * What was skipped: a device node not made (`DEVICE_SKIPPED`), an owner neither applied nor recorded in
   * user.rootlesscontainers (`OWNER_IGNORED`), an xattr not set (`XATTR_SKIPPED`). `OVERLAY_ESCAPED` is declared
   * but no code raises it at present.
   */
  readonly code: 'DEVICE_SKIPPED' | 'OWNER_IGNORED' | 'XATTR_SKIPPED' | 'OVERLAY_ESCAPED';
  /** The tar entry's name, as the layer wrote it. */
  readonly path: string;
  /** What happened, for a person (programs branch on `code`). */
  readonly message: string;
}

/** The file operations of an unpack. All names are single path components relative to `dirFd`. */
export interface FsOps {
  /** 'default' (root), 'userns' (root of a user namespace) or 'rootless' (no privilege at all). */
  readonly kind: 'default' | 'userns' | 'rootless';
  /** Open `path` inside `rootFd` (RESOLVE_IN_ROOT semantics); `forceWalk` selects the O_NOFOLLOW walk. */
  openInRoot(rootFd: number, path: Uint8Array, flags: number, forceWalk: boolean): number;
  /** openat(2) of `name` in `dirFd`, always with O_NOFOLLOW and O_CLOEXEC added; returns the new fd. */
  openat(dirFd: number, name: Uint8Array, flags: number, mode: number): number;
  /** mkdirat(2) with `mode` (the umask applies). */
  mkdirat(dirFd: number, name: Uint8Array, mode: number): void;
  /** Make a device node or fifo; false when skipped (rootless device). */
  mknodat(dirFd: number, name: Uint8Array, mode: number, major: number, minor: number): boolean;
  /** symlinkat(2): make `name` in `dirFd` a symlink to `target` (stored as given, never resolved). */
  symlinkat(target: Uint8Array, dirFd: number, name: Uint8Array): void;
  /** A hard link; a symlink target is linked itself (no AT_SYMLINK_FOLLOW). */
  linkat(oldDirFd: number, oldName: Uint8Array, newDirFd: number, newName: Uint8Array): void;
  /** unlinkat(2); `removeDir` passes AT_REMOVEDIR (the directory must be empty). */
  unlinkat(dirFd: number, name: Uint8Array, removeDir: boolean): void;
  /** statx without following; undefined when absent. */
  lstatat(dirFd: number, name: Uint8Array): Statx | undefined;
  /** statx(2) of the open fd itself (AT_EMPTY_PATH). */
  fstat(fd: number): Statx;
  /** Set the owner, or record it in user.rootlesscontainers; false when neither could be done. */
  chownat(dirFd: number, name: Uint8Array, uid: number, gid: number): boolean;
  /** {@link chownat} on an open regular file or directory. */
  fchown(fd: number, uid: number, gid: number): boolean;
  /** fchmodat(2) with AT_SYMLINK_NOFOLLOW (the kernel refuses it on a symlink with EOPNOTSUPP). */
  chmodat(dirFd: number, name: Uint8Array, mode: number): void;
  /** fchmod(2) of an open fd. */
  fchmod(fd: number, mode: number): void;
  /** Set atime and mtime (nanoseconds) of `name` (or of `dirFd` itself with null), never following. */
  setTimes(dirFd: number, name: Uint8Array | null, mtimeNs: bigint): void;
  /** Set xattr `name` on the open fd; false when the strategy skips it (an xattr namespace it may not write). */
  fsetxattr(fd: number, name: string, value: Uint8Array): boolean;
  /** Names in the directory open at `dirFd` (not `.`/`..`). */
  readdir(dirFd: number): Buffer[];
}

function lstatat(dirFd: number, name: Uint8Array): Statx | undefined {
  try {
    return statx(dirFd, name, AT.SYMLINK_NOFOLLOW);
  } catch (e) {
    if (e instanceof SyscallError && e.code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The strategy for root: everything the tar header says. */
export const defaultFsOps: FsOps = {
  kind: 'default',
  openInRoot: (rootFd, path, flags, forceWalk) => openInRoot(rootFd, path, flags, { forceWalk }),
  openat: (dirFd, name, flags, mode) => openat(dirFd, name, flags | O.NOFOLLOW | O.CLOEXEC, mode),
  mkdirat: (dirFd, name, mode) => mkdirat(dirFd, name, mode),
  mknodat: (dirFd, name, mode, major, minor) => { mknodat(dirFd, name, mode, major, minor); return true; },
  symlinkat: (target, dirFd, name) => symlinkat(target, dirFd, name),
  linkat: (od, on, nd, nn) => linkat(od, on, nd, nn, 0),
  unlinkat: (dirFd, name, removeDir) => unlinkat(dirFd, name, removeDir ? AT.REMOVEDIR : 0),
  lstatat,
  fstat: (fd) => statx(fd, '', AT.EMPTY_PATH),
  chownat: (dirFd, name, uid, gid) => { fchownat(dirFd, name, uid, gid, AT.SYMLINK_NOFOLLOW); return true; },
  fchown: (fd, uid, gid) => { fchown(fd, uid, gid); return true; },
  chmodat: (dirFd, name, mode) => fchmodat(dirFd, name, mode, AT.SYMLINK_NOFOLLOW),
  fchmod: (fd, mode) => fchmod(fd, mode),
  setTimes: (dirFd, name, ns) => utimensat(dirFd, name, ns, ns, name === null ? 0 : AT.SYMLINK_NOFOLLOW),
  fsetxattr: (fd, name, value) => { fsetxattr(fd, name, value); return true; },
  readdir: (dirFd) => readdirSync(`/proc/self/fd/${dirFd}`, { encoding: 'buffer' }),
};

const S_IFMT = 0o170000;
const S_IFCHR = 0o20000;
const S_IFBLK = 0o60000;

/** The strategy for an unprivileged caller without a user namespace (owners and devices cannot be set). */
export const rootlessFsOps: FsOps = {
  ...defaultFsOps,
  kind: 'rootless',
  mknodat: (dirFd, name, mode, major, minor) => {
    const type = mode & S_IFMT;
    if (type === S_IFCHR || type === S_IFBLK) return false;
    return defaultFsOps.mknodat(dirFd, name, mode, major, minor);
  },
  chownat: (dirFd, name, uid, gid) => recordOwnerAt(dirFd, name, uid, gid),
  fchown: (fd, uid, gid) => recordOwner(fd, uid, gid),
  fsetxattr: (fd, name, value) => {
    if (!name.startsWith('user.')) return false;
    return defaultFsOps.fsetxattr(fd, name, value);
  },
};

/** Record `uid`:`gid` in user.rootlesscontainers of the open file (nothing for 0:0). */
export function recordOwner(fd: number, uid: number, gid: number): boolean {
  const value = encodeRootlessOwner(uid, gid);
  if (value !== undefined) fsetxattr(fd, ROOTLESS_XATTR, value);
  return true;
}

/**
 * {@link recordOwner} for `name` in `dirFd`: user.* xattrs exist only on regular files and directories (xattr(7)),
 * so a symlink, fifo or device with another owner than 0:0 cannot carry it (false).
 */
export function recordOwnerAt(dirFd: number, name: Uint8Array, uid: number, gid: number): boolean {
  if (uid === 0 && gid === 0) return true;
  const st = lstatat(dirFd, name);
  const type = (st?.mode ?? 0) & S_IFMT;
  if (type !== S.IFDIR && type !== S.IFREG) return false;
  const fd = openat(dirFd, name, O.RDONLY | O.NOFOLLOW | O.NONBLOCK | O.CLOEXEC | (type === S.IFDIR ? O.DIRECTORY : 0));
  try {
    return recordOwner(fd, uid, gid);
  } finally {
    closeSync(fd);
  }
}

/** EINVAL from chown: the id has no mapping in this user namespace. */
function unmapped(e: unknown): boolean {
  return e instanceof SyscallError && e.code === 'EINVAL';
}

/** EPERM: the user namespace may not do this (mknod of a device, trusted.* xattrs). */
function forbidden(e: unknown): boolean {
  return e instanceof SyscallError && e.code === 'EPERM';
}

/**
 * The strategy inside a user namespace (the unpack worker): ids outside the namespace's map are recorded as
 * rootless does, on a file left to namespace root (the caller); device nodes and xattrs the namespace may not set
 * are skipped.
 */
export const usernsFsOps: FsOps = {
  ...defaultFsOps,
  kind: 'userns',
  mknodat: (dirFd, name, mode, major, minor) => {
    try {
      return defaultFsOps.mknodat(dirFd, name, mode, major, minor);
    } catch (e) {
      if (forbidden(e)) return false;
      throw e;
    }
  },
  chownat: (dirFd, name, uid, gid) => {
    try {
      return defaultFsOps.chownat(dirFd, name, uid, gid);
    } catch (e) {
      if (!unmapped(e)) throw e;
      defaultFsOps.chownat(dirFd, name, 0, 0);
      return recordOwnerAt(dirFd, name, uid, gid);
    }
  },
  fchown: (fd, uid, gid) => {
    try {
      return defaultFsOps.fchown(fd, uid, gid);
    } catch (e) {
      if (!unmapped(e)) throw e;
      defaultFsOps.fchown(fd, 0, 0);
      return recordOwner(fd, uid, gid);
    }
  },
  fsetxattr: (fd, name, value) => {
    try {
      return defaultFsOps.fsetxattr(fd, name, value);
    } catch (e) {
      if (forbidden(e) && !name.startsWith('user.')) return false;
      throw e;
    }
  },
};
