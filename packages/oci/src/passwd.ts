/**
 * Resolving an image's `User` ("name", "uid", "name:group", "uid:gid", ...) through the rootfs's /etc/passwd and
 * /etc/group, read by fd inside the root (a symlinked /etc/passwd cannot point at the host's), as runc's
 * libcontainer/user.GetExecUser does for umoci. Man pages: passwd(5), group(5).
 */
import { closeSync, fstatSync, readFileSync } from 'node:fs';
import { O, SyscallError } from '@ct/syscalls';
import { CtError } from './internal/ct-error.js';
import type { FsOps } from './fs-ops.js';

/** The user a container process runs as. */
export interface ExecUser {
  /** User id (the number given, or the passwd entry's). */
  readonly uid: number;
  /** Primary group id: the group named in the spec, else the passwd entry's, else 0. */
  readonly gid: number;
  /** Supplementary group ids (from /etc/group membership when no group was named). */
  readonly additionalGids: readonly number[];
  /** Home directory from the passwd entry; `/` when the user has no entry or an empty one. */
  readonly home: string;
}

interface PasswdEntry { readonly name: string; readonly uid: number; readonly gid: number; readonly home: string }
interface GroupEntry { readonly name: string; readonly gid: number; readonly members: readonly string[] }

/** Largest /etc/passwd or /etc/group read. */
export const MAX_DB_BYTES = 4 * 1024 * 1024;
const ID = /^[0-9]{1,10}$/;

function toId(s: string): number | undefined {
  if (!ID.test(s)) return undefined;
  const n = Number(s);
  return n <= 0xffffffff ? n : undefined;
}

/** Parse passwd(5) lines (malformed lines are skipped, as libc does). */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || f[0] === '' || line.startsWith('#')) continue;
    const uid = toId(f[2]!);
    const gid = toId(f[3]!);
    if (uid !== undefined && gid !== undefined) out.push({ name: f[0]!, uid, gid, home: f[5]! });
  }
  return out;
}

/** Parse group(5) lines. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || f[0] === '' || line.startsWith('#')) continue;
    const gid = toId(f[2]!);
    if (gid !== undefined) out.push({ name: f[0]!, gid, members: f[3]!.split(',').filter((m) => m !== '') });
  }
  return out;
}

/** Read a small text file inside the root by fd; '' when it does not exist. */
export function readRootFile(fs: FsOps, rootFd: number, path: string, forceWalk: boolean): string {
  let fd: number;
  try {
    fd = fs.openInRoot(rootFd, Buffer.from(path), O.RDONLY | O.CLOEXEC, forceWalk);
  } catch (e) {
    if (e instanceof SyscallError && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return '';
    throw e;
  }
  try {
    return readDbFd(fd, path);
  } finally {
    closeSync(fd);
  }
}

/** The text of a passwd/group file open at `fd` ('' when not a regular file), size-limited. */
export function readDbFd(fd: number, path: string): string {
  const st = fstatSync(fd);
  if (!st.isFile()) return '';
  if (st.size > MAX_DB_BYTES) throw new CtError('OCI_USER_INVALID', `resolve user: ${path}: ${st.size} bytes exceeds the limit of ${MAX_DB_BYTES}`);
  return readFileSync(fd, 'utf8');
}

/**
 * Resolve `spec` against the given passwd and group text. A name that is not found is an error; a numeric id that
 * is not found is used as is (home "/", primary gid 0), as runc does.
 * @throws CtError code OCI_USER_INVALID.
 */
export function resolveExecUser(spec: string, passwdText: string, groupText: string): ExecUser {
  const [userPart = '', groupPart, ...rest] = spec.split(':');
  if (rest.length > 0) throw new CtError('OCI_USER_INVALID', `resolve user: ${JSON.stringify(spec)}: too many ':'`);
  const passwd = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  const numericUid = toId(userPart === '' ? '0' : userPart);
  const entry = numericUid !== undefined ? passwd.find((p) => p.uid === numericUid) : passwd.find((p) => p.name === userPart);
  if (entry === undefined && numericUid === undefined) {
    throw new CtError('OCI_USER_INVALID', `resolve user: ${JSON.stringify(userPart)}: no such user in /etc/passwd`);
  }
  const uid = numericUid ?? entry!.uid;
  let gid = entry?.gid ?? 0;
  let additionalGids: number[] = [];
  if (groupPart !== undefined && groupPart !== '') {
    const g = toId(groupPart) ?? groups.find((x) => x.name === groupPart)?.gid;
    if (g === undefined) throw new CtError('OCI_USER_INVALID', `resolve user: ${JSON.stringify(groupPart)}: no such group in /etc/group`);
    gid = g;
  } else if (entry !== undefined) {
    additionalGids = groups.filter((g) => g.members.includes(entry.name)).map((g) => g.gid);
  }
  return { uid, gid, additionalGids, home: entry?.home || '/' };
}

/**
 * Resolve `spec` as podman does for `run -u` / `exec -u` and an image's User (libpod's generateSpec): as
 * {@link resolveExecUser} (a name must exist; a number need not: its group is then 0 and its home `/`), but a given
 * user also gets its primary group among the additional ones, followed, when no group was named, by the groups
 * that list it as a member.
 * @throws CtError code OCI_USER_INVALID.
 */
export function resolveContainerUser(spec: string, passwdText: string, groupText: string): ExecUser {
  const u = resolveExecUser(spec, passwdText, groupText);
  if (spec === '') return u;
  return { ...u, additionalGids: [...new Set([u.gid, ...u.additionalGids])] };
}
