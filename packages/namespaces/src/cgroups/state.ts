/**
 * What a runtime does with a container's cgroup after creating it: freeze and thaw it (pause/resume), change its
 * limits (update), read its statistics (events --stats) and its OOM-kill count, on v1 and v2. Each function takes
 * the `CgroupDirs` of `createContainerCgroup` or `openContainerCgroup` (whose cgroupfs root and file operations
 * tests replace with a fake cgroupfs).
 *
 * Man pages: cgroups(7); kernel docs admin-guide/cgroup-v1/{freezer-subsystem,memory,pids,cpuacct}.rst,
 * admin-guide/cgroup-v2.rst ("cgroup.freeze", "cgroup.events", "memory.events", "cpu.stat").
 */
import { join } from 'node:path';
import { CgroupError } from '../errors.js';
import type { CgroupDirs, CgroupResources } from './resources.js';
import { guard, writeV1Resources } from './v1-resources.js';
import { writeV2Resources } from './v2.js';

/** A cgroup's freezer state: 'frozen', 'thawed', or 'freezing' (v1 FREEZING, v2 cgroup.freeze 1 but not yet frozen). */
export type FreezeState = 'frozen' | 'thawed' | 'freezing';

/** How long `freezeCgroup`/`thawCgroup` wait for the kernel (default 5000 ms) and how often they look (10 ms). */
export interface FreezeOptions {
  /** How long to wait for the state, in ms (default 5000); then a CgroupError. */
  readonly timeoutMs?: number;
  /** How often to look, in ms (default 10). */
  readonly intervalMs?: number;
}

function freezerDir(cg: CgroupDirs): string {
  const dir = cg.dirOf(cg.version === 'v1' ? 'freezer' : 'cgroup');
  if (dir === undefined) throw new CgroupError(cg.paths[0] ?? '', 'no freezer cgroup (create it with freezer: true)');
  return dir;
}

/** The v2 `key value` lines of a flat-keyed file (cgroup.events, memory.events, cpu.stat) as bigints. */
export function readKeyed(cg: CgroupDirs, file: string): Map<string, bigint> {
  const map = new Map<string, bigint>();
  if (!cg.fs.exists(file)) return map;
  for (const line of cg.fs.read(file).split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key !== undefined && value !== undefined && /^\d+$/.test(value)) map.set(key, BigInt(value));
  }
  return map;
}

/** The freezer state now (v1 freezer.state; v2 cgroup.freeze and the `frozen` key of cgroup.events). */
export function cgroupFreezeState(cg: CgroupDirs): FreezeState {
  const dir = freezerDir(cg);
  if (cg.version === 'v1') {
    const state = cg.fs.read(join(dir, 'freezer.state')).trim();
    return state === 'FROZEN' ? 'frozen' : state === 'FREEZING' ? 'freezing' : 'thawed';
  }
  const frozen = readKeyed(cg, join(dir, 'cgroup.events')).get('frozen') === 1n;
  if (frozen) return 'frozen';
  return cg.fs.exists(join(dir, 'cgroup.freeze')) && cg.fs.read(join(dir, 'cgroup.freeze')).trim() === '1' ? 'freezing' : 'thawed';
}

async function settle(cg: CgroupDirs, want: FreezeState, options: FreezeOptions): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  for (;;) {
    const state = cgroupFreezeState(cg);
    if (state === want) return;
    if (Date.now() >= deadline) throw new CgroupError(freezerDir(cg), `still ${state}, not ${want}, after ${options.timeoutMs ?? 5000} ms`);
    await new Promise((resolve) => { setTimeout(resolve, options.intervalMs ?? 10); });
  }
}

function writeFreeze(cg: CgroupDirs, frozen: boolean): void {
  const dir = freezerDir(cg);
  const [file, value] = cg.version === 'v1' ? ['freezer.state', frozen ? 'FROZEN' : 'THAWED'] : ['cgroup.freeze', frozen ? '1' : '0'];
  guard(join(dir, file), frozen ? 'freeze' : 'thaw', () => cg.fs.write(join(dir, file), value));
}

/** Freeze every process of the cgroup and wait until the kernel reports it frozen (a CgroupError at the timeout). */
export async function freezeCgroup(cg: CgroupDirs, options: FreezeOptions = {}): Promise<void> {
  writeFreeze(cg, true);
  try {
    await settle(cg, 'frozen', options);
  } catch (error) {
    // Not left half-frozen (runc thaws on a failed freeze too).
    writeFreeze(cg, false);
    throw error;
  }
}

/** Thaw the cgroup and wait until the kernel reports it thawed. */
export async function thawCgroup(cg: CgroupDirs, options: FreezeOptions = {}): Promise<void> {
  writeFreeze(cg, false);
  await settle(cg, 'thawed', options);
}

/**
 * Write new limits into the container's cgroup (v1: each into its controller's directory, which must exist); `warn`
 * receives the fields the kernel or the cgroup version cannot apply.
 */
export function updateCgroup(cg: CgroupDirs, resources: CgroupResources, warn: (message: string) => void = () => undefined): void {
  if (cg.version === 'v1') writeV1Resources(resources, cg.dirOf, cg.fs, warn);
  else writeV2Resources(resources, freezerDir(cg), cg.fs, { warn, unprivileged: (process.geteuid?.() ?? 0) !== 0 });
}

/** One memory counter set (runc's MemoryEntry). */
export interface MemoryEntryStats {
  /** Bytes in use. */
  readonly usage: bigint;
  /** The limit; undefined when unlimited ("max"). */
  readonly limit: bigint | undefined;
  /** Peak usage; undefined when not kept. */
  readonly maxUsage: bigint | undefined;
  /** Times the limit was hit. */
  readonly failcnt: bigint;
}

/** The memory part of CgroupStats. */
export type MemoryStats = MemoryEntryStats & {
  /**
   * Memory plus swap, as runc reports it on both versions (v1 memory.memsw.*; v2 memory.swap.current and
   * memory.swap.max added to memory's); absent without swap accounting.
   */
  readonly swap?: MemoryEntryStats;
  /** Kernel memory (v1 memory.kmem.*); absent on v2 and on kernels without the files. */
  readonly kernel?: MemoryEntryStats;
  /** Kernel TCP buffers (v1 memory.kmem.tcp.*); absent on v2 and on kernels without the files. */
  readonly kernelTCP?: MemoryEntryStats;
};

/** Statistics of a container's cgroup (runc's `events --stats` parts); a part is absent without its controller. */
export interface CgroupStats {
  /** Memory use, when the cgroup has a memory controller. */
  readonly memory?: MemoryStats;
  /** Tasks, when it has a pids controller. */
  readonly pids?: {
    /** Tasks now (pids.current). */
    readonly current: bigint;
    /** pids.max; undefined when unlimited. */
    readonly limit: bigint | undefined;
  };
  /** CPU time, when it has cpu accounting (v1 cpuacct, v2 cpu.stat). */
  readonly cpu?: {
    /** CPU time used, ns (v1 cpuacct.usage, v2 cpu.stat usage_usec × 1000). */
    readonly usageNs: bigint;
  };
}

function readValue(cg: CgroupDirs, file: string): bigint | undefined {
  if (!cg.fs.exists(file)) return undefined;
  const text = cg.fs.read(file).trim();
  return /^\d+$/.test(text) ? BigInt(text) : undefined;
}

/** A v1 memory counter set: `<prefix>.usage_in_bytes`, `.limit_in_bytes`, `.max_usage_in_bytes`, `.failcnt`. */
function v1MemoryEntry(cg: CgroupDirs, dir: string, prefix: string): MemoryEntryStats | undefined {
  const usage = readValue(cg, join(dir, `${prefix}.usage_in_bytes`));
  if (usage === undefined) return undefined;
  return {
    usage, limit: readValue(cg, join(dir, `${prefix}.limit_in_bytes`)), maxUsage: readValue(cg, join(dir, `${prefix}.max_usage_in_bytes`)),
    failcnt: readValue(cg, join(dir, `${prefix}.failcnt`)) ?? 0n,
  };
}

function v1Memory(cg: CgroupDirs, mem: string): MemoryStats {
  const usage = v1MemoryEntry(cg, mem, 'memory') ?? { usage: 0n, limit: undefined, maxUsage: undefined, failcnt: 0n };
  const swap = v1MemoryEntry(cg, mem, 'memory.memsw');
  const kernel = v1MemoryEntry(cg, mem, 'memory.kmem');
  const kernelTCP = v1MemoryEntry(cg, mem, 'memory.kmem.tcp');
  return { ...usage, ...(swap === undefined ? {} : { swap }), ...(kernel === undefined ? {} : { kernel }), ...(kernelTCP === undefined ? {} : { kernelTCP }) };
}

function v1Stats(cg: CgroupDirs): CgroupStats {
  const mem = cg.dirOf('memory');
  const pids = cg.dirOf('pids');
  const cpuacct = [cg.dirOf('cpuacct'), cg.dirOf('cpu')].find((d) => d !== undefined && cg.fs.exists(join(d, 'cpuacct.usage')));
  // v1 reports "no limit" as a huge page-rounded number; runc passes it on as is.
  return {
    ...(mem === undefined ? {} : { memory: v1Memory(cg, mem) }),
    ...(pids === undefined ? {} : { pids: { current: readValue(cg, join(pids, 'pids.current')) ?? 0n, limit: readValue(cg, join(pids, 'pids.max')) } }),
    ...(cpuacct === undefined ? {} : { cpu: { usageNs: readValue(cg, join(cpuacct, 'cpuacct.usage')) ?? 0n } }),
  };
}

function v2Stats(cg: CgroupDirs): CgroupStats {
  const dir = freezerDir(cg);
  const has = (file: string): boolean => cg.fs.exists(join(dir, file));
  const usec = readKeyed(cg, join(dir, 'cpu.stat')).get('usage_usec');
  const memory = (): MemoryStats => {
    const usage = readValue(cg, join(dir, 'memory.current')) ?? 0n;
    const limit = readValue(cg, join(dir, 'memory.max'));
    const swapUsage = readValue(cg, join(dir, 'memory.swap.current'));
    const swapLimit = readValue(cg, join(dir, 'memory.swap.max'));
    // runc reports v2 swap as memory+swap, as v1's memsw
    const swap = swapUsage === undefined ? undefined : {
      usage: swapUsage + usage, limit: swapLimit === undefined || limit === undefined ? undefined : swapLimit + limit,
      maxUsage: readValue(cg, join(dir, 'memory.swap.peak')), failcnt: readKeyed(cg, join(dir, 'memory.swap.events')).get('max') ?? 0n,
    };
    return {
      usage, limit, maxUsage: readValue(cg, join(dir, 'memory.peak')), failcnt: readKeyed(cg, join(dir, 'memory.events')).get('max') ?? 0n,
      ...(swap === undefined ? {} : { swap }),
    };
  };
  return {
    ...(!has('memory.current') ? {} : { memory: memory() }),
    ...(!has('pids.current') ? {} : { pids: { current: readValue(cg, join(dir, 'pids.current')) ?? 0n, limit: readValue(cg, join(dir, 'pids.max')) } }),
    ...(usec === undefined ? {} : { cpu: { usageNs: usec * 1000n } }),
  };
}

/** Read the container cgroup's statistics. */
export function readCgroupStats(cg: CgroupDirs): CgroupStats {
  return cg.version === 'v1' ? v1Stats(cg) : v2Stats(cg);
}

/**
 * Processes the OOM killer killed in the cgroup (v1 memory.oom_control `oom_kill`, Linux 4.13; v2 memory.events
 * `oom_kill`); undefined without a memory cgroup or when the kernel does not count them.
 */
export function readOomKills(cg: CgroupDirs): bigint | undefined {
  const dir = cg.dirOf('memory');
  if (dir === undefined) return undefined;
  return readKeyed(cg, join(dir, cg.version === 'v1' ? 'memory.oom_control' : 'memory.events')).get('oom_kill');
}
