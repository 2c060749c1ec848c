/**
 * Writing a user namespace's maps from the parent (Guix's `initialize-user-namespace`): "deny" to
 * /proc/PID/setgroups when needed, then uid_map, then gid_map, each with exactly one write(2), since the kernel
 * accepts only one. Multi-range maps of an unprivileged caller go through the setuid newuidmap/newgidmap.
 *
 * Man pages: user_namespaces(7) ("Defining user and group ID mappings"), newuidmap(1), newgidmap(1).
 */
import { execFile } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { IdMapError, SyscallError } from './errors.js';
import { formatIdMap, type IdMapPlan } from './id-map.js';
import type { IdMapEntry } from './spec.js';

/** Where and how maps are written (injectable for tests). */
export interface IdMapWriteOptions {
  /** The proc file system's root, default `/proc`. */
  readonly procRoot?: string;
  /** The newuidmap program (default found in PATH). */
  readonly newuidmap?: string;
  /** The newgidmap program (default found in PATH). */
  readonly newgidmap?: string;
}

/** Write `text` to `file` in one write(2); a short write or an error becomes an IdMapError naming the file. */
export function writeOnce(file: string, text: string): void {
  const data = Buffer.from(text);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'w');
    const written = writeSync(fd, data, 0, data.length);
    if (written !== data.length) throw new IdMapError(file, undefined, `short write (${written}/${data.length})`);
  } catch (error) {
    if (error instanceof IdMapError) throw error;
    const e = error as NodeJS.ErrnoException;
    const cause = new SyscallError(fd === undefined ? 'open' : 'write', Math.abs(e.errno ?? 0), { path: file });
    throw new IdMapError(file, undefined, e.code ?? e.message, cause);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function runMapper(program: string, pid: number, entries: readonly IdMapEntry[]): Promise<void> {
  const args = [String(pid), ...entries.flatMap((e) => [String(e.inside), String(e.outside), String(e.count)])];
  return new Promise((resolve, reject) => {
    execFile(program, args, (error, _stdout, stderr) => {
      if (error === null) resolve();
      else reject(new IdMapError(program, undefined, `${stderr.trim() || error.message}`, error));
    });
  });
}

/**
 * newgidmap decides /proc/PID/setgroups itself (shadow writes "deny" unless a subgid range is mapped): a plan that
 * calls setgroups where it is denied would fail in the child at an obscure step, so say it here.
 */
function checkSetgroups(file: string, plan: IdMapPlan): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return; // no setgroups file (Linux < 3.19, or a fake /proc)
  }
  if (text === 'deny' && !plan.denySetgroups) {
    throw new IdMapError(file, undefined, 'newgidmap denied setgroups, which the plan calls (a gid map without a subgid range)');
  }
}

/** Write the maps of process `pid`'s user namespace as `plan` says (setgroups, uid_map, gid_map). */
export async function writeIdMaps(pid: number, plan: IdMapPlan, options: IdMapWriteOptions = {}): Promise<void> {
  const dir = join(options.procRoot ?? '/proc', String(pid));
  if (plan.method === 'newidmap') {
    await runMapper(options.newuidmap ?? 'newuidmap', pid, plan.uidMap);
    await runMapper(options.newgidmap ?? 'newgidmap', pid, plan.gidMap);
    checkSetgroups(join(dir, 'setgroups'), plan);
    return;
  }
  if (plan.denySetgroups) writeOnce(join(dir, 'setgroups'), 'deny');
  writeOnce(join(dir, 'uid_map'), formatIdMap(plan.uidMap));
  writeOnce(join(dir, 'gid_map'), formatIdMap(plan.gidMap));
}

/** Guix-shaped options of `initializeUserNamespace`. */
export interface InitializeUserNamespaceOptions extends IdMapWriteOptions {
  /** The first host uid (default the caller's euid). */
  readonly hostUid?: number;
  /** The first host gid (default the caller's egid). */
  readonly hostGid?: number;
  /** The id the host uid appears as (default 0). */
  readonly guestUid?: number;
  /** The id the host gid appears as (default 0). */
  readonly guestGid?: number;
}

/**
 * Guix's `initialize-user-namespace`: map `hostUids` ids from the host uid/gid to the guest uid/gid of process
 * `pid` ("GUEST HOST COUNT"), denying setgroups first unless the host ids are both 0.
 */
export async function initializeUserNamespace(
  pid: number, hostUids: number, options: InitializeUserNamespaceOptions = {},
): Promise<void> {
  const hostUid = options.hostUid ?? process.geteuid?.() ?? 0;
  const hostGid = options.hostGid ?? process.getegid?.() ?? 0;
  const plan: IdMapPlan = {
    uidMap: [{ inside: options.guestUid ?? 0, outside: hostUid, count: hostUids }],
    gidMap: [{ inside: options.guestGid ?? 0, outside: hostGid, count: hostUids }],
    method: 'write',
    denySetgroups: !(hostUid === 0 && hostGid === 0),
    setupIds: undefined,
  };
  await writeIdMaps(pid, plan, options);
}
