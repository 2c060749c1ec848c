/**
 * Writing a container's limits into its cgroup v1 directories, one controller at a time: pids, memory (limit,
 * memory+swap, and the tuning fields), cpu, devices (devices-apply.ts), net_cls and net_prio. Where a kernel no
 * longer honours a memory file (kmem.limit_in_bytes is a no-op since Linux 6.1; non-hierarchical accounting was
 * dropped in 6.x) the field is not applied and a warning says so, where runc ignores the field with a warning or
 * silently; every other refusal is a CgroupError naming the file, the value and the errno.
 *
 * Man pages: cgroups(7); kernel docs admin-guide/cgroup-v1/{pids,memory,devices,net_cls,net_prio}.rst,
 * scheduler/sched-bwc.rst.
 */
import { join } from 'node:path';
import { CgroupError } from '../errors.js';
import { writeV1DeviceRules } from './devices-apply.js';
import { type CgroupFs, type CgroupResources, neededControllers, type ResourceController } from './resources.js';

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/** Run a cgroupfs operation, turning its failure into a CgroupError naming `path`. */
export function guard(path: string, what: string, op: () => void): void {
  try {
    op();
  } catch (error) {
    if (error instanceof CgroupError) throw error;
    throw new CgroupError(path, what, asError(error));
  }
}

/** A memory tuning write whose refusal or no-op is a warning naming the config field (see the module comment). */
interface Tuning {
  readonly file: string;
  readonly value: string;
  /** The runtime-spec field, for the warning. */
  readonly field: string;
  /** The value the file must read back (page-rounded bytes) for the write to have taken effect; none: not checked. */
  readonly expect?: bigint;
  /** An errno the kernel refuses the value with that is a warning rather than an error. */
  readonly refusedWith?: string;
}

const PAGE = 4096n;
const pageFloor = (v: bigint): bigint | undefined => (v < 0n ? undefined : (v / PAGE) * PAGE);

/** The interface files and values for `ctrl`, in write order (devices: none, it has its own writer). */
export function v1Settings(ctrl: ResourceController, r: CgroupResources): [string, string][] {
  switch (ctrl) {
    case 'pids': return r.pids === undefined ? [] : [['pids.max', String(r.pids)]];
    case 'memory': {
      const out: [string, string][] = [];
      if (r.memory !== undefined) out.push(['memory.limit_in_bytes', String(r.memory)]);
      if (r.memorySwap !== undefined) out.push(['memory.memsw.limit_in_bytes', String(r.memorySwap)]);
      if (r.memoryReservation !== undefined) out.push(['memory.soft_limit_in_bytes', String(r.memoryReservation)]);
      // written both ways: a new memory cgroup inherits its parent's oom_kill_disable
      if (r.disableOOMKiller !== undefined) out.push(['memory.oom_control', r.disableOOMKiller ? '1' : '0']);
      if (r.memorySwappiness !== undefined) out.push(['memory.swappiness', String(r.memorySwappiness)]);
      return out;
    }
    case 'cpu': {
      const out: [string, string][] = [];
      if (r.cpu !== undefined) out.push(['cpu.cfs_period_us', String(r.cpu.period)], ['cpu.cfs_quota_us', String(r.cpu.quota)]);
      if (r.cpuShares !== undefined) out.push(['cpu.shares', String(r.cpuShares)]);
      return out;
    }
    case 'net_cls': return r.network?.classID === undefined ? [] : [['net_cls.classid', String(r.network.classID)]];
    // one entry per write: the kernel parses one "ifname priority" pair each time
    case 'net_prio': return (r.network?.priorities ?? []).map((p) => ['net_prio.ifpriomap', `${p.name} ${p.priority}`]);
    case 'devices': return [];
  }
}

/** The memory fields a kernel may not honour (see the module comment). */
function memoryTuning(r: CgroupResources): Tuning[] {
  const out: Tuning[] = [];
  const at = 'linux.resources.memory';
  if (r.memoryUseHierarchy !== undefined) {
    out.push({ file: 'memory.use_hierarchy', value: r.memoryUseHierarchy ? '1' : '0', field: `${at}.useHierarchy`, refusedWith: 'EINVAL' });
  }
  const kmem = (file: string, v: bigint, field: string): Tuning => {
    const expect = pageFloor(v);
    return { file, value: String(v), field, ...(expect === undefined ? {} : { expect }) };
  };
  if (r.kernelMemory !== undefined) out.push(kmem('memory.kmem.limit_in_bytes', r.kernelMemory, `${at}.kernel`));
  if (r.kernelTCPMemory !== undefined) out.push(kmem('memory.kmem.tcp.limit_in_bytes', r.kernelTCPMemory, `${at}.kernelTCP`));
  return out;
}

function writeTuning(dir: string, t: Tuning, fs: CgroupFs, warn: (message: string) => void): void {
  const path = join(dir, t.file);
  if (!fs.exists(path)) {
    warn(`cgroup: ${t.field} not applied: this kernel has no ${t.file}`);
    return;
  }
  try {
    fs.write(path, t.value);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === t.refusedWith) {
      warn(`cgroup: ${t.field} not applied: the kernel refuses ${t.value} in ${t.file} (${(error as NodeJS.ErrnoException).code})`);
      return;
    }
    throw new CgroupError(path, `write ${t.value}`, asError(error));
  }
  if (t.expect !== undefined && BigInt(fs.read(path).trim() || '0') !== t.expect) {
    warn(`cgroup: ${t.field} not applied: this kernel ignores ${t.file} (it reads ${fs.read(path).trim()})`);
  }
}

/** runc's message for a limit below the usage (the kernel's EBUSY after failing to reclaim enough). */
function limitBelowUsage(dir: string, file: string, value: string, fs: CgroupFs, error: unknown): CgroupError {
  const read = (f: string): string => (fs.exists(join(dir, f)) ? fs.read(join(dir, f)).trim() : '?');
  return new CgroupError(join(dir, file), `write ${value}: below the current usage (${read('memory.usage_in_bytes')} bytes, peak ${read('memory.max_usage_in_bytes')})`, asError(error));
}

function writeMemory(dir: string, r: CgroupResources, fs: CgroupFs, warn: (message: string) => void): void {
  let settings = v1Settings('memory', r);
  // Raising memory above the current memory+swap limit is refused (EINVAL): write memsw first then.
  if (r.memorySwap !== undefined && r.memory !== undefined && fs.exists(join(dir, 'memory.memsw.limit_in_bytes'))
    && BigInt(fs.read(join(dir, 'memory.memsw.limit_in_bytes')).trim() || '0') < r.memory) {
    settings = [settings[1], settings[0], ...settings.slice(2)].filter((s): s is [string, string] => s !== undefined);
  }
  for (const [file, value] of settings) {
    try {
      fs.write(join(dir, file), value);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EBUSY' && (file === 'memory.limit_in_bytes' || file === 'memory.memsw.limit_in_bytes')) throw limitBelowUsage(dir, file, value, fs, error);
      throw new CgroupError(join(dir, file), `write ${value}`, asError(error));
    }
  }
  for (const t of memoryTuning(r)) writeTuning(dir, t, fs, warn);
}

/**
 * Write the limits into the directories of their controllers (a CgroupError when the container has none for one);
 * `warn` receives the fields a kernel does not honour.
 */
export function writeV1Resources(
  r: CgroupResources, dirOf: (controller: string) => string | undefined, fs: CgroupFs, warn: (message: string) => void = () => undefined,
): void {
  for (const ctrl of neededControllers(r)) {
    const dir = dirOf(ctrl);
    if (dir === undefined) throw new CgroupError(ctrl, `the container has no ${ctrl} cgroup`);
    if (ctrl === 'memory') writeMemory(dir, r, fs, warn);
    else if (ctrl === 'devices') writeV1DeviceRules(dir, r.devices ?? [], fs, 'cgroup.resources.devices');
    else for (const [file, value] of v1Settings(ctrl, r)) guard(join(dir, file), `write ${value}`, () => fs.write(join(dir, file), value));
  }
}
