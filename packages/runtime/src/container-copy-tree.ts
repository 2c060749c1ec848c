/**
 * The copy of `ct container cp`, by file descriptors: the source is an open O_PATH fd of the object to copy, the
 * destination a directory fd and a name, and every step below them is an *at call relative to a directory fd
 * opened with O_NOFOLLOW (or through /proc/self/fd/N, which names the open inode itself). A running container that
 * swaps a directory for a symlink while the copy walks its tree makes that step fail (ELOOP, ENOTDIR); it never
 * moves the copy out of the tree it started in. As `cp -a`: symlinks are copied as symlinks, modes, times and
 * device numbers kept; unlike it, hard links become separate files and sockets are left out (podman's copier
 * also leaves sockets out).
 * Ownership: `owner` set (into a container: podman's --archive, the container's primary user) chowns what is
 * written; unset (out of a container) leaves it to the caller.
 * Man pages: openat(2), mkdirat(2), symlinkat(2), mknodat(2), readlinkat(2), fchownat(2), utimensat(2), proc(5).
 */
import { chmodSync, closeSync, fstatSync, lstatSync, openSync, readdirSync, readSync, writeSync, type Stats } from 'node:fs';
import { AT, O, S, SyscallError, fchownat, mkdirat, mknodat, openat, readlinkat, symlinkat, unlinkat, utimensat } from '@ct/syscalls';
import { RuntimeError } from './errors.js';

/** Options of {@link copyTree}. */
export interface CopyTreeOptions {
  /** Chown every written file to these ids (of the destination's user namespace); unset: leave the owner as written. */
  readonly owner?: { readonly uid: number; readonly gid: number };
  /** How the destination is named in errors (a container path or host path). */
  readonly destLabel: string;
}

/** The path that names open fd `fd` itself (its inode, whatever its name is now). */
export function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

const sub = (dir: Buffer, name: Buffer): Buffer => Buffer.concat([dir, Buffer.from('/'), name]);

function lstatAt(dirFd: number, name: Buffer): Stats | undefined {
  try {
    return lstatSync(sub(Buffer.from(fdPath(dirFd)), name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

const ns = (st: Stats, which: 'atime' | 'mtime'): bigint => BigInt(Math.round((which === 'atime' ? st.atimeMs : st.mtimeMs) * 1e6));

/** Copies the trees; one per copy. */
class TreeCopier {
  constructor(private readonly o: CopyTreeOptions) {}

  private owner(fd: number | null, dirFd: number, name: Buffer): void {
    if (this.o.owner === undefined) return;
    if (fd !== null) fchownat(fd, '', this.o.owner.uid, this.o.owner.gid, AT.EMPTY_PATH);
    else fchownat(dirFd, name, this.o.owner.uid, this.o.owner.gid, AT.SYMLINK_NOFOLLOW);
  }

  /** Copy the object open at `src` (O_PATH) to `name` in directory `dstDir`. */
  copy(src: number, dstDir: number, name: Buffer): void {
    const st = fstatSync(src);
    const kind = st.mode & S.IFMT;
    const there = lstatAt(dstDir, name);
    if (there !== undefined) {
      const dirThere = there.isDirectory();
      if (dirThere !== (kind === S.IFDIR)) {
        throw new RuntimeError('EUSAGE', `container cp: ${this.o.destLabel}: cannot overwrite ${dirThere ? 'a directory with a non-directory' : 'a non-directory with a directory'}`);
      }
      if (!dirThere) unlinkat(dstDir, name);
    }
    if (kind === S.IFDIR) this.copyDir(src, st, dstDir, name, there === undefined);
    else if (kind === S.IFREG) this.copyFile(src, st, dstDir, name);
    else if (kind === S.IFLNK) {
      symlinkat(readlinkat(src, ''), dstDir, name);
      this.owner(null, dstDir, name);
      utimensat(dstDir, name, ns(st, 'atime'), ns(st, 'mtime'), AT.SYMLINK_NOFOLLOW);
    } else if (kind === S.IFCHR || kind === S.IFBLK || kind === S.IFIFO) {
      mknodat(dstDir, name, kind | (st.mode & 0o7777), Math.floor(st.rdev / 256) & 0xfff, (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00));
      this.finish(dstDir, name, st);
    }
    // sockets: left out (nothing can be copied of them)
  }

  /** Owner, mode (after chown, which clears setuid), then times, of `name` in `dstDir` (not a symlink). */
  private finish(dstDir: number, name: Buffer, st: Stats): void {
    const fd = openat(dstDir, name, O.PATH | O.NOFOLLOW | O.CLOEXEC);
    try {
      this.owner(fd, dstDir, name);
      chmodSync(fdPath(fd), st.mode & 0o7777);
      utimensat(AT.FDCWD, fdPath(fd), ns(st, 'atime'), ns(st, 'mtime'));
    } finally {
      closeSync(fd);
    }
  }

  private copyFile(src: number, st: Stats, dstDir: number, name: Buffer): void {
    const input = openSync(fdPath(src), O.RDONLY | O.CLOEXEC);
    let output = -1;
    try {
      output = openat(dstDir, name, O.WRONLY | O.CREAT | O.EXCL | O.NOFOLLOW | O.CLOEXEC, 0o600);
      const buf = Buffer.allocUnsafe(256 * 1024);
      for (let n = readSync(input, buf); n > 0; n = readSync(input, buf)) {
        for (let off = 0; off < n;) off += writeSync(output, buf, off, n - off);
      }
    } finally {
      closeSync(input);
      if (output >= 0) closeSync(output);
    }
    this.finish(dstDir, name, st);
  }

  private copyDir(src: number, st: Stats, dstDir: number, name: Buffer, made: boolean): void {
    if (made) mkdirat(dstDir, name, 0o700);
    const dir = openat(dstDir, name, O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC);
    try {
      this.copyEntries(src, dir);
    } finally {
      closeSync(dir);
    }
    // a directory that was there keeps its own owner, mode and times (podman merges into it)
    if (made) this.finish(dstDir, name, st);
  }

  /** Copy what directory `src` holds into directory `dir`. */
  copyEntries(src: number, dir: number): void {
    for (const entry of readdirSync(fdPath(src), { encoding: 'buffer' })) {
      const child = openat(src, entry, O.PATH | O.NOFOLLOW | O.CLOEXEC);
      try {
        this.copy(child, dir, entry);
      } finally {
        closeSync(child);
      }
    }
  }
}

/** Turn a syscall failure into the error `container cp` reports (the path and the errno). */
function copyError(err: unknown): unknown {
  if (!(err instanceof SyscallError)) return err;
  return new RuntimeError('ESYSTEM', `container cp: ${err.path ?? ''}: ${err.code}`, { cause: err });
}

/**
 * Copy the object open at `src` (an O_PATH fd) to `name` in directory `dstDir` (the directory's contents only when
 * `contentsOnly`, into `dstDir` itself).
 * @throws RuntimeError EUSAGE (a directory over a non-directory or the reverse), ESYSTEM (a step failed: path, errno).
 */
export function copyTree(src: number, dstDir: number, name: Buffer | undefined, options: CopyTreeOptions): void {
  const copier = new TreeCopier(options);
  try {
    if (name === undefined) copier.copyEntries(src, dstDir);
    else copier.copy(src, dstDir, name);
  } catch (err) {
    throw copyError(err);
  }
}
