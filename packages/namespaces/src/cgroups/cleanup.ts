/**
 * Finding and removing a container's cgroup by its placement alone (the `name` or `path` it was created with), for a
 * runtime whose record of the cgroup was lost (a create killed between making the cgroup and recording it): every
 * directory `createContainerCgroup` could have made for that placement, in every v1 hierarchy mounted under the
 * cgroupfs root (v2 mounts there too, as /sys/fs/cgroup/unified), or in the v2 root. Removal first kills what runs
 * inside as runc's signalAllProcesses does: freeze (so no process forks between the listing and the kill), SIGKILL
 * every listed process, thaw (a frozen task keeps its pending SIGKILL until thawed); v2 uses cgroup.kill when the
 * kernel has it. Parents made for a nested `path` are removed only when named (`CgroupOptions.parents`) and empty:
 * whether ct or someone else made them cannot be told from the tree.
 *
 * Man pages: cgroups(7), kill(2); kernel docs admin-guide/cgroup-v1/freezer-subsystem.rst, admin-guide/cgroup-v2.rst
 * ("cgroup.kill", "cgroup.freeze").
 */
import { join, relative } from 'node:path';
import { CgroupError } from '../errors.js';
import { detectCgroupVersion, openContainerCgroup, type CgroupOptions } from './cgroup.js';
import { cgroupPathComponents } from './nesting.js';
import { type CgroupFs, type ContainerCgroup, killListed, NODE_CGROUP_FS, readOwnCgroups } from './resources.js';
import { freezeCgroup, thawCgroup } from './state.js';
import { v1PlacementBase } from './v1.js';
import { v2PlacementBase } from './v2.js';

/** A container cgroup's placement, as its CgroupSpec gave it: `name` (one component) or `path`. */
export type CgroupPlacement = {
  /** One component below the caller's cgroup. */
  readonly name: string;
  /** Absent in this form. */
  readonly path?: undefined;
} | {
  /** A nested path: absolute from each hierarchy's root, or relative below the caller's cgroup. */
  readonly path: string;
  /** Absent in this form. */
  readonly name?: undefined;
};

/** The hierarchy directories under a v1 cgroupfs root, v2 mounts among them (any directory with cgroup.procs). */
function hierarchies(root: string, fs: CgroupFs): string[] {
  const list = fs.listDirs?.(root) ?? NODE_CGROUP_FS.listDirs?.(root) ?? [];
  return list.filter((d) => fs.exists(join(root, d, 'cgroup.procs'))).sort();
}

/** What `createContainerCgroup` could make for a placement (see plannedCgroupDirs). */
export interface PlannedCgroupDirs {
  /** The container's directories: one per hierarchy (v1, and a v2 mount beside them) or the one v2 directory. */
  readonly paths: readonly string[];
  /** The parents a nested path needs that do not exist now, deepest first (what create would make and remove). */
  readonly parents: readonly string[];
}

/**
 * Every directory `createContainerCgroup` could make for `placement` under the cgroupfs root, whether it exists or
 * not, and the parents it would have to make: for a runtime to record before creating, and to find after a crash.
 */
export function plannedCgroupDirs(placement: CgroupPlacement, options: CgroupOptions = {}): PlannedCgroupDirs {
  const fs = options.cgroupFs ?? NODE_CGROUP_FS;
  const root = options.cgroupRoot ?? '/sys/fs/cgroup';
  const own = options.ownCgroups ?? readOwnCgroups(options.procRoot);
  const components = placement.path === undefined ? cgroupPathComponents(placement.name, 'cgroup.name') : cgroupPathComponents(placement.path);
  if (placement.path === undefined && components.length !== 1) throw new CgroupError(placement.name, 'a cgroup name is one path component');
  const bases = (options.cgroupVersion ?? detectCgroupVersion(root, fs)) === 'v2' ? [v2PlacementBase(root, own, placement.path)]
    : hierarchies(root, fs).map((h) => (fs.exists(join(root, h, 'cgroup.controllers'))
      ? v2PlacementBase(join(root, h), own, placement.path) : v1PlacementBase(root, h, own, placement.path)));
  const parents: string[] = [];
  for (const base of bases) {
    const missing = components.slice(0, -1).map((_, i) => join(base, ...components.slice(0, i + 1))).filter((d) => !fs.exists(d));
    parents.push(...missing.reverse());
  }
  return { paths: bases.map((base) => join(base, ...components)), parents };
}

/** The directories of `plannedCgroupDirs` that exist now. */
export function findContainerCgroups(placement: CgroupPlacement, options: CgroupOptions = {}): string[] {
  const fs = options.cgroupFs ?? NODE_CGROUP_FS;
  return plannedCgroupDirs(placement, options).paths.filter((d) => fs.exists(d));
}

const listed = (fs: CgroupFs, dir: string): number[] => {
  try {
    return fs.read(join(dir, 'cgroup.procs')).split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  } catch {
    return [];
  }
};

/**
 * Kill every process in the container's cgroup without a fork escaping: v2 cgroup.kill when there, else freeze,
 * SIGKILL each listed process, thaw (a cgroup that will not freeze is killed anyway, then rechecked); then wait
 * (up to `timeoutMs`, default 5 s) until no process is listed. A process still there is a CgroupError.
 */
export async function killCgroupProcesses(cg: ContainerCgroup, timeoutMs = 5000): Promise<void> {
  const killFile = cg.version === 'v2' ? join(cg.paths[0] ?? '', 'cgroup.kill') : undefined;
  const freezable = cg.version === 'v2' ? cg.fs.exists(join(cg.paths[0] ?? '', 'cgroup.freeze')) : cg.dirOf('freezer') !== undefined;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (cg.paths.every((d) => listed(cg.fs, d).length === 0)) return;
    if (Date.now() > deadline) throw new CgroupError(cg.paths[0] ?? '', `processes still running after ${timeoutMs} ms: ${cg.paths.flatMap((d) => listed(cg.fs, d)).join(' ')}`);
    if (killFile !== undefined && cg.fs.exists(killFile)) {
      cg.fs.write(killFile, '1');
    } else {
      // a cgroup that does not freeze in time is killed all the same; the loop lists it again
      if (freezable) await freezeCgroup(cg, { timeoutMs: 1000 }).catch(() => undefined);
      for (const dir of cg.paths) killListed(cg.fs, join(dir, 'cgroup.procs'));
      if (freezable) await thawCgroup(cg, { timeoutMs: 1000 }).catch(() => undefined);
    }
    await new Promise((resolve) => { setTimeout(resolve, 20); });
  }
}

/**
 * Remove the container cgroup of `placement` found by its naming scheme: the processes inside killed first
 * (killCgroupProcesses), then each directory, then the `options.parents` named that are empty. Returns the
 * directories removed (none when nothing was there).
 */
export async function removeContainerCgroups(placement: CgroupPlacement, options: CgroupOptions = {}): Promise<string[]> {
  const found = findContainerCgroups(placement, options);
  if (found.length === 0) return [];
  const fs = options.cgroupFs ?? NODE_CGROUP_FS;
  const root = options.cgroupRoot ?? '/sys/fs/cgroup';
  const version = options.cgroupVersion ?? detectCgroupVersion(root, fs);
  // a v2 mount beside the v1 hierarchies is handled as a v2 cgroup of its own
  const v2Beside = version === 'v1' ? found.filter((d) => fs.exists(join(d, 'cgroup.controllers'))) : [];
  const handles = [
    ...(found.length > v2Beside.length ? [openContainerCgroup(found.filter((d) => !v2Beside.includes(d)), { ...options, cgroupVersion: version })] : []),
    ...v2Beside.map((d) => openContainerCgroup([d], { ...options, cgroupRoot: join(root, relative(root, d).split('/')[0] ?? ''), cgroupVersion: 'v2', parents: [] })),
  ];
  for (const cg of handles) await killCgroupProcesses(cg);
  for (const cg of handles) await cg.remove();
  return found;
}
