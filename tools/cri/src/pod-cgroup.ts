/**
 * The kubelet's share of a pod's cgroups: it makes the pod's cgroup (`/kubepods/.../pod<uid>`) in every hierarchy
 * before RunPodSandbox and passes it as the sandbox's cgroup_parent, the runtime makes each container's cgroup
 * below it, and after RemovePodSandbox the kubelet removes the pod's cgroup, which only works when no container
 * cgroup is left. `PodCgroup` does that on the host's cgroup mounts (v1 hierarchies and a v2 mount alike, from
 * /proc/self/mountinfo), copying cpuset.cpus and cpuset.mems down in a v1 cpuset hierarchy as a cgroup there
 * cannot run a task without them. Man pages: cgroups(7), proc(5).
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
