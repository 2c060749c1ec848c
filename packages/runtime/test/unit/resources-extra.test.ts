import { strict as assert } from 'node:assert';
import { extraResourceWrites, readExtraResources } from '../../src/config/config-resources-extra.js';
import { ConfigError } from '../../src/errors.js';

const at = (jsonPath: string) => (e: unknown): boolean => e instanceof ConfigError && e.code === 'ECONFIG' && e.jsonPath === jsonPath;

describe('linux.resources beyond CgroupResources', () => {
  const resources = {
    cpu: { cpus: '0-1', mems: '0', shares: 512 },
    blockIO: {
      weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 300 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }], throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 10 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
  };

  it('readExtraResources, none of the fields gives undefined', () => {
    assert.equal(readExtraResources({ resources: { memory: { limit: 1 << 20 }, cpu: { shares: 2 } } }), undefined);
    assert.equal(readExtraResources({}), undefined);
  });

  it('extraResourceWrites, v1: cpuset, blkio (weight alternatives, throttles), hugetlb, each naming its config.json field', () => {
    const x = readExtraResources({ resources });
    assert.ok(x !== undefined);
    assert.deepEqual(extraResourceWrites(x, 'v1'), [
      { controller: 'cpuset', candidates: [['cpuset.cpus', '0-1']], field: 'linux.resources.cpu.cpus' },
      { controller: 'cpuset', candidates: [['cpuset.mems', '0']], field: 'linux.resources.cpu.mems' },
      { controller: 'blkio', candidates: [['blkio.weight', '500'], ['blkio.bfq.weight', '500']], field: 'linux.resources.blockIO.weight' },
      { controller: 'blkio', candidates: [['blkio.weight_device', '8:0 300'], ['blkio.bfq.weight_device', '8:0 300']], field: 'linux.resources.blockIO.weightDevice' },
      { controller: 'blkio', candidates: [['blkio.throttle.read_bps_device', '8:0 1048576']], field: 'linux.resources.blockIO.throttleReadBpsDevice' },
      { controller: 'blkio', candidates: [['blkio.throttle.write_iops_device', '8:16 10']], field: 'linux.resources.blockIO.throttleWriteIOPSDevice' },
      { controller: 'hugetlb', candidates: [['hugetlb.2MB.limit_in_bytes', '4194304']], field: 'linux.resources.hugepageLimits' },
    ]);
  });

  it('extraResourceWrites, cpu realtime on v1 (the period before the runtime, as runc) and idle; realtime refused on v2', () => {
    const x = readExtraResources({ resources: { cpu: { realtimeRuntime: 1000, realtimePeriod: 1000000, idle: 1 } } });
    assert.ok(x !== undefined);
    assert.deepEqual(extraResourceWrites(x, 'v1').map(({ controller, candidates }) => ({ controller, candidates })), [
      { controller: 'cpu', candidates: [['cpu.idle', '1']] },
      { controller: 'cpu', candidates: [['cpu.rt_period_us', '1000000']] },
      { controller: 'cpu', candidates: [['cpu.rt_runtime_us', '1000']] },
    ]);
    assert.throws(() => extraResourceWrites(x, 'v2'), at('linux.resources.cpu.realtimeRuntime'));
    assert.deepEqual(extraResourceWrites(readExtraResources({ resources: { cpu: { idle: 0 } } })!, 'v2'), [{ controller: 'cpu', candidates: [['cpu.idle', '0']], field: 'linux.resources.cpu.idle' }]);
    assert.throws(() => readExtraResources({ resources: { cpu: { idle: 2 } } }), at('linux.resources.cpu.idle'));
  });

  it('extraResourceWrites, v2: io.bfq.weight or io.weight (runc\'s conversion), io.max, hugetlb.*.max, unified', () => {
    const x = readExtraResources({ resources: { ...resources, unified: { 'memory.high': '1000000' } } });
    assert.ok(x !== undefined);
    const writes = extraResourceWrites(x, 'v2');
    assert.deepEqual(writes.find((w) => w.candidates[0]?.[0] === 'io.bfq.weight'), {
      controller: 'io', candidates: [['io.bfq.weight', 'default 500'], ['io.weight', `default ${1 + Math.floor((490 * 9999) / 990)}`]],
      field: 'linux.resources.blockIO.weight',
    });
    assert.deepEqual(writes.filter((w) => w.candidates[0]?.[0] === 'io.max').map((w) => w.candidates[0]?.[1]), ['8:0 rbps=1048576', '8:16 wiops=10']);
    assert.ok(writes.some((w) => w.controller === 'hugetlb' && w.candidates[0]?.[0] === 'hugetlb.2MB.max'));
    assert.ok(writes.some((w) => w.controller === 'memory' && w.candidates[0]?.[0] === 'memory.high' && w.candidates[0][1] === '1000000'));
  });

  it('bad fields are ECONFIG naming them; unified on a v1 host is refused', () => {
    assert.throws(() => readExtraResources({ resources: { hugepageLimits: [{ pageSize: '2 MB', limit: 1 }] } }), at('linux.resources.hugepageLimits[0].pageSize'));
    assert.throws(() => readExtraResources({ resources: { blockIO: { weight: 5 } } }), at('linux.resources.blockIO.weight'));
    assert.throws(() => readExtraResources({ resources: { unified: { '../x': '1' } } }), at('linux.resources.unified.../x'));
    const x = readExtraResources({ resources: { unified: { 'memory.high': '1' } } });
    assert.ok(x !== undefined);
    assert.throws(() => extraResourceWrites(x, 'v1'), at('linux.resources.unified'));
  });
});
