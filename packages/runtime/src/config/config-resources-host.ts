/**
 * linux.resources and linux.cgroupsPath against this host's cgroups, checked at create before anything is made, so
 * a field that cannot be applied is refused naming it (issue 18: never silently ignored), as runc refuses it:
 * - cgroup v1: a limit whose controller has no hierarchy mounted under the cgroupfs root (net_cls, net_prio,
 *   hugetlb are often missing; runc: "cannot set net_cls limit: container could not join or create cgroup").
 * - cgroup v1, rootless: a limit where the caller may not make the cgroup (the directory it would go below is not
 *   writable: v1 is delegated only by a chown of a subtree), and a cgroupsPath at all: ct makes an unprivileged
 *   container a cgroup only for its limits (runc: "mkdir /sys/fs/cgroup/cpuset/x: permission denied"). The rootless
 *   container then runs in the caller's cgroups, which is what a config without these fields gets.
 * cgroup v2 is left to @ct/namespaces' driver, which makes the cgroup in a delegated subtree (or warns without one).
 *
 * Man pages: cgroups(7), access(2).
 */
import { accessSync, constants } from 'node:fs';
import {
  detectCgroupVersion, hierarchyControllers, mountedV1Hierarchies, NODE_CGROUP_FS, readOwnCgroups, v1PlacementBase,
  type CgroupResources,
} from '@ct/namespaces/engine';
import { ConfigError } from '../errors.js';
import { extraResourceWrites, type ExtraResources } from './config-resources-extra.js';

const R = 'linux.resources';

/** What the check needs of the host, injectable for tests. */
export interface CgroupHost {
  /** The cgroupfs root (/sys/fs/cgroup, or CT_CGROUP_ROOT). */
  readonly root: string;
  /** The caller is unprivileged (ctx.rootless). */
  readonly rootless: boolean;
  /** The caller's /proc (default /proc), for its own cgroups. */
  readonly procRoot?: string;
  /** Whether the caller may make a cgroup below `dir` (default: access(2) W_OK). */
  readonly writable?: (dir: string) => boolean;
}

/** The config.json fields of linux.resources that ask for a v1 controller, in config order, with it. */
export function resourceControllers(r: CgroupResources | undefined, x: ExtraResources | undefined): { field: string; controller: string }[] {
  const out: { field: string; controller: string }[] = [];
  if (r !== undefined) {
    if (r.memory !== undefined || r.memorySwap !== undefined || r.memoryReservation !== undefined || r.memorySwappiness !== undefined
      || r.disableOOMKiller !== undefined || r.kernelMemory !== undefined || r.kernelTCPMemory !== undefined || r.memoryUseHierarchy !== undefined) {
      out.push({ field: `${R}.memory`, controller: 'memory' });
    }
    if (r.cpu !== undefined || r.cpuShares !== undefined) out.push({ field: `${R}.cpu`, controller: 'cpu' });
    if (r.pids !== undefined) out.push({ field: `${R}.pids`, controller: 'pids' });
    if (r.devices !== undefined) out.push({ field: `${R}.devices`, controller: 'devices' });
    if (r.network?.classID !== undefined) out.push({ field: `${R}.network.classID`, controller: 'net_cls' });
    if ((r.network?.priorities?.length ?? 0) > 0) out.push({ field: `${R}.network.priorities`, controller: 'net_prio' });
  }
  if (x !== undefined) out.push(...extraResourceWrites(x, 'v1').map((w) => ({ field: w.field, controller: w.controller })));
  return out;
}

const canWrite = (dir: string): boolean => {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * Refuse what the host's cgroups cannot take (see the module comment).
 * @throws ConfigError naming the field (the first that cannot be applied; linux.cgroupsPath for a rootless one)
 */
export function checkCgroupFields(
  fields: { readonly resources: CgroupResources | undefined; readonly resourcesExtra: ExtraResources | undefined; readonly cgroupsPath: string | undefined },
  host: CgroupHost,
): void {
  if (detectCgroupVersion(host.root) === 'v2') return;
  const wanted = resourceControllers(fields.resources, fields.resourcesExtra);
  const path = fields.cgroupsPath === '' ? undefined : fields.cgroupsPath;
  if (host.rootless && wanted.length === 0 && path !== undefined) {
    throw new ConfigError('linux.cgroupsPath', 'rootless on cgroup v1: ct makes an unprivileged container no cgroup without linux.resources limits (v1 is not delegated to users); leave it out');
  }
  const mounted = mountedV1Hierarchies(host.root, NODE_CGROUP_FS);
  const own = host.rootless && wanted.length > 0 ? readOwnCgroups(host.procRoot) : new Map<string, string>();
  const writable = host.writable ?? canWrite;
  for (const { field, controller } of wanted) {
    const hierarchy = mounted.find((h) => hierarchyControllers(h).includes(controller));
    if (hierarchy === undefined) throw new ConfigError(field, `no ${controller} cgroup hierarchy is mounted under ${host.root}`);
    if (!host.rootless) continue;
    const base = v1PlacementBase(host.root, hierarchy, own, path);
    if (!writable(base)) {
      throw new ConfigError(field, `rootless on cgroup v1: cannot make the container's ${controller} cgroup below ${base} (not delegated to this user)`);
    }
  }
}
