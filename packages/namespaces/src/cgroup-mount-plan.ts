/**
 * A `cgroup` mount (OCI's, podman's and containerd's /sys/fs/cgroup) as runc mounts it without a cgroup
 * namespace: on v1 a tmpfs (nosuid, nodev, noexec, mode 755) holding, per hierarchy the container has a cgroup in, a
 * bind of the container's own cgroup directory named like the host's hierarchy (`cpu,cpuacct`, with links `cpu`
 * and `cpuacct` to it), and with `ro` the binds and then the tmpfs read-only; on v2 a bind of the container's
 * cgroup directory at the destination. A container without a cgroup of its own (an unprivileged caller without
 * delegation) gets the caller's own cgroups there, as runc rootless binds them (`ownCgroupMountContext`); with
 * neither the tmpfs stays empty, with a warning.
 *
 * Man pages: cgroups(7), mount(2), tmpfs(5).
 */
import { join, relative } from 'node:path';
import { detectCgroupVersion } from './cgroups/cgroup.js';
import { NODE_CGROUP_FS, readOwnCgroups } from './cgroups/resources.js';
import { hierarchyControllers, mountedV1Hierarchies } from './cgroups/v1.js';
import { MS, mountFlagBits } from './internal/mount-flags.js';
import { linkAt, mkdirAt, mountAt, type PathContext, remountAt } from './internal/step-builders.js';
import type { CgroupMount } from './mount-spec.js';
import type { PlannedStep } from './planned-step.js';

/** The container's cgroup as the mount needs it. */
export interface CgroupMountContext {
  /** The cgroup version of the host's hierarchy. */
  readonly version: 'v1' | 'v2';
  /** Its directories (one per v1 hierarchy, or the v2 one). */
  readonly paths: readonly string[];
  /** The cgroupfs root the hierarchies are mounted under (/sys/fs/cgroup). */
  readonly root: string;
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

/** The steps of `mount` for `cgroup` (undefined: no cgroup, an empty tmpfs). */
export function planCgroupMount(
  ctx: PathContext, mount: CgroupMount, cgroup: CgroupMountContext | undefined, warn: (message: string) => void,
): { steps: PlannedStep[]; lateReadOnly: string | undefined } {
  const flags = mountFlagBits(mount.flags ?? []) | DEFAULTS;
  const readOnly = (flags & MS.RDONLY) !== 0n;
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
    steps.push(...bindDir(ctx, dir, join(mount.target, hierarchy), flags, false));
    const controllers = hierarchy.split(',').filter((c) => c !== '' && !c.startsWith('name='));
    if (controllers.length > 1) for (const c of controllers) links.push(linkAt(ctx, join(mount.target, c), hierarchy));
  }
  steps.push(...links);
  if (readOnly) steps.push(remountAt(ctx, mount.target, 'remount read-only', MS.RDONLY | DEFAULTS, false));
  return { steps, lateReadOnly: undefined };
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
