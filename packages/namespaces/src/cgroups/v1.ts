/**
 * cgroup v1 driver: one directory per controller hierarchy the limits need (/sys/fs/cgroup/{pids,memory,cpu,devices,
 * net_cls,net_prio}), plus freezer when asked, or every mounted hierarchy as runc makes them (and then, on the hybrid
 * layout, one in the v2 mount beside them, /sys/fs/cgroup/unified, as runc's fs driver), each below the caller's own
 * cgroup in that hierarchy (read from /proc/self/cgroup), with the limits written before the container is placed in it. A new cpuset
 * cgroup gets its parent's cpus and mems. A nested `path` (runtime-spec cgroupsPath) starts at each hierarchy's root
 * when absolute, with missing parents made (nesting.ts).
 *
 * Man pages: cgroups(7); kernel docs admin-guide/cgroup-v1/{pids,memory,cgroups}.rst, scheduler/sched-bwc.rst.
 */
import { join, relative } from 'node:path';
import { CgroupError } from '../errors.js';
import {
  type CgroupFs, type CgroupResources, type ContainerCgroup, killListed, neededControllers, NODE_CGROUP_FS, removeWithRetry,
} from './resources.js';
import { cgroupPathComponents, mkdirNested, removeMadeParents } from './nesting.js';
import { guard, writeV1Resources } from './v1-resources.js';
import { v2PlacementBase } from './v2.js';

/** The mounted v1 hierarchies under `root` (directories with cgroup.procs and no cgroup.controllers: not v2). */
export function mountedV1Hierarchies(root: string, fs: CgroupFs): string[] {
  const list = fs.listDirs?.(root) ?? NODE_CGROUP_FS.listDirs?.(root) ?? [];
  return list.filter((d) => fs.exists(join(root, d, 'cgroup.procs')) && !fs.exists(join(root, d, 'cgroup.controllers'))).sort();
}

/**
 * The cgroup v2 mounts beside the v1 hierarchies under `root` (the hybrid layout's `unified`: a directory with
 * cgroup.procs and cgroup.controllers), usually controller-less.
 */
export function v2MountsBeside(root: string, fs: CgroupFs): string[] {
  const list = fs.listDirs?.(root) ?? NODE_CGROUP_FS.listDirs?.(root) ?? [];
  return list.filter((d) => fs.exists(join(root, d, 'cgroup.procs')) && fs.exists(join(root, d, 'cgroup.controllers'))).sort();
}

/** The controllers a v1 hierarchy directory holds ('cpu,cpuacct' → cpu, cpuacct; 'systemd' → none). */
export function hierarchyControllers(hierarchy: string): string[] {
  return hierarchy.split(',').filter((c) => c !== '' && !c.startsWith('name='));
}

/** A v1 handle's directory lookup: the path whose hierarchy (first component below `root`) holds `controller`. */
export function v1DirOf(root: string, paths: readonly string[]): (controller: string) => string | undefined {
  return (controller) => paths.find((p) => {
    const rel = relative(root, p);
    return !rel.startsWith('..') && hierarchyControllers(rel.split('/')[0] ?? '').includes(controller);
  });
}

/** The caller's cgroup in a v1 hierarchy (/proc/self/cgroup names named hierarchies `name=x`). */
function ownPath(own: Map<string, string>, hierarchy: string): string {
  return own.get(hierarchy) ?? own.get(`name=${hierarchy}`) ?? hierarchyControllers(hierarchy).map((c) => own.get(c)).find((p) => p !== undefined) ?? '/';
}

/**
 * Where a container's cgroup goes in `hierarchy`: below the hierarchy's root for an absolute `path`, else below the
 * caller's own cgroup there.
 */
export function v1PlacementBase(root: string, hierarchy: string, own: Map<string, string>, path?: string): string {
  return join(root, hierarchy, path?.startsWith('/') === true ? '/' : ownPath(own, hierarchy));
}

/** A new cpuset cgroup has no cpus and mems (placing a task fails with ENOSPC): copy the parent's, as runc does. */
function inheritCpuset(fs: CgroupFs, dir: string): void {
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    const path = join(dir, file);
    if (fs.exists(path) && fs.read(path).trim() === '') guard(path, 'copy from parent', () => fs.write(path, fs.read(join(dir, '..', file))));
  }
}

/** The hierarchies to make directories in: the limits' controllers (and freezer), or every mounted one. */
function chooseHierarchies(opts: V1CreateOptions): string[] {
  const { fs, root } = opts;
  const needed: string[] = neededControllers(opts.resources);
  if (opts.freezer === true) needed.push('freezer');
  const mounted = mountedV1Hierarchies(root, fs);
  // a controller's own hierarchy directory (`net_cls,net_prio`), not a symlink to it: one directory per hierarchy
  const chosen = opts.allControllers === true ? mounted : [...new Set(needed.map((c) => mounted.find((h) => hierarchyControllers(h).includes(c)) ?? c))];
  for (const ctrl of needed) {
    const hierarchy = chosen.find((h) => hierarchyControllers(h).includes(ctrl));
    if (hierarchy === undefined || !fs.exists(join(root, hierarchy, 'cgroup.procs'))) throw new CgroupError(join(root, ctrl), `no ${ctrl} hierarchy mounted`);
  }
  return chosen;
}

/** What `createV1Cgroup` needs. */
export interface V1CreateOptions {
  /** The cgroupfs root (`/sys/fs/cgroup`, or a fake one in tests). */
  readonly root: string;
  /** One component below the caller's cgroup (ignored when `path` is given). */
  readonly name: string;
  /** A nested path (CgroupSpec.path): absolute from each hierarchy's root, relative below the caller's cgroup. */
  readonly path?: string;
  /** The limits to write. */
  readonly resources: CgroupResources;
  /** The caller's own cgroups (`readOwnCgroups`): a relative placement goes below them. */
  readonly own: Map<string, string>;
  /** The file operations on cgroupfs (`NODE_CGROUP_FS`, or a fake). */
  readonly fs: CgroupFs;
  /** Also make the directory in the freezer hierarchy (CgroupSpec.freezer). Default false. */
  readonly freezer?: boolean;
  /** Make the directory in every mounted hierarchy (CgroupSpec.allControllers). Default false. */
  readonly allControllers?: boolean;
  /** Receives the fields this kernel does not honour (default: none reported). */
  readonly warn?: (message: string) => void;
}

/**
 * Create the v1 cgroups of `name` (or `path`) under `root` for the given resources (a directory already there is
 * reused); parents missing on the way to a `path` are made, cpuset ones with their parent's cpus and mems.
 */
export function createV1Cgroup(opts: V1CreateOptions): ContainerCgroup {
  const { fs } = opts;
  const paths: string[] = [];
  const parents: string[] = [];
  const components = opts.path === undefined ? [opts.name] : cgroupPathComponents(opts.path);
  try {
    for (const hierarchy of chooseHierarchies(opts)) {
      const base = v1PlacementBase(opts.root, hierarchy, opts.own, opts.path);
      const cpuset = hierarchyControllers(hierarchy).includes('cpuset');
      const made = mkdirNested(fs, base, components, (dir) => { if (cpuset) inheritCpuset(fs, dir); });
      const dir = join(base, ...components);
      paths.push(dir);
      parents.push(...made.filter((d) => d !== dir).reverse());
    }
    // the hybrid layout's v2 mount too, as runc's fs driver joins it (IsCgroup2HybridMode): the container's own
    // cgroup there, so a v2-aware tool inside or outside (systemd, cgroup namespaces) sees it as its own; no limits
    if (opts.allControllers === true) {
      for (const mount of v2MountsBeside(opts.root, fs)) {
        const base = v2PlacementBase(join(opts.root, mount), opts.own, opts.path);
        const made = mkdirNested(fs, base, components);
        const dir = join(base, ...components);
        paths.push(dir);
        parents.push(...made.filter((d) => d !== dir).reverse());
      }
    }
    writeV1Resources(opts.resources, v1DirOf(opts.root, paths), fs, opts.warn);
  } catch (error) {
    for (const dir of [...paths].reverse()) fs.rmdir(dir);
    removeMadeParents(fs, parents);
    throw error;
  }
  return v1Handle(opts.root, paths, fs, parents);
}

/**
 * A handle on v1 cgroup directories under `root` (made by createV1Cgroup or recorded earlier), with the parents
 * made for them (deepest first) that `remove` takes away when empty.
 */
export function v1Handle(root: string, paths: readonly string[], fs: CgroupFs, parents: readonly string[] = []): ContainerCgroup {
  const dirOf = v1DirOf(root, paths);
  return {
    version: 'v1',
    paths,
    parents,
    fs,
    dirOf,
    place(pid) {
      for (const dir of paths) guard(join(dir, 'cgroup.procs'), `place ${pid}`, () => fs.write(join(dir, 'cgroup.procs'), String(pid)));
    },
    killAll() {
      for (const dir of paths) killListed(fs, join(dir, 'cgroup.procs'));
      // Frozen tasks keep a pending SIGKILL until thawed.
      const freezer = dirOf('freezer');
      if (freezer !== undefined && fs.exists(join(freezer, 'freezer.state'))) guard(join(freezer, 'freezer.state'), 'thaw', () => fs.write(join(freezer, 'freezer.state'), 'THAWED'));
    },
    async remove() {
      for (const dir of paths) await removeWithRetry(fs, dir);
      removeMadeParents(fs, parents);
    },
  };
}
