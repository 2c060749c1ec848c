/**
 * Namespace kinds, Guix's default set and the CLONE_NEW* bit mask a clone uses.
 *
 * All new namespaces are created in one clone so that the new user namespace owns the others
 * (user_namespaces(7)). CLONE_NEWTIME is only used when asked for (Guix never does).
 *
 * Man pages: namespaces(7), clone(2), unshare(2).
 */
import { CLONE, SIG } from '@ct/syscalls';

/** The kinds of namespace a container can have. */
export type NamespaceKind = 'cgroup' | 'mnt' | 'pid' | 'ipc' | 'uts' | 'user' | 'net' | 'time';

/** Guix's `%namespaces`: every kind but time, in Guix's order. */
export const NAMESPACES: readonly NamespaceKind[] = Object.freeze([
  'cgroup', 'mnt', 'pid', 'ipc', 'uts', 'user', 'net',
] as const);

/** CLONE_NEW* flag of each kind (linux/sched.h). CLONE_NEWTIME shares its value with CSIGNAL's range. */
export const CLONE_FLAGS: Readonly<Record<NamespaceKind, number>> = Object.freeze({
  mnt: CLONE.NEWNS,
  cgroup: CLONE.NEWCGROUP,
  uts: CLONE.NEWUTS,
  ipc: CLONE.NEWIPC,
  user: CLONE.NEWUSER,
  pid: CLONE.NEWPID,
  net: CLONE.NEWNET,
  time: CLONE.NEWTIME,
});


/**
 * The CLONE_NEW* flags of `namespaces` ORed together. With `withSigchld` (Guix's `namespaces->bit-mask`), SIGCHLD
 * is ORed in too, as a raw clone(2) wants; @ct/syscalls' `SpawnPlan.namespaces` takes the flags alone.
 * @throws TypeError for an unknown kind.
 */
export function namespacesToBitMask(namespaces: Iterable<NamespaceKind>, withSigchld = false): number {
  let mask = withSigchld ? SIG.SIGCHLD : 0;
  for (const kind of namespaces) {
    const flag = CLONE_FLAGS[kind];
    if (flag === undefined) throw new TypeError(`namespacesToBitMask: unknown namespace kind ${String(kind)}`);
    mask |= flag;
  }
  return mask >>> 0;
}

