/**
 * Root-confined open: `openInRoot(rootFd, path, flags)` resolves `path` as if `rootFd` were "/" (symlinks,
 * absolute or relative, are resolved inside the root; `..` stops at the root), as openat2(2) RESOLVE_IN_ROOT
 * does. Where openat2 is missing (or `forceWalk` is set, so tests cover both) it walks the path one component
 * at a time with O_PATH|O_NOFOLLOW, reading each symlink and feeding its target back into the walk (the
 * securejoin / libpathrs fallback). The last component is opened with O_NOFOLLOW, so a final symlink swapped in
 * after the walk gives ELOOP rather than an escape.
 *
 * Man pages: openat2(2), open(2), readlinkat(2), path_resolution(7), symlink(7).
 */
import { closeSync } from 'node:fs';
import { openat, openat2, readlinkat } from './fs-at.js';
import { statx } from './statx.js';
import { cPath, printable, type PathLike } from './internal/c-path.js';
import { SyscallError } from './errors.js';
import { AT, O, RESOLVE, S } from './constants.js';

const ENOENT = 2;
const ENOTDIR = 20;
const ELOOP = 40;
const ENOSYS = 38;
/** The kernel's limit on symlinks followed in one lookup (MAXSYMLINKS). */
const MAX_SYMLINKS = 40;

let openat2Probe: boolean | undefined;

/** Whether openat2(2) exists on this kernel (probed once). */
export function openat2Supported(): boolean {
  if (openat2Probe === undefined) {
    try {
      closeSync(openat2(AT.FDCWD, '/', { flags: O.PATH | O.CLOEXEC }));
      openat2Probe = true;
    } catch (e) {
      if (!(e instanceof SyscallError) || e.errno !== ENOSYS) throw e;
      openat2Probe = false;
    }
  }
  return openat2Probe;
}

/** Options of openInRoot. */
export interface OpenInRootOptions {
  /** Creation mode with O.CREAT. */
  readonly mode?: number;
  /** Use the component walk even where openat2 exists. */
  readonly forceWalk?: boolean;
}

/**
 * Opens `path` inside the directory `rootFd` (O.CLOEXEC is added). Throws SyscallError ('openat2' or
 * 'openat' for the walk) with `path` set to the path asked for.
 */
export function openInRoot(rootFd: number, path: PathLike, flags: number, options: OpenInRootOptions = {}): number {
  const mode = options.mode ?? 0;
  if (!options.forceWalk && openat2Supported()) {
    return openat2(rootFd, path, { flags: flags | O.CLOEXEC, mode, resolve: RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS });
  }
  try {
    return walkInRoot(rootFd, path, flags | O.CLOEXEC, mode);
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e;
    throw new SyscallError('openat', e.errno, { path: printable(path) }, { cause: e });
  }
}

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

function components(p: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= p.length; i++) {
    if (i < p.length && p[i] !== 0x2f) continue;
    if (i > start) out.push(p.subarray(start, i));
    start = i + 1;
  }
  return out;
}

function fail(errno: number, path: Buffer): never {
  throw new SyscallError('openat', errno, { path: printable(path) });
}

function walkInRoot(rootFd: number, path: PathLike, flags: number, mode: number): number {
  const bytes = cPath(path).subarray(0, -1);
  if (bytes.length === 0) fail(ENOENT, bytes);
  if (bytes[bytes.length - 1] === 0x2f && !(flags & O.CREAT)) flags |= O.DIRECTORY;
  const queue = components(bytes);
  const stack: number[] = [];
  const cur = (): number => stack.at(-1) ?? rootFd;
  let links = 0;
  try {
    if (queue.length === 0) return openat(cur(), DOT, flags, mode);
    while (queue.length > 0) {
      const comp = queue.shift()!;
      const last = queue.length === 0;
      if (comp.equals(DOT) || comp.equals(DOTDOT)) {
        if (comp.equals(DOTDOT) && stack.length > 0) closeSync(stack.pop()!);
        if (last) return openat(cur(), DOT, flags, mode);
        continue;
      }
      let fd: number;
      try {
        fd = openat(cur(), comp, O.PATH | O.NOFOLLOW | O.CLOEXEC);
      } catch (e) {
        if (last && e instanceof SyscallError && e.errno === ENOENT && flags & O.CREAT) {
          return openat(cur(), comp, flags | O.NOFOLLOW, mode);
        }
        throw e;
      }
      let type: number;
      try {
        type = statx(fd, '', AT.EMPTY_PATH, 0x1).mode & S.IFMT;
      } catch (e) {
        closeSync(fd);
        throw e;
      }
      if (type === S.IFLNK && !(last && flags & O.NOFOLLOW)) {
        let target: Buffer;
        try {
          target = readlinkat(fd, '');
        } finally {
          closeSync(fd);
        }
        if (++links > MAX_SYMLINKS) fail(ELOOP, bytes);
        if (target[0] === 0x2f) while (stack.length > 0) closeSync(stack.pop()!);
        const more = components(target);
        // A link to "/" (or "." / "") as the last component resolves to the directory reached so far.
        queue.unshift(...(more.length > 0 ? more : [DOT]));
        continue;
      }
      if (last) {
        closeSync(fd);
        return openat(cur(), comp, flags | O.NOFOLLOW, mode);
      }
      if (type !== S.IFDIR) {
        closeSync(fd);
        fail(ENOTDIR, bytes);
      }
      stack.push(fd);
    }
    return openat(cur(), DOT, flags, mode);
  } finally {
    for (const fd of stack) closeSync(fd);
  }
}
