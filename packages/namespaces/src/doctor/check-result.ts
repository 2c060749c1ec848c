/**
 * Small builders shared by the checks: ok/warning/failure results, the kernel release compared with a minimum,
 * writability of a directory for a given uid/gid judged from its mode bits (so it works for another user and
 * on an injected root), and the program search on an injected PATH.
 *
 * Man pages: inode(7) (permission bits), path_resolution(7).
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { delimiter, join } from 'node:path';
import { readSetting, type DoctorEnvironment } from './environment.js';
import type { CheckId, CheckResult, SetupCause } from './types.js';

/** An ok result. */
export function ok(id: CheckId, message: string, affects: readonly string[]): CheckResult {
  return { id, status: 'ok', message, affects };
}

/** A warning or failure with its cause and fix. */
export function notOk(
  id: CheckId, status: 'warning' | 'failure', cause: SetupCause, message: string, affects: readonly string[],
  fix: string,
): CheckResult {
  return { id, status, message, affects, cause, fix };
}

/** The kernel release as [major, minor] (from `procRoot`/sys/kernel/osrelease), or undefined. */
export function kernelRelease(env: DoctorEnvironment): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(readSetting(join(env.procRoot, 'sys/kernel/osrelease')) ?? '');
  return m === null ? undefined : [Number(m[1]), Number(m[2])];
}

/** True when the kernel release is at least `major.minor` (unknown: assumed yes). */
export function kernelAtLeast(env: DoctorEnvironment, major: number, minor: number): boolean {
  const r = kernelRelease(env);
  return r === undefined || r[0] > major || (r[0] === major && r[1] >= minor);
}

/** stat(2), or undefined when the path does not exist or cannot be reached. */
export function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Whether `uid`/`gid` may create entries in directory `st` (write and search), by its mode bits: the owner's,
 * else the group's for the primary gid, else others'. Supplementary groups are not considered.
 */
export function dirWritableBy(st: Stats, uid: number, gid: number): boolean {
  if (uid === 0) return true;
  const bits = st.uid === uid ? (st.mode >> 6) & 7 : st.gid === gid ? (st.mode >> 3) & 7 : st.mode & 7;
  return (bits & 3) === 3;
}

/** The first executable `name` on `env.path`, or undefined. */
export function findOnPath(env: DoctorEnvironment, name: string): string | undefined {
  for (const dir of env.path.split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here: next PATH entry
    }
  }
  return undefined;
}

/** The user's name for commands: the login name, else the uid. */
export function userLabel(env: DoctorEnvironment): string {
  return env.userName ?? String(env.uid);
}
