/**
 * Choosing and creating the container's cgroup: cgroup v2 when the root (default /sys/fs/cgroup) is a unified
 * hierarchy (it has cgroup.controllers), else v1 controller hierarchies below it. An unprivileged caller without
 * a delegated subtree gets no cgroup and one warning (the container still runs, unlimited); root gets an error.
 * An unprivileged caller's device rules are dropped (runc and crun make no device cgroup for one either).
 *
 * Man pages: cgroups(7).
 */
import { join, relative } from 'node:path';
import { CgroupError } from '../errors.js';
import { type CgroupFs, type CgroupSpec, type ContainerCgroup, NODE_CGROUP_FS, readOwnCgroups } from './resources.js';
import { createV1Cgroup, v1Handle } from './v1.js';
import { createV2Cgroup, v2Handle } from './v2.js';

/** Where cgroups live and who asks, injectable for tests. */
export interface CgroupOptions {
  /** The cgroupfs root (default /sys/fs/cgroup). */
  readonly cgroupRoot?: string;
  /** Force a version instead of detecting it. */
  readonly cgroupVersion?: 'v1' | 'v2';
  /** The caller's cgroups (default read from /proc/self/cgroup). */
  readonly ownCgroups?: Map<string, string>;
  /** File operations (default node:fs). */
  readonly cgroupFs?: CgroupFs;
  /** The caller's /proc (default /proc). */
  readonly procRoot?: string;
  /** `openContainerCgroup` only: the parents made for a `CgroupSpec.path` (`ContainerCgroup.parents`, as recorded). */
  readonly parents?: readonly string[];
}

/**
 * A fresh cgroup name: `ct-<pid>-<random>` (unique among this host's containers; node:crypto is not loaded for it,
 * which costs a short-lived `ct run` more than the name is worth).
 */
function defaultName(): string {
  const random = Math.floor(Math.random() * 2 ** 48).toString(16).padStart(12, '0');
  return `ct-${process.pid.toString(16)}-${random}`;
}

/** Which cgroup version `root` holds. */
export function detectCgroupVersion(root: string, fs: CgroupFs = NODE_CGROUP_FS): 'v1' | 'v2' {
  return fs.exists(join(root, 'cgroup.controllers')) ? 'v2' : 'v1';
}

/**
 * Create the container's cgroup, or return undefined (after one `warn`) when an unprivileged caller may not.
 * Throws a CgroupError for root, or for any caller when the limits cannot be written to a cgroup it could make.
 */
export function createContainerCgroup(
  spec: CgroupSpec, euid: number, warn: (message: string) => void, options: CgroupOptions = {},
): ContainerCgroup | undefined {
  const fs = options.cgroupFs ?? NODE_CGROUP_FS;
  const root = options.cgroupRoot ?? '/sys/fs/cgroup';
  const version = options.cgroupVersion ?? detectCgroupVersion(root, fs);
  // No device cgroup for an unprivileged caller: devices.allow and bpf(2) device programs need CAP_SYS_ADMIN in the
  // initial namespaces, and runc and crun go on without one too (the container opens only what the user may). Device
  // rules alone then ask for no cgroup at all.
  const { devices, ...others } = spec.resources;
  if (euid !== 0 && devices !== undefined && Object.keys(others).length === 0) return undefined;
  const resources = euid === 0 ? spec.resources : others;
  const own = options.ownCgroups ?? readOwnCgroups(options.procRoot);
  const name = spec.name ?? defaultName();
  try {
    const base = { root, name, resources, own, fs, warn, unprivileged: euid !== 0, ...(spec.path === undefined ? {} : { path: spec.path }) };
    return version === 'v2' ? createV2Cgroup(base)
      : createV1Cgroup({ ...base, freezer: spec.freezer ?? false, allControllers: spec.allControllers ?? false });
  } catch (error) {
    const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    const refused = error instanceof CgroupError && (code === undefined || code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOENT');
    if (euid !== 0 && refused) {
      warn(`cgroup: no resource limits: ${version === 'v1' ? 'cgroup v1 cannot be delegated to an unprivileged user' : 'no delegated cgroup v2 subtree'} (${(error as Error).message})`);
      return undefined;
    }
    if (euid !== 0 && error instanceof CgroupError && code === 'EBUSY') {
      // cgroup v2's "no internal processes" rule: our own cgroup holds processes (this one), so its controllers
      // cannot be enabled for a child. A leaf of its own (systemd-run --user --scope) is the fix.
      warn(`cgroup: no resource limits: the caller's cgroup holds processes, run it in a leaf cgroup of its own (${error.message})`);
      return undefined;
    }
    throw error;
  }
}

/**
 * A handle on a container's existing cgroup from the paths `createContainerCgroup` returned (`ContainerCgroup.paths`,
 * as a runtime records them), for pause, update, stats and delete in a later process. The version is detected at
 * `cgroupRoot` (or forced); v1 paths must lie below it (their first component names the hierarchy). `parents` (the
 * recorded `ContainerCgroup.parents`) are removed by `remove` after the paths when empty.
 */
export function openContainerCgroup(paths: readonly string[], options: CgroupOptions = {}): ContainerCgroup {
  const fs = options.cgroupFs ?? NODE_CGROUP_FS;
  const root = options.cgroupRoot ?? '/sys/fs/cgroup';
  const version = options.cgroupVersion ?? detectCgroupVersion(root, fs);
  const parents = options.parents ?? [];
  const outside = [...paths, ...parents].find((p) => relative(root, p).startsWith('..') || relative(root, p) === '');
  if (outside !== undefined) throw new CgroupError(outside, `not below the cgroupfs root ${root}`);
  if (version === 'v2') {
    if (paths.length !== 1 || paths[0] === undefined) throw new CgroupError(root, `a v2 cgroup is one directory, got ${paths.length}`);
    return v2Handle(paths[0], fs, parents);
  }
  return v1Handle(root, paths, fs, parents);
}
