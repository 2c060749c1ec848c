/**
 * A `cgroup` mount (OCI's, podman's and containerd's /sys/fs/cgroup) as runc mounts it without a cgroup
 * namespace: on v1 a tmpfs (nosuid, nodev, noexec, mode 755) holding, per hierarchy the container has a cgroup in, a
 * bind of the container's own cgroup directory named like the host's hierarchy (`cpu,cpuacct`, with links `cpu`
 * and `cpuacct` to it) in the order the host mounts them, and with `ro` the binds read-only; on v2 a bind of the
 * container's cgroup directory at the destination. A container without a cgroup of its own (an unprivileged caller without
 * delegation) gets the caller's own cgroups there, as runc rootless binds them (`ownCgroupMountContext`); with
 * neither the tmpfs stays empty, with a warning. With a cgroup namespace (new or joined) each v1 hierarchy is mounted
 * afresh inside it, as runc does (source `systemd` for name=systemd, else `cgroup`), so it shows the namespace's root.
 * As runc does, `ro` makes the hierarchies read-only, not the tmpfs holding them (docker and podman containers on
 * cgroup v1 show that tmpfs rw: nothing in it but the hierarchies' mount points and links).
 *
 * Man pages: cgroups(7), mount(2), tmpfs(5).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { detectCgroupVersion } from './cgroups/cgroup.js';
import { ContainerSpecError } from './errors.js';
import { NODE_CGROUP_FS, readOwnCgroups } from './cgroups/resources.js';
import { hierarchyControllers, mountedV1Hierarchies } from './cgroups/v1.js';
import { MS, mountFlagBits } from './internal/mount-flags.js';
import { linkAt, mkdirAt, mountAt, type PathContext, remountAt } from './internal/step-builders.js';
import type { CgroupMount, Mount, Propagation } from './mount-spec.js';
import type { PlannedStep } from './planned-step.js';

/** The container's cgroup as the mount needs it. */
export interface CgroupMountContext {
  /** The cgroup version of the host's hierarchy. */
  readonly version: 'v1' | 'v2';
  /** Its directories (one per v1 hierarchy, or the v2 one). */
  readonly paths: readonly string[];
  /** The cgroupfs root the hierarchies are mounted under (/sys/fs/cgroup). */
  readonly root: string;
  /** The container has a cgroup namespace (new or joined): v1 hierarchies are mounted, not bound. */
  readonly namespaced?: boolean;
}

/** The flags of the binds: the mount's, and nosuid, nodev, noexec as runc's defaults for cgroup mounts. */
const DEFAULTS = MS.NOSUID | MS.NODEV | MS.NOEXEC;

function bindDir(ctx: PathContext, source: string, target: string, flags: bigint, recursive: boolean): PlannedStep[] {
  return [
    mkdirAt(ctx, target, 0o755),
    mountAt(ctx, target, `bind ${source}`, { source, flags: MS.BIND | (recursive ? MS.REC : 0n) }),
    remountAt(ctx, target, 'remount', flags, recursive),
  ];
}

/** A v1 hierarchy mounted in the container's cgroup namespace (its root there), as runc's mountCgroupV1 does. */
function mountHierarchy(ctx: PathContext, hierarchy: string, target: string, flags: bigint): PlannedStep {
  // The directory names the hierarchy by its controllers; systemd's is the named one (runc knows no other).
  const systemd = hierarchy === 'systemd';
  return mountAt(ctx, target, `mount cgroup ${hierarchy}`, {
    source: systemd ? 'systemd' : 'cgroup', fstype: 'cgroup', flags, data: systemd ? 'name=systemd' : hierarchy,
  });
}

/** The steps of `mount` for `cgroup` (undefined: no cgroup, an empty tmpfs). */
export function planCgroupMount(
  ctx: PathContext, mount: CgroupMount, cgroup: CgroupMountContext | undefined, warn: (message: string) => void,
): { steps: PlannedStep[]; lateReadOnly: string | undefined } {
  const flags = mountFlagBits(mount.flags ?? []) | DEFAULTS;
  if (cgroup?.version === 'v2' && cgroup.paths[0] !== undefined) {
    return { steps: bindDir(ctx, cgroup.paths[0], mount.target, flags, true), lateReadOnly: undefined };
  }
  const steps: PlannedStep[] = [
    mkdirAt(ctx, mount.target, 0o755),
    mountAt(ctx, mount.target, 'mount cgroup tmpfs', { source: 'tmpfs', fstype: 'tmpfs', flags: DEFAULTS, data: 'mode=755' }),
  ];
  if (cgroup === undefined) warn(`mount ${mount.target}: the container has no cgroup, left an empty tmpfs`);
  const links: PlannedStep[] = [];
  for (const dir of cgroup?.paths ?? []) {
    const hierarchy = relative(cgroup?.root ?? '/', dir).split('/')[0] ?? '';
    if (hierarchy === '' || hierarchy.startsWith('..')) continue;
    // the hybrid layout's v2 mount, where the container has a cgroup too: runc mounts the v1 hierarchies only
    if (existsSync(join(cgroup?.root ?? '/', hierarchy, 'cgroup.controllers'))) continue;
    const target = join(mount.target, hierarchy);
    if (cgroup?.namespaced === true) steps.push(mkdirAt(ctx, target, 0o755), mountHierarchy(ctx, hierarchy, target, flags));
    else steps.push(...bindDir(ctx, dir, target, flags, false));
    const controllers = hierarchy.split(',').filter((c) => c !== '' && !c.startsWith('name='));
    if (controllers.length > 1) for (const c of controllers) links.push(linkAt(ctx, join(mount.target, c), hierarchy));
  }
  steps.push(...links);
  return { steps, lateReadOnly: undefined };
}

/**
 * Refuse a v1 `cgroup` mount bound from the host's hierarchies (no cgroup namespace) that lies inside a recursive
 * bind of host files when the root propagation is rshared: `make / rshared` made the bind's source shared, so the
 * bind is its peer, and the tmpfs the cgroup mount starts with propagates back over the source's copy of
 * /sys/fs/cgroup, hiding the hierarchies it then binds from (the bind fails with ENOENT; runc 1.1.5 fails there too,
 * at `stat /sys/fs/cgroup/cpu`). A bind with a propagation of its own that is not shared, or a later mount over the
 * bind (sysfs at /sys), is fine. The error names rootPropagation, with what to change.
 */
export function checkCgroupUnderSharedBind(
  mounts: readonly Mount[], index: number, rootPropagation: Propagation | undefined, cgroup: CgroupMountContext | undefined,
): void {
  const mount = mounts[index];
  if (rootPropagation !== 'rshared' || mount?.type !== 'cgroup' || cgroup?.version !== 'v1' || cgroup.namespaced === true || cgroup.paths.length === 0) return;
  const inside = (m: Mount): boolean => mount.target === m.target || mount.target.startsWith(`${m.target === '/' ? '' : m.target}/`);
  const j = mounts.slice(0, index).map(inside).lastIndexOf(true);
  const bind = mounts[j];
  if (bind?.type !== 'bind' || bind.recursive === false) return;
  const own = bind.propagation === undefined ? [] : typeof bind.propagation === 'string' ? [bind.propagation] : bind.propagation;
  if (own.length > 0 && !own.some((p) => p.endsWith('shared'))) return;
  throw new ContainerSpecError('rootPropagation', `rshared: mounts[${index}] (cgroup at ${mount.target}) is inside mounts[${j}], a recursive bind of ` +
    `${bind.source}, which the shared root makes a peer of its source: the cgroup tmpfs would propagate back over the source's ` +
    `${mount.target} and hide the hierarchies it binds from; use rslave, or a sysfs mount there`);
}

/**
 * `cgroup` with its v1 directories in the order their hierarchies are mounted on the host (`points`: the mount
 * points of /proc/self/mountinfo), the order runc binds them in; directories of no listed hierarchy keep theirs, last.
 */
export function inMountOrder(cgroup: CgroupMountContext, points: readonly string[]): CgroupMountContext {
  if (cgroup.version === 'v2') return cgroup;
  const rank = (dir: string): number => {
    const i = points.indexOf(join(cgroup.root, relative(cgroup.root, dir).split('/')[0] ?? ''));
    return i === -1 ? points.length : i;
  };
  return { ...cgroup, paths: [...cgroup.paths].sort((a, b) => rank(a) - rank(b)) };
}

/** The caller's own cgroup directories under `root`, for a container that has none of its own (undefined: none found). */
export function ownCgroupMountContext(root: string, procRoot?: string): CgroupMountContext | undefined {
  try {
    const own = readOwnCgroups(procRoot);
    if (detectCgroupVersion(root) === 'v2') {
      const path = own.get('');
      return path === undefined ? undefined : { version: 'v2', paths: [join(root, path)], root };
    }
    const paths = mountedV1Hierarchies(root, NODE_CGROUP_FS).flatMap((hierarchy) => {
      const path = own.get(hierarchy) ?? own.get(`name=${hierarchy}`) ?? own.get(hierarchyControllers(hierarchy)[0] ?? '\0');
      return path === undefined ? [] : [join(root, hierarchy, path)];
    });
    return paths.length === 0 ? undefined : { version: 'v1', paths, root };
  } catch {
    return undefined; // no /proc/self/cgroup, no cgroupfs: an empty tmpfs, with the planner's warning
  }
}
