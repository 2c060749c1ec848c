/**
 * linux.resources beyond what config-resources.ts reads into @ct/namespaces' CgroupResources. As raw interface-file
 * writes for the container's cgroup, v1 or v2, the fields CgroupResources has no field for: cpuset (cpu.cpus, cpu.mems),
 * the cpu's realtime budget and idle flag (cpu.realtimePeriod/realtimeRuntime: v1 cpu.rt_period_us then
 * cpu.rt_runtime_us, as runc writes them, refused on v2 where the kernel has no such files; cpu.idle), blockIO
 * (weight, weightDevice, the four throttle lists), hugepageLimits and unified, named as runc names them (v1 blkio.* /
 * hugetlb.<size>.limit_in_bytes; v2 io.max, io.bfq.weight or io.weight, hugetlb.<size>.max; `unified` keys are v2
 * file names and are refused on v1).
 *
 * Man pages: cgroups(7); the kernel's cgroup-v1 blkio-controller.rst, cpusets.rst, hugetlb.rst, devices.rst,
 * net_cls.rst, net_prio.rst, memory.rst, cgroup-v2.rst.
 */
import { ConfigError } from '../errors.js';
import { asInteger, asObject, optArray, optObject, optString, type JsonObject } from './json-fields.js';

const u64 = 0xffff_ffff_ffff_ffffn;

/** One per-device entry of blockIO (major:minor and its value). */
export interface DeviceValue {
  readonly major: number;
  readonly minor: number;
  readonly value: bigint;
}

/** The resources applied as raw interface-file writes. */
export interface ExtraResources {
  readonly cpus?: string;
  readonly mems?: string;
  /** cpu.realtimePeriod and cpu.realtimeRuntime (µs); runtime -1 is "no limit" as the kernel reads it. */
  readonly rtPeriod?: bigint;
  readonly rtRuntime?: bigint;
  /** cpu.idle: 0 or 1. */
  readonly cpuIdle?: number;
  /** blockIO.weight, 10-1000. */
  readonly blkioWeight?: number;
  readonly weightDevice: readonly DeviceValue[];
  readonly throttle: readonly { readonly kind: 'read_bps' | 'write_bps' | 'read_iops' | 'write_iops'; readonly device: DeviceValue }[];
  /** hugepageLimits: page size as written ("2MB", "1GB") and the byte limit. */
  readonly hugepages: readonly { readonly pageSize: string; readonly limit: bigint }[];
  /** unified: cgroup v2 file name → value. */
  readonly unified: Readonly<Record<string, string>>;
}

function devices(o: JsonObject, key: string, at: string, valueKey: string): DeviceValue[] {
  return optArray(o, key, at).map((v, i) => {
    const d = asObject(v, `${at}.${key}[${i}]`);
    const path = `${at}.${key}[${i}]`;
    return {
      major: Number(asInteger(d['major'], `${path}.major`, 0n, 0xfffn)),
      minor: Number(asInteger(d['minor'], `${path}.minor`, 0n, 0xfffffn)),
      value: asInteger(d[valueKey], `${path}.${valueKey}`, 0n, u64),
    };
  });
}

/** Read the fields above from linux.resources (`l` holds it under `resources`); undefined when none is set. */
export function readExtraResources(l: JsonObject): ExtraResources | undefined {
  const r = optObject(l, 'resources', 'linux');
  if (r === undefined) return undefined;
  const at = 'linux.resources';
  const cpu = optObject(r, 'cpu', at);
  const cpus = cpu === undefined ? undefined : optString(cpu, 'cpus', `${at}.cpu`);
  const mems = cpu === undefined ? undefined : optString(cpu, 'mems', `${at}.cpu`);
  const num = (key: string, min: bigint, max: bigint): bigint | undefined =>
    cpu === undefined || cpu[key] === undefined || cpu[key] === null ? undefined : asInteger(cpu[key], `${at}.cpu.${key}`, min, max);
  const rtPeriod = num('realtimePeriod', 0n, u64);
  const rtRuntime = num('realtimeRuntime', -1n, (1n << 63n) - 1n);
  const cpuIdle = num('idle', 0n, 1n);
  const io = optObject(r, 'blockIO', at) ?? {};
  const weight = io['weight'] === undefined || io['weight'] === null ? undefined : Number(asInteger(io['weight'], `${at}.blockIO.weight`, 10n, 1000n));
  const throttle = (['read_bps', 'write_bps', 'read_iops', 'write_iops'] as const).flatMap((kind) => {
    const key = { read_bps: 'throttleReadBpsDevice', write_bps: 'throttleWriteBpsDevice', read_iops: 'throttleReadIOPSDevice', write_iops: 'throttleWriteIOPSDevice' }[kind];
    return devices(io, key, `${at}.blockIO`, 'rate').map((device) => ({ kind, device }));
  });
  const hugepages = optArray(r, 'hugepageLimits', at).map((v, i) => {
    const h = asObject(v, `${at}.hugepageLimits[${i}]`);
    const pageSize = optString(h, 'pageSize', `${at}.hugepageLimits[${i}]`) ?? '';
    if (!/^\d+[KMG]B$/.test(pageSize)) throw new ConfigError(`${at}.hugepageLimits[${i}].pageSize`, `${JSON.stringify(pageSize)} is not a size like 2MB`);
    return { pageSize, limit: asInteger(h['limit'], `${at}.hugepageLimits[${i}].limit`, 0n, u64) };
  });
  const unifiedObj = optObject(r, 'unified', at) ?? {};
  const unified: Record<string, string> = {};
  for (const [key, value] of Object.entries(unifiedObj)) {
    if (!/^[a-z]+\.[a-z_.]+$/.test(key)) throw new ConfigError(`${at}.unified.${key}`, 'not a cgroup v2 interface file name');
    if (typeof value !== 'string') throw new ConfigError(`${at}.unified.${key}`, 'not a string');
    unified[key] = value;
  }
  const x: ExtraResources = {
    ...(cpus === undefined || cpus === '' ? {} : { cpus }), ...(mems === undefined || mems === '' ? {} : { mems }),
    // 0 leaves the kernel's value, as runc reads them
    ...(rtPeriod === undefined || rtPeriod === 0n ? {} : { rtPeriod }), ...(rtRuntime === undefined || rtRuntime === 0n ? {} : { rtRuntime }),
    ...(cpuIdle === undefined ? {} : { cpuIdle: Number(cpuIdle) }),
    ...(weight === undefined ? {} : { blkioWeight: weight }),
    weightDevice: devices(io, 'weightDevice', `${at}.blockIO`, 'weight'), throttle, hugepages, unified,
  };
  const empty = x.cpus === undefined && x.mems === undefined && x.rtPeriod === undefined && x.rtRuntime === undefined
    && x.cpuIdle === undefined && x.blkioWeight === undefined && x.weightDevice.length === 0
    && throttle.length === 0 && hugepages.length === 0 && Object.keys(unified).length === 0;
  return empty ? undefined : x;
}

/** One write: the controller whose directory holds the file, and the candidates (the first that exists is used). */
export interface ResourceWrite {
  readonly controller: string;
  readonly candidates: readonly (readonly [file: string, value: string])[];
  /** The config.json field it applies (`linux.resources.blockIO.weight`), for errors. */
  readonly field: string;
}

const R = 'linux.resources';
const THROTTLE_FIELDS = {
  read_bps: 'throttleReadBpsDevice', write_bps: 'throttleWriteBpsDevice', read_iops: 'throttleReadIOPSDevice', write_iops: 'throttleWriteIOPSDevice',
} as const;

const dev = (d: DeviceValue): string => `${d.major}:${d.minor}`;

/** runc's blkio weight (10-1000) → cgroup v2 io.weight (1-10000). */
function ioWeight(w: number): number {
  return 1 + Math.floor(((w - 10) * 9999) / 990);
}

/** The writes for a cgroup of `version`; `unified` on v1 is a ConfigError (runc refuses it too). */
export function extraResourceWrites(x: ExtraResources, version: 'v1' | 'v2'): ResourceWrite[] {
  const out: ResourceWrite[] = [];
  const one = (field: string, controller: string, file: string, value: string): void => {
    out.push({ controller, candidates: [[file, value]], field: `${R}.${field}` });
  };
  if (x.cpus !== undefined) one('cpu.cpus', 'cpuset', 'cpuset.cpus', x.cpus);
  if (x.mems !== undefined) one('cpu.mems', 'cpuset', 'cpuset.mems', x.mems);
  if (x.cpuIdle !== undefined) one('cpu.idle', 'cpu', 'cpu.idle', String(x.cpuIdle));
  if (version === 'v1') {
    // the period first: a runtime is checked against the period in place
    if (x.rtPeriod !== undefined) one('cpu.realtimePeriod', 'cpu', 'cpu.rt_period_us', String(x.rtPeriod));
    if (x.rtRuntime !== undefined) one('cpu.realtimeRuntime', 'cpu', 'cpu.rt_runtime_us', String(x.rtRuntime));
    if (x.blkioWeight !== undefined) {
      out.push({ controller: 'blkio', candidates: [['blkio.weight', String(x.blkioWeight)], ['blkio.bfq.weight', String(x.blkioWeight)]], field: `${R}.blockIO.weight` });
    }
    for (const d of x.weightDevice) {
      out.push({
        controller: 'blkio', candidates: [['blkio.weight_device', `${dev(d)} ${d.value}`], ['blkio.bfq.weight_device', `${dev(d)} ${d.value}`]],
        field: `${R}.blockIO.weightDevice`,
      });
    }
    for (const t of x.throttle) one(`blockIO.${THROTTLE_FIELDS[t.kind]}`, 'blkio', `blkio.throttle.${t.kind}_device`, `${dev(t.device)} ${t.device.value}`);
    for (const h of x.hugepages) one('hugepageLimits', 'hugetlb', `hugetlb.${h.pageSize}.limit_in_bytes`, String(h.limit));
    if (Object.keys(x.unified).length > 0) throw new ConfigError('linux.resources.unified', 'cgroup v2 settings on a cgroup v1 host');
    return out;
  }
  if (x.rtPeriod !== undefined || x.rtRuntime !== undefined) {
    throw new ConfigError(`linux.resources.cpu.${x.rtRuntime !== undefined ? 'realtimeRuntime' : 'realtimePeriod'}`, 'cgroup v2 has no realtime budget (cpu.rt_*)');
  }
  if (x.blkioWeight !== undefined) {
    out.push({
      controller: 'io', candidates: [['io.bfq.weight', `default ${x.blkioWeight}`], ['io.weight', `default ${ioWeight(x.blkioWeight)}`]], field: `${R}.blockIO.weight`,
    });
  }
  for (const d of x.weightDevice) {
    out.push({
      controller: 'io', candidates: [['io.bfq.weight', `${dev(d)} ${d.value}`], ['io.weight', `${dev(d)} ${ioWeight(Number(d.value))}`]], field: `${R}.blockIO.weightDevice`,
    });
  }
  const ioKey = { read_bps: 'rbps', write_bps: 'wbps', read_iops: 'riops', write_iops: 'wiops' } as const;
  for (const t of x.throttle) one(`blockIO.${THROTTLE_FIELDS[t.kind]}`, 'io', 'io.max', `${dev(t.device)} ${ioKey[t.kind]}=${t.device.value}`);
  for (const h of x.hugepages) one('hugepageLimits', 'hugetlb', `hugetlb.${h.pageSize}.max`, String(h.limit));
  for (const [file, value] of Object.entries(x.unified)) one(`unified.${file}`, file.split('.')[0] ?? '', file, value);
  return out;
}
