import { strict as assert } from 'node:assert';
import { DEFAULT_DEVICE_RULES } from '@ct/namespaces/engine';
import { parseJson } from '@ct/oci/spec';
import { readResources, withDeviceCgroup } from '../../src/config/config-resources.js';
import type { BundleConfig } from '../../src/config/bundle-config.js';
import { ConfigError } from '../../src/errors.js';

type JsonObject = Parameters<typeof readResources>[0];

/** linux.resources from JSON text, read as config.json is (lossless). */
function read(resources: string): { r: ReturnType<typeof readResources>; notes: string[] } {
  const notes: string[] = [];
  return { r: readResources(parseJson(`{"resources":${resources}}`, 'config.json') as JsonObject, notes), notes };
}
const refusedAt = (jsonPath: string) => (e: unknown) => e instanceof ConfigError && e.jsonPath === jsonPath;

describe('config.json linux.resources', () => {
  it('readResources, every memory field: limit, swap, reservation, swappiness, disableOOMKiller, kernel, kernelTCP, useHierarchy, checkBeforeUpdate', () => {
    const { r, notes } = read(`{"memory": {"limit": 67108864, "swap": 134217728, "reservation": 33554432, "swappiness": 10,
      "disableOOMKiller": true, "kernel": 16777216, "kernelTCP": -1, "useHierarchy": true, "checkBeforeUpdate": false}}`);
    assert.deepEqual(r, {
      memory: 67108864n, memorySwap: 134217728n, memoryReservation: 33554432n, memorySwappiness: 10, disableOOMKiller: true,
      kernelMemory: 16777216n, kernelTCPMemory: -1n, memoryUseHierarchy: true, memoryCheckBeforeUpdate: false,
    });
    assert.deepEqual(notes, []);
  });
  it('readResources, memory as runc reads it: 0 leaves a setting alone, -1 limit is no limit, swappiness -1 or 2^64-1 is unset', () => {
    assert.equal(read('{"memory": {"limit": 0, "swap": -1, "reservation": 0, "kernel": 0, "swappiness": -1}}').r, undefined);
    assert.equal(read('{"memory": {"swappiness": 18446744073709551615}}').r, undefined);
    assert.throws(() => read('{"memory": {"swappiness": 101}}'), refusedAt('linux.resources.memory.swappiness'));
    assert.throws(() => read('{"memory": {"disableOOMKiller": 1}}'), refusedAt('linux.resources.memory.disableOOMKiller'));
  });
  it('readResources, network: classID and per-interface priorities in order', () => {
    assert.deepEqual(read('{"network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}, {"name": "lo", "priority": 1}]}}').r, {
      network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 500 }, { name: 'lo', priority: 1 }] },
    });
    assert.throws(() => read('{"network": {"priorities": [{"priority": 5}]}}'), refusedAt('linux.resources.network.priorities[0].name'));
  });
  it('readResources, devices as runc reads them: type a when missing, no major/minor is any, order kept', () => {
    const { r } = read(`{"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"},
      {"allow": true, "type": "b", "major": 8, "access": "r"}]}`);
    assert.deepEqual(r?.devices, [
      { allow: false, type: 'a', access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' },
      { allow: true, type: 'b', major: 8, access: 'r' },
    ]);
  });
  it('readResources, a device rule without access, with another type or without allow is ECONFIG naming it', () => {
    assert.throws(() => read('{"devices": [{"allow": true, "type": "c"}]}'), refusedAt('linux.resources.devices[0].access'));
    assert.throws(() => read('{"devices": [{"allow": true, "access": "rwm"}, {"allow": true, "type": "p", "access": "r"}]}'), refusedAt('linux.resources.devices[1].type'));
    assert.throws(() => read('{"devices": [{"access": "r"}]}'), refusedAt('linux.resources.devices[0].allow'));
    assert.throws(() => read('{"devices": [{"allow": true, "access": "rwx"}]}'), refusedAt('linux.resources.devices[0].access'));
  });
  it('readResources, what ct cannot apply is refused naming it: cpu burst, rdma', () => {
    for (const [json, at] of [
      ['{"cpu": {"burst": 1000}}', 'linux.resources.cpu.burst'],
      ['{"rdma": {"mlx5_1": {"hcaHandles": 3}}}', 'linux.resources.rdma'],
    ] as const) assert.throws(() => read(json), refusedAt(at), json);
  });
  it('readResources, keys the runtime-spec does not define are noted, not refused (runc ignores them)', () => {
    const { r, notes } = read('{"pids": {"limit": 10}, "frobnicate": {}, "memory": {"limit": 4194304, "extra": 1}}');
    assert.deepEqual(r, { pids: 10, memory: 4194304n });
    assert.deepEqual(notes, ['linux.resources.frobnicate: not a runtime-spec field, ignored', 'linux.resources.memory.extra: not a runtime-spec field, ignored']);
  });
  it('readResources, network: a priority whose interface name has blanks (a smuggled second ifpriomap line) is refused', () => {
    assert.deepEqual(read('{"network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 3}]}}').r,
      { network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 3 }] } });
    assert.throws(() => read('{"network": {"priorities": [{"name": "lo 1\\neth0", "priority": 1}]}}'), refusedAt('linux.resources.network.priorities[0].name'));
  });
  it('withDeviceCgroup, as root: the config\'s rules then runc\'s defaults (none given: deny all, then the defaults)', () => {
    const config = (resources: BundleConfig['confinement']['resources'], devices: string[] = []): BundleConfig =>
      ({ confinement: { resources }, linux: { devices: devices.map((path) => ({ path })) } }) as unknown as BundleConfig;
    const defaults = DEFAULT_DEVICE_RULES.map((d) => d.rule);
    assert.deepEqual(withDeviceCgroup(config(undefined), false, () => undefined).confinement.resources, { devices: defaults });
    const own = [{ allow: false, type: 'a' as const, access: 'rwm' }];
    assert.deepEqual(withDeviceCgroup(config({ pids: 5, devices: own }), false, () => undefined).confinement.resources, { pids: 5, devices: [...own, ...defaults] });
    // a node the config makes itself takes the default's place (its own rules must allow it)
    const nullRule = DEFAULT_DEVICE_RULES.find((d) => d.path === '/dev/null')?.rule;
    assert.equal(withDeviceCgroup(config({ devices: own }, ['/dev/null']), false, () => undefined).confinement.resources?.devices?.includes(nullRule!), false);
  });
  it('withDeviceCgroup, rootless: no device cgroup (as runc), the rules noted and dropped, the other limits kept', () => {
    const notes: string[] = [];
    const c = { confinement: { resources: { pids: 5, devices: [{ allow: false, type: 'a', access: 'rwm' }] } }, linux: { devices: [] } } as unknown as BundleConfig;
    assert.deepEqual(withDeviceCgroup(c, true, (m) => notes.push(m)).confinement.resources, { pids: 5 });
    assert.equal(notes.length, 1);
  });
});
