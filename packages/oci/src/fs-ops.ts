/**
 * The file operations layer unpacking goes through, chosen once per unpack as umoci's fseval is: `defaultFsOps`
 * (root: owners, device nodes, every xattr namespace) or `rootlessFsOps` (an unprivileged caller: owners are left to
 * the caller, device nodes are skipped with a warning, trusted.* and security.* xattrs are skipped). Every call is
 * relative to a directory fd and never follows a final symlink; the fds come from root-confined resolution
 * (openInRoot). Issue #7 extends the rootless strategy (user.rootlesscontainers owners, user namespaces).
 * Man pages: openat2(2), mkdirat(2), mknodat(2), symlinkat(2), linkat(2), unlinkat(2), fchownat(2), fchmodat(2),
 * utimensat(2), setxattr(2), statx(2), proc(5) (/proc/self/fd for readdir on an fd).
 */
import { readdirSync } from 'node:fs';
import {
  AT, O, fchmod, fchmodat, fchown, fchownat, fsetxattr, linkat, mkdirat, mknodat, openat, openInRoot, statx,
  symlinkat, unlinkat, utimensat, SyscallError, type Statx,
} from '@ct/syscalls';

/** A warning raised while unpacking (something skipped on purpose). */
export interface UnpackWarning {
  readonly code: 'DEVICE_SKIPPED' | 'OWNER_IGNORED' | 'XATTR_SKIPPED';
  readonly path: string;
  readonly message: string;
}

/** The file operations of an unpack. All names are single path components relative to `dirFd`. */
export interface FsOps {
  /** 'default' (root) or 'rootless'. */
  readonly kind: 'default' | 'rootless';
  /** Open `path` inside `rootFd` (RESOLVE_IN_ROOT semantics); `forceWalk` selects the O_NOFOLLOW walk. */
  openInRoot(rootFd: number, path: Uint8Array, flags: number, forceWalk: boolean): number;
  openat(dirFd: number, name: Uint8Array, flags: number, mode: number): number;
  mkdirat(dirFd: number, name: Uint8Array, mode: number): void;
  /** Make a device node or fifo; false when skipped (rootless device). */
  mknodat(dirFd: number, name: Uint8Array, mode: number, major: number, minor: number): boolean;
  symlinkat(target: Uint8Array, dirFd: number, name: Uint8Array): void;
  /** A hard link; a symlink target is linked itself (no AT_SYMLINK_FOLLOW). */
  linkat(oldDirFd: number, oldName: Uint8Array, newDirFd: number, newName: Uint8Array): void;
  unlinkat(dirFd: number, name: Uint8Array, removeDir: boolean): void;
  /** statx without following; undefined when absent. */
  lstatat(dirFd: number, name: Uint8Array): Statx | undefined;
  fstat(fd: number): Statx;
  chownat(dirFd: number, name: Uint8Array, uid: number, gid: number): void;
  fchown(fd: number, uid: number, gid: number): void;
  chmodat(dirFd: number, name: Uint8Array, mode: number): void;
  fchmod(fd: number, mode: number): void;
  /** Set atime and mtime (nanoseconds) of `name` (or of `dirFd` itself with null), never following. */
  setTimes(dirFd: number, name: Uint8Array | null, mtimeNs: bigint): void;
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
  chownat: (dirFd, name, uid, gid) => fchownat(dirFd, name, uid, gid, AT.SYMLINK_NOFOLLOW),
  fchown: (fd, uid, gid) => fchown(fd, uid, gid),
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
  chownat: () => {},
  fchown: () => {},
  fsetxattr: (fd, name, value) => {
    if (!name.startsWith('user.')) return false;
    return defaultFsOps.fsetxattr(fd, name, value);
  },
};
