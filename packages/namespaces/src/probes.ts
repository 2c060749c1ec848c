/**
 * Feature probes (Guix's `user-namespace-supported?`, `unprivileged-user-namespace-supported?`,
 * `setgroups-supported?`), plus the two knobs Guix misses: user.max_user_namespaces = 0 and Ubuntu's
 * kernel.apparmor_restrict_unprivileged_userns = 1. Every probe reads under an injectable `procRoot` so tests
 * can build a fake /proc.
 *
 * Man pages: user_namespaces(7), proc(5) (/proc/sys/user/max_user_namespaces, /proc/PID/setgroups).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the probes look (default: the real /proc). */
export interface ProbeOptions {
  /** The proc file system's root, default `/proc`. */
  readonly procRoot?: string;
}

/** The verdict of the unprivileged user namespace probe, with the reason when unsupported. */
export interface UserNamespaceVerdict {
  /** Whether an unprivileged user namespace can be created. */
  readonly supported: boolean;
  /** Why not (the file and value that forbids it); undefined when supported. */
  readonly reason: string | undefined;
}

function readTrimmed(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** True when the kernel has user namespaces (/proc/self/ns/user exists). */
export function userNamespaceSupported(options: ProbeOptions = {}): boolean {
  return existsSync(join(options.procRoot ?? '/proc', 'self/ns/user'));
}

/** True when /proc/self/setgroups exists (Linux ≥ 3.19), i.e. setgroups can be denied for a user namespace. */
export function setgroupsSupported(options: ProbeOptions = {}): boolean {
  return existsSync(join(options.procRoot ?? '/proc', 'self/setgroups'));
}

/**
 * Whether an unprivileged process may create a user namespace, and if not why: user namespaces missing,
 * kernel.unprivileged_userns_clone (Debian) not 1, user.max_user_namespaces 0, or
 * kernel.apparmor_restrict_unprivileged_userns (Ubuntu) 1.
 */
export function checkUnprivilegedUserNamespace(options: ProbeOptions = {}): UserNamespaceVerdict {
  const proc = options.procRoot ?? '/proc';
  if (!userNamespaceSupported(options)) return { supported: false, reason: `${proc}/self/ns/user: missing` };
  const checks: readonly [string, (value: string) => boolean][] = [
    ['sys/kernel/unprivileged_userns_clone', (v) => v === '1'],
    ['sys/user/max_user_namespaces', (v) => Number.parseInt(v, 10) > 0],
    ['sys/kernel/apparmor_restrict_unprivileged_userns', (v) => v === '0'],
  ];
  for (const [file, ok] of checks) {
    const value = readTrimmed(join(proc, file));
    if (value !== undefined && !ok(value)) {
      return { supported: false, reason: `${proc}/${file}: ${value}` };
    }
  }
  return { supported: true, reason: undefined };
}

/** True when an unprivileged process may create a user namespace (see `checkUnprivilegedUserNamespace`). */
export function unprivilegedUserNamespaceSupported(options: ProbeOptions = {}): boolean {
  return checkUnprivilegedUserNamespace(options).supported;
}
