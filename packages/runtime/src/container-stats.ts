/**
 * What `events` reports: the container's statistics (runc's `stats` data: cpu usage, memory usage/limit/peak/failcnt
 * and the same for memory+swap, kernel and kernel TCP memory, pids current/limit) read from its cgroup through
 * @ct/namespaces' readCgroupStats, v1 or v2; and the OOM-kill count (v1 memory.oom_control, v2 memory.events
 * `oom_kill`) whose rise is runc's `oom` event. A container without a cgroup
 * (rootless) reports its process count from its pid namespace only.
 *
 * Man pages: cgroups(7); the kernel's cgroup-v1 memory.rst, pids.rst, cpuacct.rst, cgroup-v2.rst.
 */
import type { MemoryEntryStats, MemoryStats } from '@ct/namespaces/engine';
import type { RuntimeContext } from './context.js';
import { openRecordedCgroup } from './container-cgroup.js';
import { deriveStatus } from './container-status.js';
import { RuntimeError } from './errors.js';
import { containerPids } from './process-signal.js';
import { containerPaths, readRecord, type ContainerRecord } from './state-store.js';

/** runc's MemoryEntry (0 for "no limit"). */
export interface MemoryEntry {
  /** Bytes in use. */
  readonly usage: bigint;
  /** The limit in bytes (0: none). */
  readonly limit: bigint;
  /** Peak usage in bytes (0: not kept). */
  readonly max: bigint;
  /** How many times the limit was hit (0: not kept). */
  readonly failcnt: bigint;
}

/**
 * runc's events `stats` data, the parts ct reads. The cgroup's counters are 64-bit: bigints, which a caller prints
 * as exact JSON integers (runc prints 9223372036854771712 for an unlimited v1 memory limit).
 */
export interface ContainerStats {
  /** CPU accounting, when the container has a cpu accounting cgroup. */
  readonly cpu?: {
    /** CPU usage. */
    readonly usage: {
      /** Total CPU time consumed, in nanoseconds. */
      readonly total: bigint;
    };
  };
  /** usage; swap (memory+swap), kernel and kernelTCP where the cgroup version and kernel keep them. */
  readonly memory?: {
    /** Memory. */
    readonly usage: MemoryEntry;
    /** Memory plus swap. */
    readonly swap?: MemoryEntry;
    /** Kernel memory (v1, where the kernel keeps it). */
    readonly kernel?: MemoryEntry;
    /** Kernel TCP buffers (v1, where the kernel keeps it). */
    readonly kernelTCP?: MemoryEntry;
  };
  /** Tasks: from the pids cgroup, else counted in the container's pid namespace. */
  readonly pids: {
    /** Tasks now. */
    readonly current: number | bigint;
    /** pids.max; absent when unlimited or unknown. */
    readonly limit?: bigint;
  };
}

const num = (v: bigint | undefined): bigint => v ?? 0n;

function memoryEntry(e: MemoryEntryStats): MemoryEntry {
  return { usage: num(e.usage), limit: num(e.limit), max: num(e.maxUsage), failcnt: num(e.failcnt) };
}

function memoryStats(m: MemoryStats): NonNullable<ContainerStats['memory']> {
  const entries = (['swap', 'kernel', 'kernelTCP'] as const).flatMap((k) => {
    const e = m[k];
    return e === undefined ? [] : [[k, memoryEntry(e)] as const];
  });
  return { usage: memoryEntry(m), ...Object.fromEntries(entries) };
}

function liveRecord(ctx: RuntimeContext, id: string): ContainerRecord {
  const paths = containerPaths(ctx.stateRoot.path, id);
  const record = readRecord(paths, id);
  if (deriveStatus(record, paths) === 'stopped') throw new RuntimeError('ENOTRUNNING', 'container not running');
  return record;
}

/**
 * The container's statistics from its cgroup (pids from its pid namespace when it has no cgroup).
 * @throws RuntimeError EUSAGE (an id that is not a plain name), ContainerNotFoundError (ENOCONTAINER),
 *   RuntimeError ENOTRUNNING (stopped).
 */
export async function containerStats(ctx: RuntimeContext, id: string): Promise<ContainerStats> {
  const record = liveRecord(ctx, id);
  const namespacePids = (): { current: number } => ({ current: containerPids({ pid: record.pid, startTime: record.initStartTime }).length });
  if ((record.cgroupPaths ?? []).length === 0) return { pids: namespacePids() };
  const { readCgroupStats } = await import('@ct/namespaces/engine');
  const s = readCgroupStats(await openRecordedCgroup(record, 'events'));
  return {
    ...(s.cpu === undefined ? {} : { cpu: { usage: { total: num(s.cpu.usageNs) } } }),
    ...(s.memory === undefined ? {} : { memory: memoryStats(s.memory) }),
    pids: s.pids === undefined ? namespacePids() : { current: num(s.pids.current), ...(s.pids.limit === undefined ? {} : { limit: num(s.pids.limit) }) },
  };
}

/**
 * Processes the OOM killer has killed in the container's cgroup so far; undefined when it has no memory cgroup or
 * the kernel does not count them. Readable after the container stopped, until it is deleted.
 */
export async function containerOomKills(ctx: RuntimeContext, id: string): Promise<bigint | undefined> {
  const record = readRecord(containerPaths(ctx.stateRoot.path, id), id);
  if ((record.cgroupPaths ?? []).length === 0) return undefined;
  const { readOomKills } = await import('@ct/namespaces/engine');
  try {
    return readOomKills(await openRecordedCgroup(record, 'events'));
  } catch {
    return undefined; // the cgroup went with a concurrent delete
  }
}
