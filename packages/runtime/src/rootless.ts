/**
 * Are we rootless? Two cases (shared/RUNTIME-CLI.md, takeaway 4): our euid is not 0, or it is 0 inside a user
 * namespace someone else made (rootless podman, rootless containerd). The second is detected as runc does
 * (libcontainer/userns): the initial user namespace maps the whole 32-bit range, "0 0 4294967295".
 *
 * Man pages: user_namespaces(7) (/proc/PID/uid_map).
 */
import { readFileSync } from 'node:fs';

/** The facts the rootless rules depend on, injectable for tests. */
export interface ProcessIdentity {
  /** Effective uid (geteuid). */
  readonly euid: number;
  /** Text of /proc/self/uid_map, or undefined when it cannot be read. */
  readonly uidMap: string | undefined;
}

/** The identity of this process: euid and /proc/self/uid_map. */
export function currentIdentity(procRoot = '/proc'): ProcessIdentity {
  let uidMap: string | undefined;
  try {
    uidMap = readFileSync(`${procRoot}/self/uid_map`, 'utf8');
  } catch {
    uidMap = undefined;
  }
  return { euid: process.geteuid?.() ?? 0, uidMap };
}

/** True when the uid_map text is not the initial namespace's identity map (we are in a user namespace). */
export function isInUserNamespace(uidMap: string | undefined): boolean {
  if (uidMap === undefined) return false;
  const lines = uidMap.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  return !(lines.length === 1 && lines[0] === '0 0 4294967295');
}

/** The `--rootless` flag's values. */
export type RootlessMode = 'true' | 'false' | 'auto';

/**
 * Whether to run rootless: `true`/`false` force it; `auto` means euid != 0, or euid 0 in a user namespace that is
 * not the initial one.
 */
export function isRootless(identity: ProcessIdentity, mode: RootlessMode = 'auto'): boolean {
  if (mode === 'true') return true;
  if (mode === 'false') return false;
  return identity.euid !== 0 || isInUserNamespace(identity.uidMap);
}
