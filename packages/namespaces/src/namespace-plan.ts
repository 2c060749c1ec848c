/**
 * How the child gets its namespaces. Without a namespace joined by path the clone makes every new one at once
 * (the new user namespace then owns the others). With one, the order is runc's nsexec's: the child is cloned in
 * the caller's namespaces, joins the given ones (user first, so the others are joined with its capabilities and
 * new ones belong to it; mnt after the rest, since it changes the root and cwd), unshares the new ones, and, when
 * its pid namespace is new or joined (or a time namespace joined: both apply to children only), forks the process
 * that runs everything else (`forkInit`: CLONE_PARENT, so that process is the caller's own child and the first
 * one exits at once). So a container that joins a pid namespace by path (containerd's CRI passes the pod's) runs
 * in it, not in the caller's.
 *
 * Man pages: setns(2), unshare(2), clone(2) (CLONE_PARENT), pid_namespaces(7), user_namespaces(7).
 */
import { CLONE_FLAGS, type NamespaceKind, namespacesToBitMask } from './namespaces.js';
import { planned, type PlannedStep } from './planned-step.js';
import type { ResolvedContainerSpec } from './spec.js';

/** runc's order of joins (configs.NamespaceTypes): user first, mnt after the others. */
const JOIN_ORDER: readonly NamespaceKind[] = ['user', 'ipc', 'uts', 'net', 'pid', 'mnt', 'cgroup', 'time'];

/** The clone flags and the steps that come first in the child. */
export interface NamespacePlan {
  /** CLONE_NEW* flags of the clone itself. */
  readonly cloneFlags: number;
  /** setns, unshare and forkInit steps, run before any other. */
  readonly steps: readonly PlannedStep[];
  /** A new user namespace is made by an unshare step (the parent must be able to write its maps). */
  readonly userByUnshare: boolean;
}

/**
 * The namespace part of the child plan; `deferred` lists the new kinds made later by steps of their own (a cgroup
 * namespace after the cgroup placement, a time namespace whose offsets are written first).
 */
export function planNamespaces(spec: ResolvedContainerSpec, deferred: ReadonlySet<NamespaceKind>): NamespacePlan {
  const fresh = spec.namespaces.filter((ns) => ns.path === undefined && !deferred.has(ns.kind)).map((ns) => ns.kind);
  const joined = JOIN_ORDER.flatMap((kind) => spec.namespaces.filter((ns) => ns.kind === kind && ns.path !== undefined));
  if (joined.length === 0) return { cloneFlags: namespacesToBitMask(fresh), steps: [], userByUnshare: false };
  const steps: PlannedStep[] = joined.map((ns) =>
    planned({ op: 'setns', path: ns.path ?? '', nstype: CLONE_FLAGS[ns.kind] }, `join ${ns.kind} namespace`, ns.path));
  if (fresh.length > 0) {
    steps.push(planned({ op: 'unshare', flags: namespacesToBitMask(fresh) }, `unshare ${fresh.join(' ')} namespaces`));
  }
  const forks = spec.namespaces.some((ns) => ns.kind === 'pid' || (ns.kind === 'time' && ns.path !== undefined));
  if (forks) steps.push(planned({ op: 'forkInit' }, 'fork the container process'));
  return { cloneFlags: 0, steps, userByUnshare: fresh.includes('user') };
}
