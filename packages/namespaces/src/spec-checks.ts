/**
 * The checks `withDefaults` makes on a ContainerSpec, each a ContainerSpecError naming the field: absolute paths,
 * ids, mounts (propagation and attribute names), the console, extra fds, and which namespaces may be joined beside
 * new ones.
 *
 * Man pages: namespaces(7), user_namespaces(7), mount_namespaces(7).
 */
import { ContainerSpecError } from './errors.js';
import type { NamespaceKind } from './namespaces.js';
import type { Mount, MountAttribute, Propagation } from './mount-spec.js';
import type { ConsoleSpec, ContainerSpec, FdPassing, NamespaceSpec, ResolvedNamespace } from './spec.js';

/** The propagation names mount(8) knows. */
export const PROPAGATIONS: ReadonlySet<string> = new Set<Propagation>([
  'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable',
]);

/** The attribute names of RecursiveAttributes. */
const ATTRIBUTES: ReadonlySet<string> = new Set<MountAttribute>([
  'ro', 'nosuid', 'nodev', 'noexec', 'nosymfollow', 'nodiratime', 'noatime', 'strictatime', 'relatime',
]);

export function checkAbsolute(field: string, path: string): void {
  if (!path.startsWith('/')) throw new ContainerSpecError(field, `not an absolute path: ${path}`);
  if (path.includes('\0')) throw new ContainerSpecError(field, 'contains a NUL byte');
}

export function checkMounts(mounts: readonly Mount[]): readonly Mount[] {
  mounts.forEach((m, i) => {
    checkAbsolute(`mounts[${i}].target`, m.target);
    if (m.type === 'bind') checkAbsolute(`mounts[${i}].source`, m.source);
    const list = m.propagation === undefined ? [] : typeof m.propagation === 'string' ? [m.propagation] : m.propagation;
    for (const p of list) {
      if (!PROPAGATIONS.has(p)) throw new ContainerSpecError(`mounts[${i}].propagation`, `unknown propagation: ${p}`);
    }
    for (const key of ['set', 'clear'] as const) {
      for (const a of m.recursiveAttributes?.[key] ?? []) {
        if (!ATTRIBUTES.has(a)) throw new ContainerSpecError(`mounts[${i}].recursiveAttributes.${key}`, `unknown attribute: ${a}`);
      }
    }
  });
  return mounts;
}

export function checkConsole(spec: ContainerSpec): ConsoleSpec | undefined {
  const c = spec.console;
  if (c === undefined) return undefined;
  checkAbsolute('console.socketPath', c.socketPath);
  if ((c.rows === undefined) !== (c.cols === undefined)) throw new ContainerSpecError('console', 'rows and cols go together');
  for (const key of ['rows', 'cols'] as const) {
    const v = c[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 0xffff)) throw new ContainerSpecError(`console.${key}`, `not 1-65535: ${v}`);
  }
  if (spec.consoleTty !== undefined && spec.consoleTty !== null) throw new ContainerSpecError('console', 'cannot be combined with consoleTty');
  return c;
}

export function checkId(field: string, id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xfffffffe) throw new ContainerSpecError(field, `not a valid id: ${id}`);
}

export function checkExtraFds(fds: readonly FdPassing[]): readonly FdPassing[] {
  fds.forEach((fd, i) => {
    if (!Number.isInteger(fd.to) || fd.to < 3) throw new ContainerSpecError(`extraFds[${i}].to`, `must be 3 or more: ${fd.to}`);
    if (!Number.isInteger(fd.from) || fd.from < 0) throw new ContainerSpecError(`extraFds[${i}].from`, `not an fd: ${fd.from}`);
  });
  return fds;
}

/**
 * Namespaces joined by path are joined before the new ones are made (namespace-plan.ts, runc's order), so new ones
 * belong to a joined user namespace and a new user namespace may sit beside joined ones. What cannot work is
 * refused: mounting from a new user namespace in a joined mount namespace (the new one has no capability over the
 * other's owner), and id maps for a user namespace that already has its own.
 */
export function checkJoinable(namespaces: readonly ResolvedNamespace[], spec: ContainerSpec): void {
  const fresh = (kind: NamespaceKind): boolean => namespaces.some((n) => n.kind === kind && n.path === undefined);
  const joined = (kind: NamespaceKind): boolean => namespaces.some((n) => n.kind === kind && n.path !== undefined);
  if (fresh('user') && joined('mnt')) {
    throw new ContainerSpecError('namespaces', 'a new user namespace cannot mount in a joined mnt namespace');
  }
  if (joined('user') && (spec.uidMap !== undefined || spec.gidMap !== undefined)) {
    throw new ContainerSpecError(spec.uidMap !== undefined ? 'uidMap' : 'gidMap', 'a joined user namespace has its own id maps');
  }
}

export function resolveNamespaces(list: readonly NamespaceSpec[]): ResolvedNamespace[] {
  const seen = new Set<NamespaceKind>();
  return list.map((entry, i) => {
    const ns = typeof entry === 'string' ? { kind: entry, path: undefined } : { kind: entry.kind, path: entry.path };
    if (seen.has(ns.kind)) throw new ContainerSpecError(`namespaces[${i}]`, `${ns.kind} given twice`);
    seen.add(ns.kind);
    if (ns.path !== undefined) checkAbsolute(`namespaces[${i}].path`, ns.path);
    return ns;
  });
}

