/**
 * The kubelet's share of a pod's cgroups: it makes the pod's cgroup (`/kubepods/.../pod<uid>`) in every hierarchy
 * before RunPodSandbox and passes it as the sandbox's cgroup_parent, the runtime makes each container's cgroup
 * below it, and after RemovePodSandbox the kubelet removes the pod's cgroup, which only works when no container
 * cgroup is left. `PodCgroup` does that on the host's cgroup mounts (v1 hierarchies and a v2 mount alike, from
 * /proc/self/mountinfo), copying cpuset.cpus and cpuset.mems down in a v1 cpuset hierarchy as a cgroup there
 * cannot run a task without them. `removeCgroupTree` and `removeStaleCgroupRoots` are a test run's housekeeping:
 * its root cgroup removed whole at teardown, and the roots of earlier runs whose process is gone removed at start.
 * Man pages: cgroups(7), proc(5), rmdir(2).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Mount points of the host's cgroup file systems (v1 and v2), from this process's mountinfo. */
export function cgroupMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .filter((line) => /^(cgroup|cgroup2)$/.test(line.split(' - ')[1]?.split(' ')[0] ?? ''))
    .map((line) => line.split(' ')[4] ?? '')
    .filter(Boolean);
}

export class PodCgroup {
  private constructor(
    /** The cgroupfs path given as cgroup_parent, e.g. "/ct-cri-123/pod-a". */
    readonly path: string,
    /** The directories made, deepest last, in every hierarchy. */
    private readonly made: string[],
    private readonly mounts: readonly string[],
  ) {}

  /**
   * Make `path` (absolute, cgroupfs syntax) in every cgroup mount, with the missing parents.
   * @throws the file system's error naming the directory
   */
  static create(path: string, mounts: readonly string[] = cgroupMounts()): PodCgroup {
    if (!path.startsWith('/') || path.split('/').includes('..')) throw new TypeError(`pod cgroup: ${path}: an absolute path without ..`);
    const made: string[] = [];
    const parts = path.split('/').filter(Boolean);
    for (const mount of mounts) {
      for (let i = 1; i <= parts.length; i++) {
        const dir = join(mount, ...parts.slice(0, i));
        if (existsSync(dir)) continue;
        mkdirSync(dir);
        made.push(dir);
        for (const file of ['cpuset.cpus', 'cpuset.mems']) {
          const parentValue = join(dirname(dir), file);
          if (existsSync(parentValue) && existsSync(join(dir, file))) writeFileSync(join(dir, file), readFileSync(parentValue));
        }
      }
    }
    return new PodCgroup(path, made, mounts);
  }

  /** The pod's cgroup directory in each mount. */
  dirs(): string[] {
    return this.mounts.map((m) => join(m, this.path));
  }

  /** Cgroups left below the pod's (the containers' the runtime did not remove), in every mount. */
  children(): string[] {
    const found: string[] = [];
    const walk = (dir: string): void => {
      if (!existsSync(dir)) return;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        found.push(join(dir, e.name));
        walk(join(dir, e.name));
      }
    };
    for (const dir of this.dirs()) walk(dir);
    return found;
  }

  /** Pids in the pod's cgroups (any level), from each cgroup.procs. */
  pids(): number[] {
    const pids = new Set<number>();
    for (const dir of [...this.dirs(), ...this.children()]) {
      try {
        for (const p of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) pids.add(Number(p));
      } catch {
        // removed meanwhile
      }
    }
    return [...pids].sort((a, b) => a - b);
  }

  /**
   * Remove what `create` made, deepest first (a cgroup with a child or a task refuses: EBUSY). Returns the
   * failures as "dir: code" (empty when all went).
   */
  remove(): string[] {
    const errors: string[] = [];
    for (const dir of [...this.made].reverse()) {
      try {
        rmdirSync(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') errors.push(`${dir}: ${(err as NodeJS.ErrnoException).code}`);
      }
    }
    return errors;
  }
}

/** The directory `dir` and every directory below it, deepest first (none when `dir` does not exist). */
function deepestFirst(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const below = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => deepestFirst(join(dir, e.name)));
  return [...below, dir];
}

/**
 * Remove the cgroup `path` (absolute, cgroupfs syntax) and every cgroup below it, deepest first, in each mount: a
 * test run's root cgroup at teardown, with what runtimes made below it that no `PodCgroup` made (runc leaves the
 * parents it makes; a hierarchy mounted after the pod was made holds directories the pod does not know). A cgroup
 * with tasks refuses (EBUSY). Returns the failures as "dir: code" (empty when all went).
 */
export function removeCgroupTree(path: string, mounts: readonly string[] = cgroupMounts()): string[] {
  if (!path.startsWith('/') || path.split('/').filter(Boolean).length === 0 || path.split('/').includes('..')) {
    throw new TypeError(`cgroup tree: ${path}: an absolute path below the root, without ..`);
  }
  const errors: string[] = [];
  for (const dir of mounts.flatMap((m) => deepestFirst(join(m, path)))) {
    try {
      rmdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') errors.push(`${dir}: ${(err as NodeJS.ErrnoException).code}`);
    }
  }
  return errors;
}

/** Whether process `pid` exists (signal 0; EPERM: it exists, not ours). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The roots of earlier test runs whose process is gone: each top-level cgroup named `<prefix><pid>` (`ct-cri-123`)
 * in any mount whose pid is not running is removed whole (`removeCgroupTree`). Returns the roots removed (as
 * cgroupfs paths, once each) and the failures.
 */
export function removeStaleCgroupRoots(
  prefix: string, mounts: readonly string[] = cgroupMounts(), alive: (pid: number) => boolean = pidAlive,
): { removed: string[]; errors: string[] } {
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d+)$`);
  const stale = new Set<string>();
  for (const mount of mounts) {
    if (!existsSync(mount)) continue;
    for (const e of readdirSync(mount, { withFileTypes: true })) {
      const pid = pattern.exec(e.name)?.[1];
      if (e.isDirectory() && pid !== undefined && !alive(Number(pid))) stale.add(`/${e.name}`);
    }
  }
  const removed = [...stale].sort();
  return { removed, errors: removed.flatMap((path) => removeCgroupTree(path, mounts)) };
}
