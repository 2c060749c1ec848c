/**
 * `update <id>` (`--resources FILE|-` and per-field flags) and the cgroup statistics of `events`: the limits are
 * written into the container's own v1 cgroups (the ones linux.resources made at create; a limit for a controller
 * the container has no cgroup for is an error naming it). Statistics: memory usage and limit, pids current and
 * limit, cpu usage; a container without cgroups reports its process count only.
 *
 * Man pages: cgroups(7); the kernel's cgroup-v1 memory.rst, pids.rst, sched-bwc.rst.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJson } from '@ct/oci/spec';
import type { RuntimeContext } from './context.js';
import { deriveStatus } from './container-status.js';
import { readResources } from './config/config-confinement.js';
import { asObject, type JsonObject } from './config/json-fields.js';
import { RuntimeError, errnoCode, errnoPhrase, systemError } from './errors.js';
import { withLock } from './lock.js';
import { containerPids } from './process-signal.js';
import { containerPaths, readRecord, type ContainerRecord } from './state-store.js';

/** Per-field flags of `update` (runc's names), applied over the --resources file. */
export interface UpdateOptions {
  /** LinuxResources JSON file, or `-` for stdin. */
  readonly resources?: string | undefined;
  readonly memory?: bigint | undefined;
  readonly memorySwap?: bigint | undefined;
  readonly pidsLimit?: number | undefined;
  readonly cpuQuota?: number | undefined;
  readonly cpuPeriod?: number | undefined;
  readonly cpuShares?: number | undefined;
}

/** The v1 controller directory of a recorded cgroup path (`/sys/fs/cgroup/<ctrl>/...`). */
function controllerDir(record: ContainerRecord, ctrl: string): string | undefined {
  return (record.cgroupPaths ?? []).find((p) => p.split('/')[4]?.split(',').includes(ctrl));
}

function writeLimit(record: ContainerRecord, ctrl: string, file: string, value: string): void {
  const dir = controllerDir(record, ctrl);
  if (dir === undefined) throw new RuntimeError('EUSAGE', `update: container ${record.id} has no ${ctrl} cgroup (created without linux.resources for it)`);
  try {
    writeFileSync(join(dir, file), value);
  } catch (err) {
    throw systemError(`update: write ${value}`, join(dir, file), err);
  }
}

function readResourcesFile(file: string): JsonObject {
  const path = file === '-' ? '<stdin>' : file;
  let text: string;
  try {
    // fd 0, not /dev/stdin: opening that fails (ENXIO) when stdin is a socket
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new RuntimeError('EUSAGE', `update: --resources: ${file}: ${errnoPhrase(errnoCode(err))}`, { cause: err });
  }
  return asObject(parseJson(text, path), 'resources');
}

/** Apply new limits to a created, running or paused container. */
export async function updateContainer(ctx: RuntimeContext, id: string, options: UpdateOptions): Promise<void> {
  const paths = containerPaths(ctx.stateRoot.path, id);
  readRecord(paths, id);
  await withLock(paths.lock, async () => {
    const record = readRecord(paths, id);
    if (deriveStatus(record, paths) === 'stopped') throw new RuntimeError('ENOTRUNNING', 'container not running');
    const notes: string[] = [];
    const fromFile = options.resources === undefined ? {} : readResources({ resources: readResourcesFile(options.resources) }, notes) ?? {};
    for (const n of notes) ctx.logger.log('warning', n);
    const r = {
      ...fromFile,
      ...(options.memory === undefined ? {} : { memory: options.memory }),
      ...(options.memorySwap === undefined ? {} : { memorySwap: options.memorySwap }),
      ...(options.pidsLimit === undefined ? {} : { pids: options.pidsLimit }),
      ...(options.cpuShares === undefined ? {} : { cpuShares: options.cpuShares }),
    };
    if (r.pids !== undefined) writeLimit(record, 'pids', 'pids.max', r.pids > 0 ? String(r.pids) : 'max');
    if (r.memory !== undefined) writeLimit(record, 'memory', 'memory.limit_in_bytes', String(r.memory));
    if (r.memorySwap !== undefined) writeLimit(record, 'memory', 'memory.memsw.limit_in_bytes', String(r.memorySwap));
    const quota = options.cpuQuota ?? r.cpu?.quota;
    const period = options.cpuPeriod ?? (options.cpuQuota === undefined ? r.cpu?.period : undefined);
    if (period !== undefined) writeLimit(record, 'cpu', 'cpu.cfs_period_us', String(period));
    if (quota !== undefined) writeLimit(record, 'cpu', 'cpu.cfs_quota_us', String(quota));
    if (r.cpuShares !== undefined) writeLimit(record, 'cpu', 'cpu.shares', String(r.cpuShares));
  });
}

function readNumber(file: string): number | undefined {
  try {
    const v = readFileSync(file, 'utf8').trim();
    return v === 'max' ? undefined : Number(v);
  } catch {
    return undefined;
  }
}

/** runc's events `stats` data, the parts ct reads. */
export interface ContainerStats {
  readonly cpu?: { readonly usage: { readonly total: number } };
  readonly memory?: { readonly usage: { readonly usage: number; readonly limit: number; readonly max: number } };
  readonly pids: { readonly current: number; readonly limit?: number };
}

/** The container's statistics from its cgroups (pids from its pid namespace when it has no pids cgroup). */
export function containerStats(ctx: RuntimeContext, id: string): ContainerStats {
  const paths = containerPaths(ctx.stateRoot.path, id);
  const record = readRecord(paths, id);
  if (deriveStatus(record, paths) === 'stopped') throw new RuntimeError('ENOTRUNNING', 'container not running');
  const mem = controllerDir(record, 'memory');
  const pids = controllerDir(record, 'pids');
  const cpuDir = controllerDir(record, 'cpu');
  const cpu = cpuDir !== undefined && existsSync(join(cpuDir, 'cpuacct.usage')) ? cpuDir : undefined;
  const current = pids === undefined ? containerPids({ pid: record.pid, startTime: record.initStartTime }).length : readNumber(join(pids, 'pids.current')) ?? 0;
  const limit = pids === undefined ? undefined : readNumber(join(pids, 'pids.max'));
  return {
    ...(cpu === undefined ? {} : { cpu: { usage: { total: readNumber(join(cpu, 'cpuacct.usage')) ?? 0 } } }),
    ...(mem === undefined ? {} : {
      memory: {
        usage: {
          usage: readNumber(join(mem, 'memory.usage_in_bytes')) ?? 0, limit: readNumber(join(mem, 'memory.limit_in_bytes')) ?? 0,
          max: readNumber(join(mem, 'memory.max_usage_in_bytes')) ?? 0,
        },
      },
    }),
    pids: { current, ...(limit === undefined ? {} : { limit }) },
  };
}
