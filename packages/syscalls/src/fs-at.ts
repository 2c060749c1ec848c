/**
 * One typed wrapper per *at(2) file syscall, for root-confined file work inside the Node process. Fds are plain
 * numbers (Node's fs.*Sync(fd) work on them); failures throw SyscallError (errno, code, syscall, path).
 *
 * Man pages: openat2(2), open(2), mkdirat(2), mknodat(2), symlinkat(2), readlinkat(2), linkat(2), unlinkat(2),
 * rename(2), chown(2), chmod(2), utimensat(2).
 */
import { native } from './native.js';
import { check, checkBuffer, cPath, type PathLike } from './internal/c-path.js';

export type { PathLike } from './internal/c-path.js';

/** openat2(2)'s `struct open_how`. */
export interface OpenHow {
  /** O_* flags (O_CLOEXEC is not added for you). */
  readonly flags: number;
  /** Creation mode (only with O_CREAT/O_TMPFILE). */
  readonly mode?: number;
  /** RESOLVE_* flags. */
  readonly resolve?: number;
}

/** openat2(2): open `path` relative to `dirfd` with resolution restrictions. Returns the new fd. */
export function openat2(dirfd: number, path: PathLike, how: OpenHow): number {
  return check(
    native.openat2(dirfd, cPath(path), BigInt(how.flags), how.mode ?? 0, BigInt(how.resolve ?? 0)),
    'openat2', path);
}

/** openat(2). Returns the new fd. */
export function openat(dirfd: number, path: PathLike, flags: number, mode = 0): number {
  return check(native.openat(dirfd, cPath(path), flags, mode), 'openat', path);
}

/** mkdirat(2). */
export function mkdirat(dirfd: number, path: PathLike, mode: number): void {
  check(native.mkdirat(dirfd, cPath(path), mode), 'mkdirat', path);
}

/** mknodat(2): `mode` carries the type (S_IFCHR, S_IFBLK, S_IFIFO, S_IFREG, S_IFSOCK). */
export function mknodat(dirfd: number, path: PathLike, mode: number, major = 0, minor = 0): void {
  check(native.mknodat(dirfd, cPath(path), mode, major, minor), 'mknodat', path);
}

/** symlinkat(2): creates `linkpath` (relative to dirfd) pointing at `target`. */
export function symlinkat(target: PathLike, dirfd: number, linkpath: PathLike): void {
  check(native.symlinkat(cPath(target), dirfd, cPath(linkpath)), 'symlinkat', linkpath, target);
}

/** readlinkat(2): the link's target, byte-exact. An empty path with an O_PATH fd reads that link. */
export function readlinkat(dirfd: number, path: PathLike): Buffer {
  return checkBuffer(native.readlinkat(dirfd, cPath(path)), 'readlinkat', path);
}

/** linkat(2): flags AT_EMPTY_PATH, AT_SYMLINK_FOLLOW. */
export function linkat(olddirfd: number, oldpath: PathLike, newdirfd: number, newpath: PathLike, flags = 0): void {
  check(native.linkat(olddirfd, cPath(oldpath), newdirfd, cPath(newpath), flags), 'linkat', oldpath, newpath);
}

/** unlinkat(2): AT_REMOVEDIR removes a directory. */
export function unlinkat(dirfd: number, path: PathLike, flags = 0): void {
  check(native.unlinkat(dirfd, cPath(path), flags), 'unlinkat', path);
}

/** renameat2(2): flags RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT. */
export function renameat2(
  olddirfd: number, oldpath: PathLike, newdirfd: number, newpath: PathLike, flags = 0,
): void {
  check(native.renameat2(olddirfd, cPath(oldpath), newdirfd, cPath(newpath), flags), 'renameat2', oldpath, newpath);
}

/** fchownat(2): uid/gid -1 keeps that id; flags AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH. */
export function fchownat(dirfd: number, path: PathLike, uid: number, gid: number, flags = 0): void {
  check(native.fchownat(dirfd, cPath(path), uid, gid, flags), 'fchownat', path);
}

/**
 * fchmodat(2). With flags (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH) it is fchmodat2 (Linux 6.6+); on a symlink
 * with AT_SYMLINK_NOFOLLOW the kernel answers EOPNOTSUPP.
 */
export function fchmodat(dirfd: number, path: PathLike, mode: number, flags = 0): void {
  check(native.fchmodat(dirfd, cPath(path), mode, flags), flags === 0 ? 'fchmodat' : 'fchmodat2', path);
}

/** fchmod(2). */
export function fchmod(fd: number, mode: number): void {
  check(native.fchmod(fd, mode), 'fchmod');
}

/** fchown(2): -1 keeps that id. */
export function fchown(fd: number, uid: number, gid: number): void {
  check(native.fchown(fd, uid, gid), 'fchown');
}

/** A timestamp with nanosecond precision: nanoseconds since the epoch, or 'now' / 'omit'. */
export type Timestamp = bigint | 'now' | 'omit';

const UTIME_NOW = 1073741823;
const UTIME_OMIT = 1073741822;
function splitTime(t: Timestamp): [bigint, number] {
  if (t === 'now') return [0n, UTIME_NOW];
  if (t === 'omit') return [0n, UTIME_OMIT];
  const sec = t >= 0n ? t / 1_000_000_000n : -((-t + 999_999_999n) / 1_000_000_000n);
  return [sec, Number(t - sec * 1_000_000_000n)];
}

/**
 * utimensat(2) with nanosecond bigint times. A `null` path sets the times of `dirfd` itself (futimens);
 * flags AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH.
 */
export function utimensat(dirfd: number, path: PathLike | null, atime: Timestamp, mtime: Timestamp, flags = 0): void {
  const [as, an] = splitTime(atime);
  const [ms, mn] = splitTime(mtime);
  const p = path === null ? null : cPath(path);
  check(native.utimensat(dirfd, p, as, an, ms, mn, flags), 'utimensat', path ?? undefined);
}
