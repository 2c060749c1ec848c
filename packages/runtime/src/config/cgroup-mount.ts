/**
 * A `type: cgroup` (or `cgroup2`) mount of config.json (podman and containerd send one at /sys/fs/cgroup), as runc
 * mounts it on v1: a tmpfs at the destination holding, for each hierarchy the container has a cgroup in, a bind of
 * the container's own cgroup directory named like the host's hierarchy (`cpu,cpuacct`, with symlinks `cpu` and
 * `cpuacct` to it), read-only when the mount says `ro`. On v2 the container's cgroup directory is bound at the
 * destination itself. The tmpfs comes from to-container-spec.ts (the cgroup is made later, at launch); the binds and
 * symlinks from `cgroupMountParts` once the cgroup's paths are known. Without a cgroup (rootless on v1) the tmpfs is
 * left empty. Divergence: runc remounts the tmpfs read-only too; ct leaves it writable (the symlinks are made after
 * pivot_root, when a read-only tmpfs would refuse them); the cgroup directories are read-only as runc's.
 *
 * Man pages: cgroups(7), mount(2), tmpfs(5).
 */
import { join, relative } from 'node:path';
import { MOUNT_ATTR, MS, type Step } from '@ct/syscalls';
import type { Mount } from '@ct/namespaces/engine';
import type { ConfigMount } from './config-mounts.js';

/** Whether a config.json mount is a cgroup mount. */
export function isCgroupMount(m: ConfigMount): boolean {
  return m.type === 'cgroup' || m.type === 'cgroup2';
}

/** The tmpfs that stands at a cgroup mount's destination (its binds go in at launch). */
export function cgroupMountTmpfs(m: ConfigMount): Mount {
  return { type: 'tmpfs', target: m.destination, flags: ['nosuid', 'nodev', 'noexec'], mode: 0o755 };
}

/** What goes into a cgroup mount once the container's cgroup exists: binds after its tmpfs, symlinks after pivot_root. */
export interface CgroupMountParts {
  readonly binds: readonly Mount[];
  readonly symlinks: readonly Step[];
}

/**
 * The binds and symlinks for cgroup mount `m`, from the container's cgroup directories (`paths` below `root`: one per
 * v1 hierarchy, or the v2 one).
 */
export function cgroupMountParts(m: ConfigMount, cgroup: { readonly version: 'v1' | 'v2'; readonly paths: readonly string[] }, root: string): CgroupMountParts {
  const readOnly = (m.options.flags & MS.RDONLY) !== 0n || (m.options.recursiveSet & MOUNT_ATTR.RDONLY) !== 0n;
  if (cgroup.version === 'v2') {
    const dir = cgroup.paths[0];
    return { binds: dir === undefined ? [] : [{ type: 'bind', source: dir, target: m.destination, readOnly, recursive: true }], symlinks: [] };
  }
  const binds: Mount[] = [];
  const symlinks: Step[] = [];
  for (const dir of cgroup.paths) {
    const hierarchy = relative(root, dir).split('/')[0] ?? '';
    if (hierarchy === '' || hierarchy.startsWith('..')) continue;
    binds.push({ type: 'bind', source: dir, target: join(m.destination, hierarchy), readOnly, recursive: false });
    const controllers = hierarchy.split(',').filter((c) => c !== '' && !c.startsWith('name='));
    if (controllers.length > 1) {
      for (const c of controllers) symlinks.push({ op: 'symlink', target: hierarchy, path: join(m.destination, c) });
    }
  }
  return { binds, symlinks };
}
