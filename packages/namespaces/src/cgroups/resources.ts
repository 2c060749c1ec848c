/**
 * The cgroup part of a container: the limits (pids, memory, cpu) with their validation, the manager interface the
 * v1 and v2 drivers implement, and the small file-system seam (`CgroupFs`) that lets tests drive a fake cgroupfs
 * (a temp dir whose rmdir removes interface files too, as the kernel does).
 *
 * Man pages: cgroups(7), cgroup_namespaces(7); kernel docs admin-guide/cgroup-v1/{pids,memory}.rst,
 * scheduler/sched-bwc.rst, admin-guide/cgroup-v2.rst.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { ContainerSpecError } from '../errors.js';
import { attachDeviceFilter } from './device-filter-attach.js';
import { validateDeviceRules } from './device-rules.js';
import { cgroupPathComponents } from './nesting.js';

/** A device type in a device-cgroup rule: `a` every device, `c` character, `b` block. */
export type DeviceRuleType = 'a' | 'c' | 'b';

/**
 * One device-cgroup rule (the runtime-spec's `linux.resources.devices[i]`, as the v1 `devices.allow`/`devices.deny`
 * files take it). Rules apply in order, starting from "no device allowed": an `a` rule resets the whole list
 * (allow: every device, deny: none), a `c`/`b` rule adds or removes an exception.
 */
export interface DeviceRule {
  /** Allow (true) or deny (false) the access. */
  readonly allow: boolean;
  /** Device type; `a` ignores major, minor and access (it is every device, every access). */
  readonly type: DeviceRuleType;
  /** Major number; undefined or -1: any. */
  readonly major?: number;
  /** Minor number; undefined or -1: any. */
  readonly minor?: number;
  /** Access: a non-empty combination of r (read), w (write), m (mknod). */
  readonly access: string;
}

/** One net_prio entry: traffic of the container on interface `name` gets `priority` (net_prio.ifpriomap). */
export interface InterfacePriority {
  /** The network interface's name (1-15 characters, no space or `/`). */
  readonly name: string;
  /** Its priority, 0 to 2^32-1. */
  readonly priority: number;
}

/** Network classification (cgroup v1 only: net_cls and net_prio have no v2 controller). */
export interface NetworkResources {
  /** Class identifier tagged on the container's packets (net_cls.classid, 0-0xffffffff). */
  readonly classID?: number;
  /** Per-interface priorities (net_prio.ifpriomap), written in order. */
  readonly priorities?: readonly InterfacePriority[];
}

/** Limits of the container's cgroup. */
export interface CgroupResources {
  /** Most tasks (processes and threads) at once (pids.max). */
  readonly pids?: number;
  /** Memory limit in bytes (memory.limit_in_bytes / memory.max). */
  readonly memory?: bigint;
  /** Memory plus swap in bytes, as OCI's `swap` (memory.memsw.limit_in_bytes; v2 memory.swap.max = swap - memory). */
  readonly memorySwap?: bigint;
  /** CPU bandwidth: `quota` µs of CPU time per `period` µs (cfs_quota_us/cfs_period_us; v2 cpu.max). */
  readonly cpu?: {
    /** µs of CPU time per period (v1 -1: no limit). */
    readonly quota: number;
    /** The period in µs. */
    readonly period: number;
  };
  /** Relative weight (v1 cpu.shares, 2-262144; v2 cpu.weight converted as runc does). */
  readonly cpuShares?: number;
  /** Soft limit in bytes, -1n for none (v1 memory.soft_limit_in_bytes; v2 memory.low, -1n as "max"). */
  readonly memoryReservation?: bigint;
  /** Swappiness 0-100 (v1 memory.swappiness; v2 has none: a warning, as runc). */
  readonly memorySwappiness?: number;
  /** true: tasks over the limit wait instead of being OOM-killed (v1 memory.oom_control; v2 has none: a warning). */
  readonly disableOOMKiller?: boolean;
  /** Kernel memory limit in bytes, -1n for none (v1 memory.kmem.limit_in_bytes where the kernel still has it). */
  readonly kernelMemory?: bigint;
  /** Kernel TCP buffer limit in bytes, -1n for none (v1 memory.kmem.tcp.limit_in_bytes where the kernel has it). */
  readonly kernelTCPMemory?: bigint;
  /** Hierarchical accounting (v1 memory.use_hierarchy; always on in v2 and in recent v1 kernels). */
  readonly memoryUseHierarchy?: boolean;
  /**
   * Refuse a new memory (or memory+swap) limit at or below the current usage instead of letting the kernel reclaim
   * or OOM-kill (runc: cgroup v2 only, checked before writing; v1 refuses such a limit itself with EBUSY).
   */
  readonly memoryCheckBeforeUpdate?: boolean;
  /**
   * The device cgroup, in order (v1 devices.deny/devices.allow; v2 a BPF_CGROUP_DEVICE program). undefined: not
   * programmed (every device the parent allows); [] denies every device.
   */
  readonly devices?: readonly DeviceRule[];
  /** net_cls/net_prio (v1; v2: a warning, as runc). */
  readonly network?: NetworkResources;
}

/** Where and how the container's cgroup is made. */
export interface CgroupSpec {
  /** Name of the cgroup, created below the caller's own cgroup (default `ct-<random>`). One path component. */
  readonly name?: string;
  /**
   * Instead of `name`, a nested path as the runtime-spec's `linux.cgroupsPath`: absolute (`/a/b`) from each
   * hierarchy's root, relative (`a/b`) below the caller's own cgroup. Missing parents are made (v1 cpuset: cpus and
   * mems copied down; v2: the needed controllers enabled at each level) and removed with the cgroup when empty.
   */
  readonly path?: string;
  /** The limits. */
  readonly resources: CgroupResources;
  /**
   * Make the container freezable (`freezeCgroup`): v1 also creates its directory in the freezer hierarchy; v2 needs
   * nothing more (cgroup.freeze is in every non-root cgroup). Default false.
   */
  readonly freezer?: boolean;
  /**
   * v1: create the container's directory in every mounted v1 hierarchy, not only those the limits need (runc does;
   * a later `update` of another controller, or podman's `update --cpu-shares`, then finds it), and in the v2 mount
   * beside them on the hybrid layout (/sys/fs/cgroup/unified, as runc joins it). v2: no effect.
   */
  readonly allControllers?: boolean;
}

/** The container's cgroup directories, by version: what the state functions (freeze, stats, update) work on. */
export interface CgroupDirs {
  /** 'v1' or 'v2'. */
  readonly version: 'v1' | 'v2';
  /** The directories (one per v1 hierarchy, one for v2). */
  readonly paths: readonly string[];
  /**
   * The directory holding `controller`'s files ('pids', 'memory', 'cpu', 'cpuacct', 'freezer', ...): v1 the one of
   * its hierarchy, v2 the cgroup's; undefined when the container has no cgroup in that v1 hierarchy.
   */
  dirOf(controller: string): string | undefined;
  /** The file operations used on it. */
  readonly fs: CgroupFs;
}

/** The container's cgroup once created (or reopened from its paths with `openContainerCgroup`). */
export interface ContainerCgroup extends CgroupDirs {
  /** Move `pid` into the cgroup (cgroup.procs). */
  place(pid: number): void;
  /** Kill every process left in it (v2 cgroup.kill, else SIGKILL to each pid in cgroup.procs, then a v1 thaw). */
  killAll(): void;
  /** Remove the directories (retrying while the last processes exit), then the made `parents` that are empty. */
  remove(): Promise<void>;
  /**
   * The directories made above `paths` for a `CgroupSpec.path` (deepest first, every hierarchy), removed by `remove`
   * when nothing else is below them; a runtime records them beside `paths`. Empty for a `name` cgroup.
   */
  readonly parents: readonly string[];
}

/** File operations on cgroupfs (default node:fs). */
export interface CgroupFs {
  /** Whether a file or directory exists. */
  exists(path: string): boolean;
  /** Read an interface file. */
  read(path: string): string;
  /** Write an interface file (one write(2): cgroupfs takes one value per write). */
  write(path: string, data: string): void;
  /** Make a cgroup directory (the kernel fills in its interface files). */
  mkdir(path: string): void;
  /** Remove a cgroup directory (EBUSY while it has tasks). */
  rmdir(path: string): void;
  /** The sub-directories of `path`, symlinks left out (v1 hierarchies; default readdir). */
  listDirs?(path: string): string[];
  /**
   * Load `program` (BPF_PROG_TYPE_CGROUP_DEVICE instructions) and attach it to the v2 cgroup `dir` with
   * BPF_F_ALLOW_MULTI, taking off the device programs attached there before (default: bpf(2) through @ct/syscalls).
   */
  attachDeviceFilter?(dir: string, program: Uint8Array): void;
  /**
   * SIGKILL a task listed in a cgroup's `cgroup.procs` (default: process.kill). A fake cgroupfs must give its own:
   * the pids it lists are not the host's.
   */
  killTask?(pid: number): void;
}

/** node:fs as a CgroupFs. */
export const NODE_CGROUP_FS: CgroupFs = Object.freeze({
  exists: (path: string) => existsSync(path),
  read: (path: string) => readFileSync(path, 'utf8'),
  write: (path: string, data: string) => writeFileSync(path, data),
  mkdir: (path: string) => mkdirSync(path),
  rmdir: (path: string) => rmdirSync(path),
  listDirs: (path: string) => readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name),
  attachDeviceFilter,
});

/** The controllers CgroupResources can set (v1 hierarchy names; v2 has only pids, memory and cpu of them). */
export type ResourceController = 'pids' | 'memory' | 'cpu' | 'devices' | 'net_cls' | 'net_prio';

/** Whether any memory field other than the limits is set. */
export function hasMemoryTuning(r: CgroupResources): boolean {
  return r.memoryReservation !== undefined || r.memorySwappiness !== undefined || r.disableOOMKiller !== undefined
    || r.kernelMemory !== undefined || r.kernelTCPMemory !== undefined || r.memoryUseHierarchy !== undefined;
}

/** The v1 controllers a set of resources needs, in the order their settings are written. */
export function neededControllers(r: CgroupResources): ResourceController[] {
  const list: ResourceController[] = [];
  if (r.pids !== undefined) list.push('pids');
  if (r.memory !== undefined || r.memorySwap !== undefined || hasMemoryTuning(r)) list.push('memory');
  if (r.cpu !== undefined || r.cpuShares !== undefined) list.push('cpu');
  if (r.devices !== undefined) list.push('devices');
  if (r.network?.classID !== undefined) list.push('net_cls');
  if ((r.network?.priorities?.length ?? 0) > 0) list.push('net_prio');
  return list;
}

/** The v2 controllers a set of resources needs enabled (devices is a BPF program; net_cls, net_prio have none). */
export function neededV2Controllers(r: CgroupResources): ('pids' | 'memory' | 'cpu')[] {
  const list: ('pids' | 'memory' | 'cpu')[] = [];
  if (r.pids !== undefined) list.push('pids');
  if (r.memory !== undefined || r.memoryReservation !== undefined) list.push('memory');
  if (r.cpu !== undefined || r.cpuShares !== undefined) list.push('cpu');
  return list;
}

/**
 * Check the limits (fields named `cgroup.resources.x`).
 * @throws ContainerSpecError naming the field.
 */
export function validateCgroupSpec(spec: CgroupSpec, field = 'cgroup'): CgroupSpec {
  if (spec.name !== undefined && (!/^[A-Za-z0-9_.:@-]+$/.test(spec.name) || spec.name === '.' || spec.name === '..')) {
    throw new ContainerSpecError(`${field}.name`, `not a single path component: ${spec.name}`);
  }
  if (spec.path !== undefined) {
    if (typeof spec.path !== 'string') throw new ContainerSpecError(`${field}.path`, `not a string: ${String(spec.path)}`);
    if (spec.name !== undefined) throw new ContainerSpecError(`${field}.path`, 'give name or path, not both');
    cgroupPathComponents(spec.path, `${field}.path`);
  }
  for (const key of ['freezer', 'allControllers'] as const) {
    if (spec[key] !== undefined && typeof spec[key] !== 'boolean') throw new ContainerSpecError(`${field}.${key}`, `not a boolean: ${String(spec[key])}`);
  }
  const r = spec.resources;
  if (typeof r !== 'object' || r === null) throw new ContainerSpecError(`${field}.resources`, 'not an object');
  const at = `${field}.resources`;
  if (r.pids !== undefined && (!Number.isInteger(r.pids) || r.pids < 1)) throw new ContainerSpecError(`${at}.pids`, `not a positive count: ${r.pids}`);
  for (const key of ['memory', 'memorySwap'] as const) {
    const v = r[key];
    if (v !== undefined && (typeof v !== 'bigint' || v < 4096n)) throw new ContainerSpecError(`${at}.${key}`, `not a byte count (bigint ≥ 4096): ${String(v)}`);
  }
  if (r.memorySwap !== undefined && (r.memory === undefined || r.memorySwap < r.memory)) {
    throw new ContainerSpecError(`${at}.memorySwap`, 'needs memory and must be at least memory');
  }
  if (r.cpu !== undefined) {
    const { quota, period } = r.cpu;
    if (!Number.isInteger(period) || period < 1000 || period > 1_000_000) throw new ContainerSpecError(`${at}.cpu.period`, `not 1000-1000000 µs: ${period}`);
    if (!Number.isInteger(quota) || quota < 1000) throw new ContainerSpecError(`${at}.cpu.quota`, `not at least 1000 µs: ${quota}`);
  }
  if (r.cpuShares !== undefined && (!Number.isInteger(r.cpuShares) || r.cpuShares < 2 || r.cpuShares > 262144)) {
    throw new ContainerSpecError(`${at}.cpuShares`, `not 2-262144: ${r.cpuShares}`);
  }
  validateMemoryTuning(r, at);
  if (r.devices !== undefined) validateDeviceRules(r.devices, `${at}.devices`);
  if (r.network !== undefined) validateNetwork(r.network, `${at}.network`);
  return spec;
}

function validateMemoryTuning(r: CgroupResources, at: string): void {
  for (const key of ['memoryReservation', 'kernelMemory', 'kernelTCPMemory'] as const) {
    const v = r[key];
    if (v !== undefined && (typeof v !== 'bigint' || v < -1n)) throw new ContainerSpecError(`${at}.${key}`, `not a byte count or -1 (bigint): ${String(v)}`);
  }
  const swappiness = r.memorySwappiness;
  if (swappiness !== undefined && (!Number.isInteger(swappiness) || swappiness < 0 || swappiness > 100)) {
    throw new ContainerSpecError(`${at}.memorySwappiness`, `not 0-100: ${swappiness}`);
  }
  for (const key of ['disableOOMKiller', 'memoryUseHierarchy', 'memoryCheckBeforeUpdate'] as const) {
    if (r[key] !== undefined && typeof r[key] !== 'boolean') throw new ContainerSpecError(`${at}.${key}`, `not a boolean: ${String(r[key])}`);
  }
}

const isU32 = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;

function validateNetwork(n: NetworkResources, at: string): void {
  if (typeof n !== 'object' || n === null) throw new ContainerSpecError(at, 'not an object');
  if (n.classID !== undefined && !isU32(n.classID)) throw new ContainerSpecError(`${at}.classID`, `not 0-4294967295: ${String(n.classID)}`);
  (n.priorities ?? []).forEach((p, i) => {
    // one "name priority" line per write: a name with blanks or a newline would smuggle in another entry
    if (typeof p.name !== 'string' || !/^[^\s/]{1,15}$/.test(p.name)) throw new ContainerSpecError(`${at}.priorities[${i}].name`, `not an interface name: ${JSON.stringify(p.name)}`);
    if (!isU32(p.priority)) throw new ContainerSpecError(`${at}.priorities[${i}].priority`, `not 0-4294967295: ${String(p.priority)}`);
  });
}

/** The caller's cgroup paths from /proc/self/cgroup: key = controller list ('pids', 'cpu,cpuacct') or '' for v2. */
export function readOwnCgroups(procRoot = '/proc'): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of readFileSync(`${procRoot}/self/cgroup`, 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    map.set(m[1], m[2]);
    for (const ctrl of m[1].split(',')) if (ctrl !== '') map.set(ctrl, m[2]);
  }
  return map;
}

/** rmdir, retried for up to ~2 s while the kernel still counts exiting tasks (EBUSY). */
export async function removeWithRetry(fs: CgroupFs, path: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.rmdir(path);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= 40) throw error;
      await new Promise((resolve) => { setTimeout(resolve, 50); });
    }
  }
}

/** SIGKILL every pid listed in `procsFile` (ESRCH ignored). */
export function killListed(fs: CgroupFs, procsFile: string): void {
  if (!fs.exists(procsFile)) return;
  for (const line of fs.read(procsFile).split('\n')) {
    const pid = Number(line);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      if (fs.killTask) fs.killTask(pid);
      else process.kill(pid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}
