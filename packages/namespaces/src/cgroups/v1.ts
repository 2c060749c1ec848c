/**
 * cgroup v1 driver: one directory per controller hierarchy (/sys/fs/cgroup/{pids,memory,cpu}), each below the
 * caller's own cgroup in that hierarchy (read from /proc/self/cgroup), with the limits written before the
 * container is placed in it.
 *
 * Man pages: cgroups(7); kernel docs admin-guide/cgroup-v1/{pids,memory,cgroups}.rst, scheduler/sched-bwc.rst.
 */
import { join } from 'node:path';
import { CgroupError } from '../errors.js';
import {
  type CgroupFs, type CgroupResources, type ContainerCgroup, killListed, neededControllers, removeWithRetry,
} from './resources.js';

/** Run a cgroupfs operation, turning its failure into a CgroupError naming `path`. */
export function guard(path: string, what: string, op: () => void): void {
  try {
    op();
  } catch (error) {
    if (error instanceof CgroupError) throw error;
    throw new CgroupError(path, what, error instanceof Error ? error : new Error(String(error)));
  }
}

/** The interface files and values for `ctrl`, in the order they must be written. */
export function v1Settings(ctrl: 'pids' | 'memory' | 'cpu', r: CgroupResources): [string, string][] {
  switch (ctrl) {
    case 'pids': return [['pids.max', String(r.pids)]];
    case 'memory': {
      const out: [string, string][] = [['memory.limit_in_bytes', String(r.memory)]];
      if (r.memorySwap !== undefined) out.push(['memory.memsw.limit_in_bytes', String(r.memorySwap)]);
      return out;
    }
    case 'cpu': {
      const out: [string, string][] = [];
      if (r.cpu !== undefined) out.push(['cpu.cfs_period_us', String(r.cpu.period)], ['cpu.cfs_quota_us', String(r.cpu.quota)]);
      if (r.cpuShares !== undefined) out.push(['cpu.shares', String(r.cpuShares)]);
      return out;
    }
  }
}

/** Create the v1 cgroups of `name` under `root` for the given resources (a directory already there is reused). */
export function createV1Cgroup(opts: {
  readonly root: string;
  readonly name: string;
  readonly resources: CgroupResources;
  readonly own: Map<string, string>;
  readonly fs: CgroupFs;
}): ContainerCgroup {
  const { fs } = opts;
  const paths: string[] = [];
  try {
    for (const ctrl of neededControllers(opts.resources)) {
      const hierarchy = join(opts.root, ctrl);
      if (!fs.exists(join(hierarchy, 'cgroup.procs'))) throw new CgroupError(hierarchy, `no ${ctrl} hierarchy mounted`);
      const dir = join(hierarchy, opts.own.get(ctrl) ?? '/', opts.name);
      guard(dir, 'mkdir', () => { if (!fs.exists(dir)) fs.mkdir(dir); });
      paths.push(dir);
      for (const [file, value] of v1Settings(ctrl, opts.resources)) guard(join(dir, file), `write ${value}`, () => fs.write(join(dir, file), value));
    }
  } catch (error) {
    for (const dir of paths.reverse()) fs.rmdir(dir);
    throw error;
  }
  return {
    version: 'v1',
    paths,
    place(pid) {
      for (const dir of paths) guard(join(dir, 'cgroup.procs'), `place ${pid}`, () => fs.write(join(dir, 'cgroup.procs'), String(pid)));
    },
    killAll() {
      for (const dir of paths) killListed(fs, join(dir, 'cgroup.procs'));
    },
    async remove() {
      for (const dir of paths) await removeWithRetry(fs, dir);
    },
  };
}
