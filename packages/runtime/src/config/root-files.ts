/**
 * Files of a container's root looked at from the host before it runs, each resolved inside the root by fd
 * (@ct/syscalls openInRoot), so a symlink in an image cannot point the look-up at the host's files: HOME for a
 * process whose environment does not set it, as runc sets it (the home directory of its uid in the container's
 * /etc/passwd, read up to a bound, else "/"), and whether a directory exists (an engine's check of a working
 * directory). A root given as several directories is an overlay's layers, top first (whiteouts not looked at).
 *
 * Man pages: passwd(5), openat2(2) (RESOLVE_IN_ROOT).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { O, openInRoot } from '@ct/syscalls';

/** The most of /etc/passwd read (a larger file's further entries are not looked at). */
const MAX_PASSWD = 1 << 20;

function readInRoot(root: string, path: string): string | undefined {
  let rootFd: number | undefined;
  let fd: number | undefined;
  try {
    rootFd = openSync(root, O.PATH | O.DIRECTORY);
    fd = openInRoot(rootFd, path, O.RDONLY | O.NONBLOCK);
    const buf = Buffer.alloc(MAX_PASSWD);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, null);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return undefined; // no such file, not readable, a FIFO planted there: no passwd entry
  } finally {
    if (fd !== undefined) closeSync(fd);
    if (rootFd !== undefined) closeSync(rootFd);
  }
}

/** Whether `path` is a directory in the first of `roots` that has it (false when none has it, or it is not one). */
export function isDirectoryInRoots(roots: readonly string[], path: string): boolean {
  for (const root of roots) {
    let rootFd: number | undefined;
    let fd: number | undefined;
    try {
      rootFd = openSync(root, O.PATH | O.DIRECTORY);
      fd = openInRoot(rootFd, path, O.PATH);
      return fstatSync(fd).isDirectory();
    } catch {
      // not in this layer: the next one down
    } finally {
      if (fd !== undefined) closeSync(fd);
      if (rootFd !== undefined) closeSync(rootFd);
    }
  }
  return false;
}

/** The text of `path` (its first MiB) in the first of `roots` that has it, or undefined when none has. */
export function readInRoots(roots: readonly string[], path: string): string | undefined {
  for (const root of roots) {
    const text = readInRoot(root, path);
    if (text !== undefined) return text;
  }
  return undefined;
}

/** The home directory of `uid` in the first of `roots` that has an /etc/passwd, or "/". */
export function homeOf(roots: readonly string[], uid: number): string {
  const passwd = readInRoots(roots, '/etc/passwd') ?? '';
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length >= 7 && f[2] === String(uid) && f[5] !== undefined && f[5] !== '') return f[5];
  }
  return '/';
}

/**
 * `env` with HOME added when it has none (runc's setupUser): from the /etc/passwd of the first of `roots` that has
 * one (an overlay root's layers, top first, before it is mounted), else "/".
 */
export function withHome(env: Readonly<Record<string, string>>, roots: readonly string[], uid: number): Readonly<Record<string, string>> {
  return 'HOME' in env ? env : { ...env, HOME: homeOf(roots, uid) };
}
