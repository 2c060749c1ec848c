/**
 * cgroups on this machine's kernel: v1 as root (pids limit refuses fork, memory limit kills, cpu files written,
 * the cgroup placed before the cgroup namespace and removed on exit), and an unprivileged caller without
 * delegation: no limits, one warning.
 */
import { strict as assert } from 'node:assert';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import {
  type CgroupSpec, cgroupFreezeState, type ContainerHandle, type ContainerSpec, detectCgroupVersion, freezeCgroup, mountedV1Hierarchies,
  NODE_CGROUP_FS, openContainerCgroup, readCgroupStats, readOomKills, runContainer, thawCgroup, updateCgroup,
} from '../../src/index.js';
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

describe('cgroups v1, freezer, stats, OOM kills, every hierarchy @root', function () {
  before(function () {
    guardContainers(this);
    requireFeature(this, isRoot() && v1Ready() && existsSync('/sys/fs/cgroup/freezer/cgroup.procs'), 'root and cgroup v1 with a freezer hierarchy');
  });
  const dirs: string[] = [];
  after(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  /** Start `script` with stdout in a host file; returns the handle and a reader of that file. */
  async function started(script: string, cgroup: CgroupSpec, extra: Partial<ContainerSpec> = {}): Promise<{ handle: ContainerHandle; output: () => string }> {
    const dir = mkdtempSync(join(tmpdir(), 'ct-cgv1-'));
    dirs.push(dir);
    const out = openSync(join(dir, 'out'), 'w+', 0o600);
    try {
      const handle = await runContainer(toolSpec(sh(script), { ...extra, consoleTty: null, stdio: [0, out, 2], cgroup }));
      return { handle, output: () => readFileSync(join(dir, 'out'), 'utf8') };
    } finally {
      closeSync(out);
    }
  }
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => { setTimeout(resolve, ms); });

  it('freezeCgroup, a frozen container makes no progress until thawed (freezer: true, reopened from its paths)', async function () {
    this.timeout(20000);
    const { handle, output } = await started('while :; do echo x; sleep 0.02; done', { resources: { pids: 20 }, freezer: true });
    try {
      assert.ok(handle.cgroup?.dirOf('freezer') !== undefined);
      const cg = openContainerCgroup(handle.cgroup.paths);
      await sleep(200);
      await freezeCgroup(cg);
      assert.equal(cgroupFreezeState(cg), 'frozen');
      assert.equal(readFileSync(join(cg.dirOf('freezer') ?? '', 'freezer.state'), 'utf8').trim(), 'FROZEN');
      const atFreeze = output().length;
      await sleep(300);
      assert.equal(output().length, atFreeze, 'no output while frozen');
      await thawCgroup(cg);
      await sleep(300);
      assert.ok(output().length > atFreeze, 'output again once thawed');
    } finally {
      handle.kill('SIGKILL');
      await handle.wait();
    }
  });

  it('killAll, a frozen container still dies and its cgroups go', async function () {
    this.timeout(20000);
    const { handle } = await started('sleep 30', { resources: {}, freezer: true });
    const cg = handle.cgroup;
    assert.ok(cg !== undefined);
    await freezeCgroup(cg);
    handle.kill('SIGKILL');
    cg.killAll();
    assert.equal((await handle.wait()).status, 137);
    for (const path of cg.paths) assert.equal(existsSync(path), false, path);
  });

  it('readCgroupStats, pids, memory and cpu of a running container', async function () {
    this.timeout(20000);
    const { handle } = await started('i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 30',
      // Every hierarchy: cpuacct is a hierarchy of its own here, apart from cpu.
      { resources: { pids: 30, memory: 64n << 20n, cpu: { quota: 100000, period: 100000 } }, allControllers: true });
    try {
      await sleep(500);
      const stats = readCgroupStats(openContainerCgroup(handle.cgroup?.paths ?? []));
      assert.equal(stats.pids?.limit, 30n);
      assert.ok((stats.pids?.current ?? 0n) >= 1n);
      assert.equal(stats.memory?.limit, 64n << 20n);
      assert.ok((stats.memory?.usage ?? 0n) > 0n);
      assert.ok((stats.cpu?.usageNs ?? 0n) > 1_000_000n, `cpu ${stats.cpu?.usageNs}`);
    } finally {
      handle.kill('SIGKILL');
      await handle.wait();
    }
  });

  it('readOomKills, counts the OOM kill of a subshell past a 32 MiB limit', async function () {
    this.timeout(60000);
    const { handle, output } = await started('(x=$(tr "\\0" x < /dev/zero)); echo done $?; sleep 30', {
      resources: { memory: 32n << 20n, memorySwap: 32n << 20n },
    }, { populate: [{ op: 'symlink', target: '/bin/busybox', path: '/bin/tr' }] });
    try {
      const cg = openContainerCgroup(handle.cgroup?.paths ?? []);
      assert.equal(readOomKills(cg), 0n, 'none yet (or the kernel counts none: Linux < 4.13)');
      for (let i = 0; i < 200 && !output().startsWith('done'); i++) await sleep(100);
      assert.match(output(), /^done 137/);
      assert.ok((readOomKills(cg) ?? 0n) >= 1n);
    } finally {
      handle.kill('SIGKILL');
      await handle.wait();
    }
  });

  it('allControllers, a directory in every mounted hierarchy (cpuset usable), the process in each; updateCgroup after', async function () {
    this.timeout(20000);
    const { handle } = await started('sleep 30', { resources: { pids: 10 }, allControllers: true });
    try {
      const cg = handle.cgroup;
      assert.ok(cg !== undefined);
      const hierarchies = mountedV1Hierarchies('/sys/fs/cgroup', NODE_CGROUP_FS);
      // and the hybrid layout's v2 mount, as runc
      const v2Beside = existsSync('/sys/fs/cgroup/unified/cgroup.controllers') ? ['unified'] : [];
      assert.deepEqual(cg.paths.map((p) => p.split('/')[4]), [...hierarchies, ...v2Beside]);
      for (const path of cg.paths) {
        assert.ok(readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').includes(String(handle.pid)), path);
      }
      updateCgroup(openContainerCgroup(cg.paths), { cpuShares: 256, pids: 12 });
      assert.equal(readFileSync(join(cg.dirOf('cpu') ?? '', 'cpu.shares'), 'utf8').trim(), '256');
      assert.equal(readFileSync(join(cg.dirOf('pids') ?? '', 'pids.max'), 'utf8').trim(), '12');
    } finally {
      handle.kill('SIGKILL');
      await handle.wait();
    }
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
