import { strict as assert } from 'node:assert';
import { deviceRuleString } from '@ct/namespaces/engine';
import { readResources } from '../../src/config/config-confinement.js';
import { readDeviceRules, readMemoryTuning, readNetwork } from '../../src/config/config-resources-extra.js';
import type { JsonObject } from '../../src/config/json-fields.js';
import { ConfigError } from '../../src/errors.js';

const at = (jsonPath: string) => (e: unknown): boolean => e instanceof ConfigError && e.code === 'ECONFIG' && e.jsonPath === jsonPath;
const DEFAULTS = ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm'];

describe('linux.resources into CgroupResources: devices, network, memory tuning', () => {
  it('readDeviceRules, the config\'s rules in order (type a when empty, numbers any when absent), then runc\'s defaults', () => {
    const rules = readDeviceRules({ resources: { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, access: 'rw' }] } });
    assert.deepEqual(rules.slice(0, 2), [{ allow: false, type: 'a', access: 'rwm' }, { allow: true, type: 'c', major: 10, access: 'rw' }]);
    assert.deepEqual(rules.slice(2).map(deviceRuleString), DEFAULTS);
  });

  it('readDeviceRules, no linux.resources: runc\'s defaults alone (every other device refused)', () => {
    assert.deepEqual(readDeviceRules({}).map(deviceRuleString), DEFAULTS);
  });

  it('readDeviceRules, a default whose node linux.devices lists is left out (runc\'s createDevices)', () => {
    const rules = readDeviceRules({ devices: [{ path: '/dev/zero', type: 'c', major: 1, minor: 5 }] }).map(deviceRuleString);
    assert.ok(!rules.includes('c 1:5 rwm'));
    assert.equal(rules.length, DEFAULTS.length - 1);
  });

  it('readDeviceRules, an empty access, a bad type or number: a ConfigError naming the rule\'s field', () => {
    const dev = (d: JsonObject) => () => readDeviceRules({ resources: { devices: [{ allow: true, access: 'r' }, d] } });
    assert.throws(dev({ allow: true, access: '' }), at('linux.resources.devices[1].access'));
    assert.throws(dev({ allow: true, type: 'u', access: 'r' }), at('linux.resources.devices[1].type'));
    assert.throws(dev({ allow: true, type: 'c', major: -2, access: 'r' }), at('linux.resources.devices[1].major'));
    assert.throws(dev({ allow: 'yes', type: 'c', access: 'r' }), at('linux.resources.devices[1].allow'));
    assert.throws(dev({ allow: true, type: 'c', access: 'rx' }), at('linux.resources.devices[1].access'));
  });

  it('readNetwork, classID and priorities; a name that would smuggle a second entry is refused', () => {
    assert.deepEqual(readNetwork({ network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 3 }] } }),
      { classID: 1048577, priorities: [{ name: 'eth0', priority: 3 }] });
    assert.equal(readNetwork({ network: {} }), undefined);
    assert.throws(() => readNetwork({ network: { priorities: [{ name: 'lo 1\neth0', priority: 1 }] } }), at('linux.resources.network.priorities[0].name'));
    assert.throws(() => readNetwork({ network: { classID: 2 ** 32 } }), at('linux.resources.network.classID'));
  });

  it('readMemoryTuning, each field; a reservation of 0 is none; swappiness over 100 refused as runc refuses it', () => {
    assert.deepEqual(readMemoryTuning({
      reservation: 1 << 20, swappiness: 0, disableOOMKiller: true, kernel: -1, kernelTCP: 4096, useHierarchy: false, checkBeforeUpdate: true,
    }), {
      memoryReservation: 1n << 20n, memorySwappiness: 0, disableOOMKiller: true, kernelMemory: -1n, kernelTCPMemory: 4096n,
      memoryUseHierarchy: false, memoryCheckBeforeUpdate: true,
    });
    assert.deepEqual(readMemoryTuning({ reservation: 0 }), {});
    assert.throws(() => readMemoryTuning({ swappiness: 101 }), at('linux.resources.memory.swappiness'));
    assert.throws(() => readMemoryTuning({ disableOOMKiller: 1 }), at('linux.resources.memory.disableOOMKiller'));
  });

  it('readResources, the new fields are applied, not noted as ignored; devices present even without linux.resources', () => {
    const notes: string[] = [];
    const r = readResources({
      resources: { memory: { limit: 1 << 24, reservation: 1 << 23, swappiness: 5 }, network: { classID: 7 }, devices: [{ allow: false, access: 'rwm' }] },
    }, notes);
    assert.deepEqual(notes, []);
    assert.equal(r?.memoryReservation, 1n << 23n);
    assert.equal(r?.memorySwappiness, 5);
    assert.deepEqual(r?.network, { classID: 7 });
    assert.equal(r?.devices?.length, DEFAULTS.length + 1);
    assert.deepEqual(readResources({}, [])?.devices?.map(deviceRuleString), DEFAULTS);
  });
});
