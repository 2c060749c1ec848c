/**
 * linux.resources → @ct/namespaces' CgroupResources: memory (limit, swap, reservation, swappiness,
 * disableOOMKiller, kernel, kernelTCP, useHierarchy, checkBeforeUpdate), cpu (quota, period, shares), pids, network
 * (classID, priorities) and the device rules (`devices`, in order; runc's defaults appended at create for a
 * container that has a device cgroup, see `withDeviceDefaults`). cpu.cpus/mems, blockIO, hugepageLimits and unified
 * (and cpu.realtimeRuntime/realtimePeriod/idle) are config-resources-extra.ts'. What ct cannot apply (cpu.burst, rdma) is
 * refused naming the field; keys the runtime-spec does not define are noted and ignored, as runc ignores them.
 * Values follow runc's reading: 0 leaves a memory setting alone, -1 is "no limit"; swappiness -1 (or 2^64-1, its
 * unsigned form) is unset, otherwise 0-100.
 *
 * Man pages: cgroups(7); kernel docs admin-guide/cgroup-v1/{memory,devices,net_cls,net_prio}.rst, cgroup-v2.rst.
 */
import { withDefaultDeviceRules, type CgroupResources, type DeviceRule } from '@ct/namespaces/engine';
import { ConfigError } from '../errors.js';
import type { BundleConfig } from './bundle-config.js';
import type { ConfigLinux } from './config-linux.js';
import { asInteger, asObject, optArray, optBool, optObject, optString, reqString, type JsonObject } from './json-fields.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const u64 = (1n << 64n) - 1n;
const i64 = 1n << 63n;
const at = 'linux.resources';

/** The keys of linux.resources.X the runtime-spec defines and ct reads (here or in config-resources-extra.ts). */
const known: Readonly<Record<string, readonly string[]>> = {
  memory: ['limit', 'swap', 'reservation', 'swappiness', 'disableOOMKiller', 'kernel', 'kernelTCP', 'useHierarchy', 'checkBeforeUpdate'],
  cpu: ['quota', 'period', 'shares', 'cpus', 'mems', 'realtimeRuntime', 'realtimePeriod', 'idle'],
  '': ['memory', 'cpu', 'pids', 'devices', 'network', 'blockIO', 'hugepageLimits', 'unified'],
};
/** Keys the runtime-spec defines that ct cannot apply: refused. */
const refused: Readonly<Record<string, readonly string[]>> = {
  cpu: ['burst'],
  '': ['rdma'],
};

function checkKeys(o: JsonObject, group: string, notes: string[]): void {
  const prefix = group === '' ? at : `${at}.${group}`;
  for (const k of Object.keys(o)) {
    if (o[k] === null) continue;
    if (refused[group]?.includes(k) === true) throw new ConfigError(`${prefix}.${k}`, 'not supported by ct');
    if (known[group]?.includes(k) !== true) notes.push(`${prefix}.${k}: not a runtime-spec field, ignored`);
  }
}

function readMemory(mem: JsonObject, out: Mutable<CgroupResources>, notes: string[]): void {
  const p = `${at}.memory`;
  const num = (key: string): bigint | undefined => (mem[key] === undefined || mem[key] === null ? undefined : asInteger(mem[key], `${p}.${key}`, -1n, i64 - 1n));
  // limit and swap: -1 (unlimited) is what a new cgroup has: nothing to write
  const limit = num('limit');
  const swap = num('swap');
  if (limit !== undefined && limit > 0n) out.memory = limit;
  if (swap !== undefined && swap > 0n) out.memorySwap = swap;
  // the others: 0 leaves the kernel's value, -1 is "none"
  const reservation = num('reservation');
  const kernel = num('kernel');
  const kernelTCP = num('kernelTCP');
  if (reservation !== undefined && reservation !== 0n) out.memoryReservation = reservation;
  if (kernel !== undefined && kernel !== 0n) out.kernelMemory = kernel;
  if (kernelTCP !== undefined && kernelTCP !== 0n) out.kernelTCPMemory = kernelTCP;
  const sw = mem['swappiness'];
  if (sw !== undefined && sw !== null) {
    const n = asInteger(sw, `${p}.swappiness`, -1n, u64);
    if (n !== -1n && n !== u64) {
      if (n > 100n) throw new ConfigError(`${p}.swappiness`, `${n} is out of range [0, 100]`);
      out.memorySwappiness = Number(n);
    }
  }
  const flag = (key: string): boolean | undefined => optBool(mem, key, p);
  const disable = flag('disableOOMKiller');
  const hierarchy = flag('useHierarchy');
  const check = flag('checkBeforeUpdate');
  if (disable !== undefined) out.disableOOMKiller = disable;
  if (hierarchy !== undefined) out.memoryUseHierarchy = hierarchy;
  if (check !== undefined) out.memoryCheckBeforeUpdate = check;
  checkKeys(mem, 'memory', notes);
}

function readNetwork(net: JsonObject): CgroupResources['network'] {
  const p = `${at}.network`;
  const classID = net['classID'] === undefined || net['classID'] === null ? undefined : Number(asInteger(net['classID'], `${p}.classID`, 0n, 0xffff_ffffn));
  const priorities = optArray(net, 'priorities', p).map((v, i) => {
    const e = asObject(v, `${p}.priorities[${i}]`);
    const name = reqString(e, 'name', `${p}.priorities[${i}]`);
    // one "NAME PRIORITY" line goes to net_prio.ifpriomap: a name with blanks would smuggle in a second entry
    if (!/^[^\s/]{1,15}$/.test(name)) throw new ConfigError(`${p}.priorities[${i}].name`, `${JSON.stringify(name)} is not an interface name`);
    return { name, priority: Number(asInteger(e['priority'], `${p}.priorities[${i}].priority`, 0n, 0xffff_ffffn)) };
  });
  return { ...(classID === undefined ? {} : { classID }), ...(priorities.length === 0 ? {} : { priorities }) };
}

/**
 * linux.resources.devices as runc reads it: `type` a, c or b (missing: a), `major`/`minor` missing for any (-1),
 * `access` required (runc: "device access at N field cannot be empty"); undefined when the list is absent.
 */
export function readDeviceRules(r: JsonObject): DeviceRule[] | undefined {
  if (r['devices'] === undefined || r['devices'] === null) return undefined;
  return optArray(r, 'devices', at).map((v, i): DeviceRule => {
    const p = `${at}.devices[${i}]`;
    const d = asObject(v, p);
    const allow = optBool(d, 'allow', p);
    if (allow === undefined) throw new ConfigError(`${p}.allow`, 'missing');
    const type = optString(d, 'type', p) ?? 'a';
    if (type !== 'a' && type !== 'c' && type !== 'b' && type !== '') throw new ConfigError(`${p}.type`, `${JSON.stringify(type)} is not a, c or b`);
    const access = optString(d, 'access', p) ?? '';
    if (!/^[rwm]+$/.test(access)) throw new ConfigError(`${p}.access`, access === '' ? 'cannot be empty' : `${JSON.stringify(access)} is not a combination of r, w and m`);
    const number = (key: 'major' | 'minor'): number | undefined =>
      (d[key] === undefined || d[key] === null ? undefined : Number(asInteger(d[key], `${p}.${key}`, -1n, 0xffff_ffffn)));
    const major = number('major');
    const minor = number('minor');
    return { allow, type: type === '' ? 'a' : type, ...(major === undefined ? {} : { major }), ...(minor === undefined ? {} : { minor }), access };
  });
}

/**
 * linux.resources (`l` holds it under `resources`) → the limits ct applies (devices: the config's own rules only);
 * keys the runtime-spec does not define go to `notes`.
 */
export function readResources(l: JsonObject, notes: string[]): CgroupResources | undefined {
  const r = optObject(l, 'resources', 'linux');
  if (r === undefined) return undefined;
  checkKeys(r, '', notes);
  const out: Mutable<CgroupResources> = {};
  const mem = optObject(r, 'memory', at);
  if (mem !== undefined) readMemory(mem, out, notes);
  const cpu = optObject(r, 'cpu', at);
  if (cpu !== undefined) {
    const quota = cpu['quota'] === undefined || cpu['quota'] === null ? undefined : asInteger(cpu['quota'], `${at}.cpu.quota`, -1n, i64 - 1n);
    const period = cpu['period'] === undefined || cpu['period'] === null ? undefined : asInteger(cpu['period'], `${at}.cpu.period`, 0n, u64);
    if (quota !== undefined && quota > 0n) out.cpu = { quota: Number(quota), period: Number(period ?? 100_000n) };
    if (cpu['shares'] !== undefined && cpu['shares'] !== null) {
      const shares = Number(asInteger(cpu['shares'], `${at}.cpu.shares`, 0n, 262_144n));
      // 0 leaves the kernel's default, as runc
      if (shares > 0) out.cpuShares = shares;
    }
    checkKeys(cpu, 'cpu', notes);
  }
  const pids = optObject(r, 'pids', at);
  if (pids !== undefined && pids['limit'] !== undefined && pids['limit'] !== null) {
    const n = asInteger(pids['limit'], `${at}.pids.limit`, -1n, i64 - 1n);
    if (n > 0n) out.pids = Number(n);
  }
  const net = optObject(r, 'network', at);
  if (net !== undefined) {
    const network = readNetwork(net);
    if (network !== undefined && Object.keys(network).length > 0) out.network = network;
  }
  const devices = readDeviceRules(r);
  if (devices !== undefined) out.devices = devices;
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * The resources a container with a device cgroup gets (not rootless: runc programs none then): the config's device
 * rules (none: deny all) followed by runc's defaults (null, zero, full, tty, random, urandom, ptmx, pts, mknod),
 * a default whose node linux.devices also makes left to the config's rules, as runc builds the list.
 */
export function withDeviceDefaults(resources: CgroupResources | undefined, linux: ConfigLinux): CgroupResources {
  return { ...resources, devices: withDefaultDeviceRules(resources?.devices ?? [], linux.devices.map((d) => d.path)) };
}

/**
 * The device cgroup: as root the config's rules (none: every device denied) followed by runc's defaults; rootless none, as runc (v1 cannot be delegated, and a v2 device program needs privilege): the config's
 * rules are then noted and left out, so they do not make a cgroup of their own.
 */
export function withDeviceCgroup(config: BundleConfig, rootless: boolean, note: (message: string) => void): BundleConfig {
  const resources = config.confinement.resources;
  if (!rootless) return { ...config, confinement: { ...config.confinement, resources: withDeviceDefaults(resources, config.linux) } };
  if (resources?.devices === undefined) return config;
  note('linux.resources.devices: not applied rootless (no device cgroup, as runc)');
  const { devices: _devices, ...rest } = resources;
  return { ...config, confinement: { ...config.confinement, resources: Object.keys(rest).length === 0 ? undefined : rest } };
}
