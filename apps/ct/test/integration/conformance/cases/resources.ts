/**
 * Cases for `linux.resources`: the device cgroup, memory, pids, cpu, blockIO, hugepages, network (net_cls,
 * net_prio), unified. As root, the container's cgroup is its own (`/<id>`): the probe reads the limits through
 * the cgroup mount. Rootless on cgroup v1 nothing can be set: the rootless cases check the refusal.
 */
import type { Config, ConformanceCase } from '../case-types.js';

type Resources = NonNullable<Config['linux']['resources']>;

function resourceCase(variant: string, resources: Resources, extra: Partial<ConformanceCase> = {}): ConformanceCase {
  return {
    field: `linux.resources.${Object.keys(resources)[0] ?? ''}`, variant, only: 'root', ...extra,
    edit: (c) => { c.linux.resources = { ...(c.linux.resources ?? {}), ...resources }; },
  };
}

export const RESOURCE_CASES: readonly ConformanceCase[] = [
  resourceCase('allow c 10:229 rwm after deny all', { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' }] }),
  resourceCase('deny all, nothing allowed (defaults only)', { devices: [{ allow: false, access: 'rwm' }] }),
  resourceCase('allow all', { devices: [{ allow: true, access: 'rwm' }] }),
  resourceCase('deny c 1:3 w only', { devices: [{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }] }),
  { field: 'linux.resources.devices', variant: 'absent', only: 'root', edit: (c) => { delete c.linux.resources; } },
  resourceCase('limit 64 MiB', { memory: { limit: 67108864 } }),
  resourceCase('reservation 32 MiB', { memory: { reservation: 33554432 } }),
  resourceCase('limit and swap', { memory: { limit: 67108864, swap: 134217728 } }),
  resourceCase('swappiness 10', { memory: { swappiness: 10 } }),
  resourceCase('disableOOMKiller', { memory: { limit: 67108864, disableOOMKiller: true } }),
  resourceCase('kernel (kmem, gone from this kernel)', { memory: { kernel: 67108864 } }),
  resourceCase('kernelTCP', { memory: { kernelTCP: 67108864 } }, {
    spec: { because: 'runc 1.1.5 ignores memory.kernelTCP; the runtime-spec sets it (memory.kmem.tcp.limit_in_bytes on v1)', values: { 'report.cgroupFiles["memory/memory.kmem.tcp.limit_in_bytes"]': '67108864' } },
  }),
  resourceCase('useHierarchy', { memory: { useHierarchy: true } }),
  resourceCase('limit 64', { pids: { limit: 64 } }),
  resourceCase('shares 512', { cpu: { shares: 512 } }),
  resourceCase('quota 50000 period 100000', { cpu: { quota: 50000, period: 100000 } }),
  resourceCase('cpus 0 mems 0', { cpu: { cpus: '0', mems: '0' } }),
  resourceCase('realtimeRuntime', { cpu: { realtimeRuntime: 1000, realtimePeriod: 1000000 } }),
  resourceCase('idle', { cpu: { idle: 1 } }, {
    spec: {
      because: 'config-linux.md: idle 1 makes the cgroup SCHED_IDLE (the kernel then shows cpu.shares 3); runc 1.1.5 writes cpu.idle on cgroup v2 only, though this v1 kernel has it',
      values: { 'report.cgroupFiles["cpu/cpu.idle"]': '1', 'report.cgroupFiles["cpu/cpu.shares"]': '3' },
    },
  }),
  resourceCase('weight 500', { blockIO: { weight: 500 } }),
  resourceCase('throttleReadBpsDevice', { blockIO: { throttleReadBpsDevice: [{ major: 7, minor: 0, rate: 1048576 }] } }),
  resourceCase('2MB limit (hugetlb not mounted)', { hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }] }),
  resourceCase('classID (net_cls not mounted)', { network: { classID: 1048577 } }),
  resourceCase('priorities (net_prio not mounted)', { network: { priorities: [{ name: 'lo', priority: 5 }] } }),
  resourceCase('memory.max on cgroup v1', { unified: { 'memory.max': '67108864' } }),
  resourceCase('memory limit, rootless on cgroup v1', { memory: { limit: 67108864 } }, { only: 'rootless' }),
  resourceCase('pids limit, rootless on cgroup v1', { pids: { limit: 64 } }, { only: 'rootless' }),
];
