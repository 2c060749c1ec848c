/**
 * What the parent learns about the host before a clone: its ids, its /etc/subuid ranges and whether newuidmap
 * exists, whether its user namespace denies setgroups or is not the initial one, its tty, which /dev nodes exist, and whether each bind source exists and is a directory (a missing
 * source fails here, in the caller, with ENOENT naming the path, as Guix's forwarded exception does).
 *
 * Man pages: stat(2), ttyname(3), subuid(5), newuidmap(1).
 */
import { accessSync, constants, existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { userInfo } from 'node:os';
import { SyscallError } from './errors.js';
import { HOST_DEVICES } from './dev-plan.js';
import type { IdMapContext } from './id-map.js';
import type { IdMapEntry, Mount } from './spec.js';
import { readSubordinateIds } from './subordinate-ids.js';

/** Host files and programs the parent consults (injectable for tests). */
export interface HostOptions {
  /** The proc file system's root, default `/proc`. */
  readonly procRoot?: string;
  /** Default `/etc/subuid`. */
  readonly subuidFile?: string;
  /** Default `/etc/subgid`. */
  readonly subgidFile?: string;
  /** The newuidmap program (default: found in PATH). */
  readonly newuidmap?: string;
  /** The newgidmap program (default: found in PATH). */
  readonly newgidmap?: string;
  /** The caller's effective uid (default: this process's). */
  readonly euid?: number;
  /** The caller's effective gid (default: this process's). */
  readonly egid?: number;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` in PATH, or undefined. */
export function findProgram(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    if (isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The id-map inputs for this caller. */
export function gatherIdMapContext(options: HostOptions, useSubordinateIds: boolean): IdMapContext {
  const euid = options.euid ?? process.geteuid?.() ?? 0;
  const egid = options.egid ?? process.getegid?.() ?? 0;
  const newuidmap = options.newuidmap ?? findProgram('newuidmap');
  const newgidmap = options.newgidmap ?? findProgram('newgidmap');
  const available = newuidmap !== undefined && newgidmap !== undefined && isExecutable(newuidmap)
    && isExecutable(newgidmap);
  const setgroupsDenied = readSetgroups(options.procRoot) === 'deny';
  const ownUidMap = readOwnIdMap(options.procRoot, 'uid_map');
  const ownGidMap = readOwnIdMap(options.procRoot, 'gid_map');
  const own = { ...(ownUidMap === undefined ? {} : { ownUidMap }), ...(ownGidMap === undefined ? {} : { ownGidMap }) };
  if (euid === 0 || !useSubordinateIds || !available) {
    return { euid, egid, subuid: [], subgid: [], newidmapAvailable: available, setgroupsDenied, ...own };
  }
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = undefined;
  }
  return {
    euid,
    egid,
    subuid: readSubordinateIds(options.subuidFile ?? '/etc/subuid', user, euid),
    subgid: readSubordinateIds(options.subgidFile ?? '/etc/subgid', user, egid),
    newidmapAvailable: true,
    setgroupsDenied,
    ...own,
  };
}

/** /proc/self/uid_map or gid_map as entries; undefined in the initial user namespace or when unreadable. */
function readOwnIdMap(procRoot = '/proc', file: 'uid_map' | 'gid_map'): IdMapEntry[] | undefined {
  let text: string;
  try {
    text = readFileSync(join(procRoot, 'self', file), 'utf8');
  } catch {
    return undefined;
  }
  const entries = text.trim().split('\n').filter((l) => l.trim() !== '').map((line) => {
    const [inside = 0, outside = 0, count = 0] = line.trim().split(/\s+/).map(Number);
    return { inside, outside, count };
  });
  const initial = entries.length === 1 && entries[0]?.inside === 0 && entries[0].outside === 0 && entries[0].count === 4294967295;
  return initial || entries.length === 0 ? undefined : entries;
}

/** /proc/self/setgroups ('allow' or 'deny'; undefined when unreadable, on a kernel without the file). */
function readSetgroups(procRoot = '/proc'): string | undefined {
  try {
    return readFileSync(join(procRoot, 'self/setgroups'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The mount points of /proc/self/mountinfo, in its order (octal escapes decoded); none without /proc. */
export function mountPoints(procRoot = '/proc'): string[] {
  try {
    return readFileSync(join(procRoot, 'self/mountinfo'), 'utf8').split('\n')
      // field 5 is the mount point, octal-escaped (\040 for a space)
      .map((line) => (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
      .filter((point) => point.startsWith('/'));
  } catch {
    return []; // no /proc
  }
}

/** The mount point `path` sits on (the longest mount point of /proc/self/mountinfo that contains it), or '/'. */
export function mountPointOf(path: string, procRoot = '/proc'): string {
  let best = '/';
  for (const point of mountPoints(procRoot)) {
    const inside = point === '/' || path === point || path.startsWith(`${point}/`);
    if (inside && point.length > best.length) best = point;
  }
  return best;
}

/** True unless /proc/self/uid_map is the initial namespace's identity map ("0 0 4294967295"). */
export function runningInUserNamespace(procRoot = '/proc'): boolean {
  return readOwnIdMap(procRoot, 'uid_map') !== undefined;
}

/** The tty on the caller's stdin, for /dev/console, or undefined. */
export function callerTty(procRoot = '/proc'): string | undefined {
  if (!process.stdin.isTTY) return undefined;
  try {
    const path = readlinkSync(join(procRoot, 'self/fd/0'));
    return path.startsWith('/dev/') ? path : undefined;
  } catch {
    return undefined;
  }
}

/** The HOST_DEVICES present on this host. */
export function presentHostDevices(): string[] {
  return HOST_DEVICES.filter((name) => existsSync(`/dev/${name}`));
}

/**
 * Stat every bind source: a map from source to "is a directory". A missing source throws a SyscallError with
 * code ENOENT and the path.
 */
export function statBindSources(mounts: readonly Mount[]): Map<string, boolean> {
  const kinds = new Map<string, boolean>();
  for (const mount of mounts) {
    if (mount.type !== 'bind') continue;
    try {
      kinds.set(mount.source, statSync(mount.source).isDirectory());
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      throw new SyscallError('stat', Math.abs(e.errno ?? 2), { path: mount.source });
    }
  }
  return kinds;
}
