/**
 * Looking a container's program up before it is exec'd, inside the container's root, as runc's init does with Go's
 * exec.LookPath (so `create` refuses a missing program as runc does, instead of failing only at `start`, and
 * `exec --detach` refuses one before it detaches): a name with a slash is taken as is (relative to the process's
 * cwd), a bare name is searched in the PATH of the process's environment (the last PATH= entry; none: nothing is
 * searched, as runc); a candidate must be a non-directory with an execute bit. The root is the init's
 * (`/proc/PID/root`, its view after pivot_root, mounts included) and every path resolves by fd inside it (openat2
 * RESOLVE_IN_ROOT), never through the host's tree, where an image's absolute symlinks (/bin -> /usr/bin) would lead.
 * The messages are runc's, which engines classify (podman: "executable file not found in" or "no such file or
 * directory" is its exit 127, "permission denied" 126).
 *
 * Not checked here: the container user's permission to execute it, and noexec mounts (the exec itself fails then);
 * a path ct may not search counts as present.
 *
 * Man pages: openat2(2), statx(2), execve(2), proc_pid_root(5).
 */
import { closeSync, openSync } from 'node:fs';
import { posix } from 'node:path';
import * as syscalls from '@ct/syscalls';
import { errnoPhrase } from './errors.js';

/**
 * The result of a lookup: the path the exec will take, or runc's words for why there is none and podman's exit
 * status for it (127: not found; 126: found but not executable).
 */
export type ProgramLookup =
  | { readonly found: true; readonly path: string }
  | { readonly found: false; readonly reason: string; readonly status: 126 | 127 };

const { O, AT, S } = syscalls;

/** errno numbers → the codes errnoPhrase knows. */
const errnoNames: Readonly<Record<number, string>> = { 1: 'EPERM', 2: 'ENOENT', 13: 'EACCES', 20: 'ENOTDIR', 40: 'ELOOP' };

/** stat(2) of `path` inside the root `rootFd` (symlinks followed inside it): its mode, or the errno code. */
function statInRoot(rootFd: number, path: string): { mode: number } | { code: string } {
  let fd: number;
  try {
    fd = syscalls.openInRoot(rootFd, path, O.PATH);
  } catch (err) {
    if (err instanceof syscalls.SyscallError) return { code: errnoNames[err.errno] ?? String(err.code) };
    throw err;
  }
  try {
    return { mode: syscalls.statx(fd, '', AT.EMPTY_PATH, 0x1 | 0x2).mode };
  } finally {
    closeSync(fd);
  }
}

/**
 * Go's findExecutable: a non-directory with any execute bit, else "permission denied"; stat's own error otherwise.
 * A path ct itself may not resolve (EACCES, EPERM: ct looks as the caller, not as the container's user, who may
 * own directories ct cannot search) counts as found: only what is certainly missing is refused.
 */
function findExecutable(rootFd: number, path: string): { reason: string; status: 126 | 127 } | undefined {
  const st = statInRoot(rootFd, path);
  if ('code' in st) {
    if (st.code === 'EACCES' || st.code === 'EPERM') return undefined;
    return { reason: `stat ${path}: ${errnoPhrase(st.code)}`, status: st.code === 'ENOENT' || st.code === 'ENOTDIR' ? 127 : 126 };
  }
  if ((st.mode & S.IFMT) === S.IFDIR || (st.mode & 0o111) === 0) return { reason: 'permission denied', status: 126 };
  return undefined;
}

/** Look `program` up in the root `rootFd` with the process's `env` and `cwd` (see the module comment). */
export function lookupProgram(rootFd: number, program: string, env: readonly string[], cwd: string): ProgramLookup {
  if (program.includes('/')) {
    const path = program.startsWith('/') ? program : posix.join(cwd, program);
    const err = findExecutable(rootFd, path);
    return err === undefined ? { found: true, path } : { found: false, reason: `exec: ${JSON.stringify(program)}: ${err.reason}`, status: err.status };
  }
  const pathVar = env.filter((e) => e.startsWith('PATH=')).at(-1)?.slice(5) ?? '';
  for (const dir of pathVar.split(':')) {
    // Go refuses a program found through a relative PATH entry (ErrDot); such entries are not searched here
    if (!dir.startsWith('/')) continue;
    const path = posix.join(dir, program);
    if (findExecutable(rootFd, path) === undefined) return { found: true, path };
  }
  return { found: false, reason: `exec: ${JSON.stringify(program)}: executable file not found in $PATH`, status: 127 };
}

/** Look `program` up in the root of process `pid`; undefined when that root cannot be opened (the process is gone). */
export function lookupInProcessRoot(pid: number, program: string, env: readonly string[], cwd: string): ProgramLookup | undefined {
  let rootFd: number;
  try {
    rootFd = openSync(`/proc/${pid}/root`, O.PATH | O.DIRECTORY);
  } catch {
    return undefined;
  }
  try {
    return lookupProgram(rootFd, program, env, cwd);
  } finally {
    closeSync(rootFd);
  }
}
