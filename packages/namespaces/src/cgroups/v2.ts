/**
 * cgroup v2 driver: one directory below the caller's own cgroup (the `0::` line of /proc/self/cgroup) in the
 * unified hierarchy. Delegation is checked as the kernel enforces it: each needed controller must be listed in
 * the parent's cgroup.controllers and enabled in its cgroup.subtree_control (we enable it when we may; the
 * "no internal processes" rule makes that fail with EBUSY when the parent itself holds processes). Teardown
 * writes cgroup.kill (Linux 5.14) before the rmdir. Placement is a cgroup.procs write while the child waits,
 * before it unshares its cgroup namespace (CLONE_INTO_CGROUP would be @ct/syscalls' concern). The device rules
 * become a BPF_CGROUP_DEVICE program attached to the directory; the v1-only fields (swappiness, disableOOMKiller,
 * kernel memory, network) are warnings.
 *
 * Man pages: cgroups(7), cgroup_namespaces(7); kernel docs admin-guide/cgroup-v2.rst ("Delegation",
 * "cgroup.kill", "pids", "memory.max", "memory.low", "cpu.max", "cpu.weight", "Device controller").
 */
import { join } from 'node:path';
import { CgroupError } from '../errors.js';
import { attachV2DeviceRules } from './devices-apply.js';
import {
  type CgroupFs, type CgroupResources, type ContainerCgroup, killListed, neededV2Controllers, removeWithRetry,
} from './resources.js';
import { cgroupPathComponents, mkdirNested, removeMadeParents } from './nesting.js';
import { guard } from './v1-resources.js';

/** runc's cpu.shares → cpu.weight conversion (2..262144 → 1..10000). */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** The v2 interface files and values, in write order (devices: a program, attached by writeV2Resources). */
export function v2Settings(r: CgroupResources): [string, string][] {
  const out: [string, string][] = [];
  if (r.pids !== undefined) out.push(['pids.max', String(r.pids)]);
  if (r.memory !== undefined) out.push(['memory.max', String(r.memory)]);
  if (r.memorySwap !== undefined && r.memory !== undefined) out.push(['memory.swap.max', String(r.memorySwap - r.memory)]);
  if (r.memoryReservation !== undefined) out.push(['memory.low', r.memoryReservation < 0n ? 'max' : String(r.memoryReservation)]);
  if (r.cpu !== undefined) out.push(['cpu.max', `${r.cpu.quota} ${r.cpu.period}`]);
  if (r.cpuShares !== undefined) out.push(['cpu.weight', String(sharesToWeight(r.cpuShares))]);
  return out;
}

/**
 * The fields cgroup v2 has no file for, each with the warning given instead of applying it (runc ignores them on
 * v2, crun refuses them; ct runs the container and says what it did not apply).
 */
export function v2Unsupported(r: CgroupResources): string[] {
  const at = 'linux.resources';
  const out: string[] = [];
  if (r.memorySwappiness !== undefined) out.push(`${at}.memory.swappiness not applied: cgroup v2 has no per-cgroup swappiness`);
  if (r.disableOOMKiller === true) out.push(`${at}.memory.disableOOMKiller not applied: cgroup v2 cannot disable the OOM killer`);
  if (r.kernelMemory !== undefined || r.kernelTCPMemory !== undefined) out.push(`${at}.memory.kernel/kernelTCP not applied: cgroup v2 has no kernel memory limits`);
  if (r.memoryUseHierarchy === false) out.push(`${at}.memory.useHierarchy false not applied: cgroup v2 always accounts hierarchically`);
  if (r.network !== undefined) out.push(`${at}.network not applied: net_cls and net_prio have no cgroup v2 controller`);
  return out;
}

/**
 * runc's checkBeforeUpdate (v2 only): refuse a memory or memory+swap limit at or below what the cgroup uses now
 * (memory.current; unreadable: no check, as runc), instead of letting the kernel reclaim or OOM-kill to meet it.
 */
function checkMemoryUsage(r: CgroupResources, dir: string, fs: CgroupFs): void {
  if (r.memoryCheckBeforeUpdate !== true || (r.memory === undefined && r.memorySwap === undefined)) return;
  let usage: bigint;
  try {
    usage = BigInt(fs.read(join(dir, 'memory.current')).trim());
  } catch {
    return;
  }
  for (const [what, limit] of [['memory+swap', r.memorySwap], ['memory', r.memory]] as const) {
    if (limit !== undefined && limit > 0n && limit <= usage) {
      throw new CgroupError(join(dir, 'memory.current'), `rejecting ${what} limit ${limit} <= usage ${usage} (checkBeforeUpdate)`);
    }
  }
}

const words = (text: string): string[] => text.split(/\s+/).filter((w) => w !== '');

/**
 * Check that the needed controllers are delegated to `parent` and enabled for its children; enable those
 * available but not yet enabled. Throws a CgroupError naming the file that refuses.
 */
export function ensureDelegated(fs: CgroupFs, parent: string, needed: readonly string[]): void {
  const controllersFile = join(parent, 'cgroup.controllers');
  if (!fs.exists(controllersFile)) throw new CgroupError(parent, 'not a cgroup v2 directory (no cgroup.controllers)');
  const available = new Set(words(fs.read(controllersFile)));
  const missing = needed.filter((c) => !available.has(c));
  if (missing.length > 0) throw new CgroupError(controllersFile, `controllers not delegated: ${missing.join(' ')}`);
  const subtreeFile = join(parent, 'cgroup.subtree_control');
  const enabled = new Set(words(fs.read(subtreeFile)));
  const toEnable = needed.filter((c) => !enabled.has(c));
  if (toEnable.length > 0) guard(subtreeFile, `enable ${toEnable.join(' ')}`, () => fs.write(subtreeFile, toEnable.map((c) => `+${c}`).join(' ')));
}

/** Where a container's v2 cgroup goes: below `root` for an absolute `path`, else below the caller's own cgroup. */
export function v2PlacementBase(root: string, own: Map<string, string>, path?: string): string {
  return join(root, path?.startsWith('/') === true ? '/' : own.get('') ?? '/');
}

/**
 * Create the v2 cgroup `name` below the caller's cgroup in the unified hierarchy at `root`, or the nested `path`
 * (absolute: from `root`), each missing parent made with the needed controllers enabled for the level below.
 */
export function createV2Cgroup(opts: {
  readonly root: string;
  readonly name: string;
  readonly path?: string;
  readonly resources: CgroupResources;
  readonly own: Map<string, string>;
  readonly fs: CgroupFs;
} & V2WriteOptions): ContainerCgroup {
  const { fs } = opts;
  const needed = neededV2Controllers(opts.resources);
  const base = v2PlacementBase(opts.root, opts.own, opts.path);
  const components = opts.path === undefined ? [opts.name] : cgroupPathComponents(opts.path);
  ensureDelegated(fs, base, needed);
  const made = mkdirNested(fs, base, components, (dir, leaf) => { if (!leaf) ensureDelegated(fs, dir, needed); });
  const dir = join(base, ...components);
  const parents = made.filter((d) => d !== dir).reverse();
  try {
    writeV2Resources(opts.resources, dir, fs, opts);
  } catch (error) {
    fs.rmdir(dir);
    removeMadeParents(fs, parents);
    throw error;
  }
  return v2Handle(dir, fs, parents);
}

/** How writeV2Resources reports and who asks. */
export interface V2WriteOptions {
  /** Receives a warning for each field v2 cannot apply. */
  readonly warn?: (message: string) => void;
  /** An unprivileged caller: a refused device program is a warning (see attachV2DeviceRules). */
  readonly unprivileged?: boolean;
}

/** Write the limits into a v2 cgroup directory, then attach the device program. */
export function writeV2Resources(r: CgroupResources, dir: string, fs: CgroupFs, options: V2WriteOptions = {}): void {
  const warn = options.warn ?? (() => undefined);
  checkMemoryUsage(r, dir, fs);
  for (const [file, value] of v2Settings(r)) guard(join(dir, file), `write ${value}`, () => fs.write(join(dir, file), value));
  for (const message of v2Unsupported(r)) warn(`cgroup: ${message}`);
  if (r.devices !== undefined) attachV2DeviceRules(dir, r.devices, fs, options.unprivileged ?? false, warn, 'cgroup.resources.devices');
}

/** A handle on a v2 cgroup directory (made by createV2Cgroup or recorded earlier) and the parents made for it. */
export function v2Handle(dir: string, fs: CgroupFs, parents: readonly string[] = []): ContainerCgroup {
  return {
    version: 'v2',
    paths: [dir],
    parents,
    fs,
    dirOf: () => dir,
    place(pid) {
      guard(join(dir, 'cgroup.procs'), `place ${pid}`, () => fs.write(join(dir, 'cgroup.procs'), String(pid)));
    },
    killAll() {
      const killFile = join(dir, 'cgroup.kill');
      if (fs.exists(killFile)) guard(killFile, 'kill', () => fs.write(killFile, '1'));
      else killListed(fs, join(dir, 'cgroup.procs'));
    },
    async remove() {
      await removeWithRetry(fs, dir);
      removeMadeParents(fs, parents);
    },
  };
}
