/**
 * `update <id>` (`--resources FILE|-` and per-field flags): the new limits are written into the container's cgroup
 * through @ct/namespaces' updateCgroup (v1: each into its hierarchy's directory, which create made in every mounted
 * one; v2: the cgroup's files, after enabling their controllers in the parent). As runc's update: memory limit,
 * swap, reservation and checkBeforeUpdate, cpu, pids and the raw files; devices, network and the other memory
 * fields stay as created (a warning each). What CgroupResources cannot say is
 * written here: "no pids limit" (max), and a new cpu period that keeps the current quota.
 *
 * Man pages: cgroups(7); the kernel's cgroup-v1 memory.rst, pids.rst, sched-bwc.rst, cgroup-v2.rst.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ContainerCgroup } from '@ct/namespaces/engine';
import { parseJson } from '@ct/oci/spec';
import type { RuntimeContext } from './context.js';
import { applyExtraResources, openRecordedCgroup } from './container-cgroup.js';
import { deriveStatus } from './container-status.js';
import { readResources } from './config/config-confinement.js';
import { readExtraResources } from './config/config-resources-extra.js';
import { asObject, type JsonObject } from './config/json-fields.js';
import { RuntimeError, errnoCode, errnoPhrase, systemError } from './errors.js';
import { withLock } from './lock.js';
import { containerPaths, readRecord } from './state-store.js';

/** Per-field flags of `update` (runc's names), applied over the --resources file. */
export interface UpdateOptions {
  /** LinuxResources JSON file, or `-` for stdin. */
  readonly resources?: string | undefined;
  /** Memory limit in bytes (runc's --memory). */
  readonly memory?: bigint | undefined;
  /** Memory plus swap limit in bytes, at least `memory` (runc's --memory-swap). */
  readonly memorySwap?: bigint | undefined;
  /** Soft limit in bytes, -1n for none (runc's --memory-reservation). */
  readonly memoryReservation?: bigint | undefined;
  /** Most tasks at once; 0 or negative for no limit (pids.max `max`) (runc's --pids-limit). */
  readonly pidsLimit?: number | undefined;
  /** CPU time in µs per period; negative for no limit (runc's --cpu-quota). */
  readonly cpuQuota?: number | undefined;
  /** The CPU period in µs (runc's --cpu-period); alone it keeps the current quota. */
  readonly cpuPeriod?: number | undefined;
  /** Relative CPU weight, 2-262144 (runc's --cpu-share; v2 converts it to cpu.weight). */
  readonly cpuShares?: number | undefined;
}

/** Write one interface file of the container's `controller` directory. */
function writeCgroupFile(cg: ContainerCgroup, controller: string, file: string, value: string): void {
  const dir = cg.dirOf(controller);
  if (dir === undefined) throw new RuntimeError('EUSAGE', `update: the container has no ${controller} cgroup`);
  try {
    cg.fs.write(join(dir, file), value);
  } catch (err) {
    throw systemError(`update: write ${value}`, join(dir, file), err);
  }
}

/** The cpu bandwidth now: quota (-1 or 'max' when unlimited) and period. */
function currentCpuMax(cg: ContainerCgroup): { quota: string; period: number } {
  const dir = cg.dirOf('cpu');
  const read = (file: string, fallback: string): string => {
    try {
      return dir === undefined ? fallback : cg.fs.read(join(dir, file)).trim();
    } catch {
      return fallback;
    }
  };
  if (cg.version === 'v1') return { quota: read('cpu.cfs_quota_us', '-1'), period: Number(read('cpu.cfs_period_us', '100000')) };
  const [quota = 'max', period = '100000'] = read('cpu.max', 'max 100000').split(/\s+/);
  return { quota, period: Number(period) };
}

/** v2: enable the controllers of the files about to be written in the parent's cgroup.subtree_control. */
async function enableV2Controllers(cg: ContainerCgroup, files: readonly string[]): Promise<void> {
  const dir = cg.paths[0];
  if (cg.version !== 'v2' || dir === undefined || files.length === 0) return;
  const { ensureDelegated } = await import('@ct/namespaces/engine');
  ensureDelegated(cg.fs, dirname(dir), [...new Set(files.map((f) => f.split('.')[0] ?? ''))]);
}

/**
 * The linux.resources fields runc's `update` leaves as they were created (it copies only memory limit, reservation,
 * swap and checkBeforeUpdate, cpu, blockIO weight, pids and unified, and skips the device cgroup): present in the
 * file, each is a warning here (runc ignores them silently) and nothing is written for it.
 */
const NOT_UPDATED: readonly (readonly [string, string | undefined])[] = [
  ['devices', undefined], ['network', undefined], ['memory', 'swappiness'], ['memory', 'disableOOMKiller'], ['memory', 'kernel'],
  ['memory', 'kernelTCP'], ['memory', 'useHierarchy'],
];

function notUpdated(resources: JsonObject): string[] {
  return NOT_UPDATED.flatMap(([key, sub]) => {
    const v = resources[key];
    const present = sub === undefined ? v !== undefined && v !== null : typeof v === 'object' && v !== null && !Array.isArray(v) && (v as JsonObject)[sub] !== undefined;
    return present ? [`update: linux.resources.${key}${sub === undefined ? '' : `.${sub}`}: not changed by update (runc's update leaves it as created)`] : [];
  });
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

/**
 * Apply new limits to a created, running or paused container (the fields runc's `update` leaves as created are
 * warnings, written nowhere).
 * @throws RuntimeError EUSAGE (an id that is not a plain name), ContainerNotFoundError (ENOCONTAINER),
 *   RuntimeError ENOTRUNNING (stopped), EUSAGE (an unreadable `resources` file, or no cgroup), ECONFIG (a bad
 *   resources document), ESYSTEM (a cgroup file the kernel refused).
 */
export async function updateContainer(ctx: RuntimeContext, id: string, options: UpdateOptions): Promise<void> {
  const paths = containerPaths(ctx.stateRoot.path, id);
  readRecord(paths, id);
  await withLock(paths.lock, async () => {
    const record = readRecord(paths, id);
    if (deriveStatus(record, paths) === 'stopped') throw new RuntimeError('ENOTRUNNING', 'container not running');
    const notes: string[] = [];
    const file = options.resources === undefined ? undefined : { resources: readResourcesFile(options.resources) };
    const parsed = file === undefined ? {} : readResources(file, notes) ?? {};
    const extra = file === undefined ? undefined : readExtraResources(file);
    if (file !== undefined) notes.push(...notUpdated(file.resources as JsonObject));
    for (const n of notes) ctx.logger.log('warning', n);
    // what update writes; the rest stays as created
    const {
      devices: _devices, network: _network, memorySwappiness: _swappiness, disableOOMKiller: _oom, kernelMemory: _kmem,
      kernelTCPMemory: _tcp, memoryUseHierarchy: _hierarchy, ...fromFile
    } = parsed;
    const r = {
      ...fromFile,
      ...(options.memory === undefined ? {} : { memory: options.memory }),
      ...(options.memorySwap === undefined ? {} : { memorySwap: options.memorySwap }),
      ...(options.memoryReservation === undefined ? {} : { memoryReservation: options.memoryReservation }),
      ...(options.pidsLimit === undefined ? {} : { pids: options.pidsLimit }),
      ...(options.cpuShares === undefined ? {} : { cpuShares: options.cpuShares }),
    };
    const cg = await openRecordedCgroup(record, 'update');
    const { updateCgroup, v2Settings } = await import('@ct/namespaces/engine');
    const { pids, cpu: fileCpu, ...rest } = r;
    const quota = options.cpuQuota ?? fileCpu?.quota;
    const current = currentCpuMax(cg);
    const cpu = quota === undefined ? undefined : { quota, period: options.cpuPeriod ?? fileCpu?.period ?? current.period };
    // pids.limit 0 or -1 is "no limit" ('max'), which CgroupResources cannot say: written here
    const unlimitedPids = pids !== undefined && pids <= 0;
    // a negative quota is "no limit": v1 takes -1 itself, v2 wants 'max' (written here)
    const v2NoQuota = cg.version === 'v2' && cpu !== undefined && cpu.quota < 0;
    const resources = { ...rest, ...(pids !== undefined && !unlimitedPids ? { pids } : {}), ...(cpu === undefined || v2NoQuota ? {} : { cpu }) };
    try {
      await enableV2Controllers(cg, [...v2Settings(resources).map(([f]) => f), ...(unlimitedPids ? ['pids.max'] : []), ...(v2NoQuota ? ['cpu.max'] : [])]);
      updateCgroup(cg, resources, (message) => ctx.logger.log('warning', `update: ${message}`));
      if (extra !== undefined) await applyExtraResources(cg, extra, 'update');
      if (unlimitedPids) writeCgroupFile(cg, 'pids', 'pids.max', 'max');
      if (v2NoQuota) writeCgroupFile(cg, 'cpu', 'cpu.max', `max ${cpu.period}`);
      if (cpu === undefined && options.cpuPeriod !== undefined) {
        // a new period alone keeps the quota
        if (cg.version === 'v1') writeCgroupFile(cg, 'cpu', 'cpu.cfs_period_us', String(options.cpuPeriod));
        else writeCgroupFile(cg, 'cpu', 'cpu.max', `${current.quota} ${options.cpuPeriod}`);
      }
    } catch (err) {
      if (err instanceof RuntimeError) throw err;
      throw new RuntimeError('ESYSTEM', `update: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  });
}
