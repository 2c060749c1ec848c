/**
 * cgroups on this machine's kernel: v1 as root (pids limit refuses fork, memory limit kills, cpu files written,
 * the cgroup placed before the cgroup namespace and removed on exit), and an unprivileged caller without
 * delegation: no limits, one warning.
 */
import { strict as assert } from 'node:assert';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { isRoot, requireFeature } from '@ct/test-utils';
import { detectCgroupVersion, runContainer } from '../../src/index.js';
import { guardContainers, probe, runCaptured, sh, toolSpec } from './helpers.js';

const v1Ready = (): boolean => detectCgroupVersion('/sys/fs/cgroup') === 'v1'
  && ['pids', 'memory', 'cpu'].every((c) => existsSync(`/sys/fs/cgroup/${c}/cgroup.procs`));

describe('cgroups v1 @root', function () {
  before(function () {
    guardContainers(this);
    requireFeature(this, isRoot() && v1Ready(), 'root and cgroup v1 pids/memory/cpu hierarchies');
  });

  it('runContainer, pids limit 5 refuses the fifth fork with EAGAIN', async () => {
    const r = await runCaptured(toolSpec(probe('fork-count', '10'), { cgroup: { resources: { pids: 5 } } }));
    assert.equal(r.stdout, '4 EAGAIN\n');
    assert.equal(r.status, 1);
  });

  it('runContainer, without a pids limit the same forks succeed', async () => {
    const r = await runCaptured(toolSpec(probe('fork-count', '10')));
    assert.equal(r.stdout, '10\n');
  });

  it('runContainer, a 32 MiB memory limit kills a growing shell (137)', async function () {
    this.timeout(60000);
    const r = await runCaptured(toolSpec(sh('x=$(tr "\\0" x < /dev/zero); echo survived'), {
      populate: [{ op: 'symlink', target: '/bin/busybox', path: '/bin/tr' }],
      cgroup: { resources: { memory: 32n << 20n, memorySwap: 32n << 20n } },
    }));
    assert.equal(r.status, 137);
    assert.equal(r.stdout, '');
  });

  it('runContainer, limits are written, the process placed, the cgroup ns rooted there, then removed', async () => {
    const devnull = openSync('/dev/null', 'w');
    // A process that stays (the check of cgroup.procs would race with a quick exit), killed once checked.
    const handle = await runContainer(toolSpec(probe('sleep', '30'), {
      consoleTty: null, stdio: [devnull, devnull, 2],
      cgroup: { name: `ct-test-${process.pid}`, resources: { pids: 50, memory: 64n << 20n, cpu: { quota: 50000, period: 100000 }, cpuShares: 512 } },
    }), { beforeExec: () => undefined });
    const cg = handle.cgroup;
    assert.ok(cg !== undefined);
    assert.equal(cg.version, 'v1');
    const dir = (ctrl: string): string => cg.paths.find((p) => p.includes(`/${ctrl}/`)) ?? '';
    assert.equal(readFileSync(`${dir('pids')}/pids.max`, 'utf8').trim(), '50');
    assert.equal(readFileSync(`${dir('memory')}/memory.limit_in_bytes`, 'utf8').trim(), String(64 << 20));
    assert.equal(readFileSync(`${dir('cpu')}/cpu.cfs_quota_us`, 'utf8').trim(), '50000');
    assert.equal(readFileSync(`${dir('cpu')}/cpu.shares`, 'utf8').trim(), '512');
    assert.ok(readFileSync(`${dir('pids')}/cgroup.procs`, 'utf8').split('\n').includes(String(handle.pid)));
    handle.kill('SIGKILL');
    await handle.wait();
    closeSync(devnull);
    for (const path of cg.paths) assert.equal(existsSync(path), false, path);
  });

  it('runContainer, the cgroup namespace is rooted at the container cgroup', async () => {
    const r = await runCaptured(toolSpec(probe('cat', '/proc/self/cgroup'), { cgroup: { resources: { pids: 20 } } }));
    const pids = r.stdout.split('\n').find((l) => /:pids:/.test(l));
    assert.equal(pids?.split(':')[2], '/');
  });
});

describe('cgroups, unprivileged without delegation @rootless @nonroot', function () {
  before(function () {
    guardContainers(this);
    requireFeature(this, !isRoot() && v1Ready(), 'an unprivileged caller on cgroup v1');
  });

  it('runContainer, no limits and exactly one warning', async () => {
    const warnings: string[] = [];
    const r = await runCaptured(toolSpec(probe('fork-count', '10'), { cgroup: { resources: { pids: 5 } } }), { warn: (m) => warnings.push(m) });
    assert.equal(r.stdout, '10\n');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^cgroup: no resource limits/);
  });
});
