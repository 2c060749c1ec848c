/**
 * The cgroup state functions against fake cgroupfs roots the tests build: freeze/thaw waiting for the kernel's
 * answer (a fake whose "kernel" flips cgroup.events / freezer.state later), statistics and OOM-kill counts from
 * v1 and v2 files, update writing each limit where it belongs, openContainerCgroup from recorded paths, and v1
 * creation with freezer, every mounted hierarchy and a cpuset copied from the parent.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CgroupError, type CgroupFs, cgroupFreezeState, createContainerCgroup, freezeCgroup, NODE_CGROUP_FS, openContainerCgroup,
  readCgroupStats, readOomKills, thawCgroup, updateCgroup,
} from '../../src/index.js';

const FAKE_FS: CgroupFs = { ...NODE_CGROUP_FS, rmdir: (path) => rmSync(path, { recursive: true }), killTask: (pid) => { throw new Error(`test: a fake cgroupfs would SIGKILL host pid ${pid}`); } };

/** A fake whose kernel answers a freezer write `delayMs` later (v2 cgroup.events, v1 FREEZING then FROZEN). */
function lateKernel(delayMs: number, answer = true): CgroupFs {
  return {
    ...FAKE_FS,
    write(path, data) {
      writeFileSync(path, data);
      if (!answer) return;
      if (path.endsWith('cgroup.freeze')) {
        setTimeout(() => writeFileSync(join(path, '..', 'cgroup.events'), `populated 1\nfrozen ${data}\n`), delayMs);
      } else if (path.endsWith('freezer.state')) {
        if (data !== 'FROZEN') return;
        writeFileSync(path, 'FREEZING');
        setTimeout(() => writeFileSync(path, data), delayMs);
      }
    },
  };
}

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'ct-cgstate-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

describe('cgroup state (fake cgroupfs)', () => {
  const roots: string[] = [];
  afterEach(() => { for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true }); });
  const v2 = (files: Record<string, string>): string => {
    const root = tree({ 'cgroup.controllers': 'cpu memory pids', 'box/cgroup.procs': '', ...files });
    roots.push(root);
    return root;
  };

  it('freezeCgroup v2, writes cgroup.freeze and resolves only once cgroup.events says frozen 1', async () => {
    const root = v2({ 'box/cgroup.freeze': '0', 'box/cgroup.events': 'populated 1\nfrozen 0\n' });
    const cg = openContainerCgroup([join(root, 'box')], { cgroupRoot: root, cgroupFs: lateKernel(60) });
    const started = Date.now();
    await freezeCgroup(cg);
    assert.ok(Date.now() - started >= 50, 'waited for the kernel');
    assert.equal(readFileSync(join(root, 'box/cgroup.freeze'), 'utf8'), '1');
    assert.equal(cgroupFreezeState(cg), 'frozen');
    await thawCgroup(cg);
    assert.equal(readFileSync(join(root, 'box/cgroup.freeze'), 'utf8'), '0');
    assert.equal(cgroupFreezeState(cg), 'thawed');
  });

  it('freezeCgroup v2, a kernel that never answers: CgroupError at the timeout, and thawed again', async () => {
    const root = v2({ 'box/cgroup.freeze': '0', 'box/cgroup.events': 'populated 1\nfrozen 0\n' });
    const cg = openContainerCgroup([join(root, 'box')], { cgroupRoot: root, cgroupFs: lateKernel(0, false) });
    await assert.rejects(freezeCgroup(cg, { timeoutMs: 80 }), (e: unknown) => e instanceof CgroupError && e.path === join(root, 'box'));
    assert.equal(readFileSync(join(root, 'box/cgroup.freeze'), 'utf8'), '0');
  });

  it('freezeCgroup v1, FREEZING is waited out; a cgroup without a freezer directory is refused', async () => {
    const root = tree({ 'freezer/cgroup.procs': '', 'freezer/c/freezer.state': 'THAWED', 'pids/cgroup.procs': '', 'pids/c/pids.max': 'max' });
    roots.push(root);
    const cg = openContainerCgroup([join(root, 'freezer/c'), join(root, 'pids/c')], { cgroupRoot: root, cgroupFs: lateKernel(40) });
    assert.equal(cg.version, 'v1');
    const freezing = freezeCgroup(cg);
    assert.equal(cgroupFreezeState(cg), 'freezing');
    await freezing;
    assert.equal(readFileSync(join(root, 'freezer/c/freezer.state'), 'utf8'), 'FROZEN');
    await thawCgroup(cg);
    assert.equal(cgroupFreezeState(cg), 'thawed');
    const noFreezer = openContainerCgroup([join(root, 'pids/c')], { cgroupRoot: root, cgroupFs: FAKE_FS });
    await assert.rejects(freezeCgroup(noFreezer), CgroupError);
  });

  it('readCgroupStats v2, memory, pids and cpu from their files; readOomKills from memory.events', () => {
    const root = v2({
      'box/memory.current': '1048576\n', 'box/memory.max': 'max\n', 'box/memory.peak': '2097152\n',
      'box/memory.events': 'low 0\nhigh 0\nmax 7\noom 2\noom_kill 1\n', 'box/pids.current': '3\n', 'box/pids.max': '40\n',
      'box/cpu.stat': 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n',
    });
    const cg = openContainerCgroup([join(root, 'box')], { cgroupRoot: root });
    assert.deepEqual(readCgroupStats(cg), {
      memory: { usage: 1048576n, limit: undefined, maxUsage: 2097152n, failcnt: 7n },
      pids: { current: 3n, limit: 40n },
      cpu: { usageNs: 1_500_000n },
    });
    assert.equal(readOomKills(cg), 1n);
  });

  it('readCgroupStats v1, each controller from its hierarchy; absent ones left out; oom_kill from memory.oom_control', () => {
    const root = tree({
      'memory/cgroup.procs': '', 'memory/c/memory.usage_in_bytes': '4096\n', 'memory/c/memory.limit_in_bytes': '33554432\n',
      'memory/c/memory.max_usage_in_bytes': '8192\n', 'memory/c/memory.failcnt': '5\n',
      'memory/c/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n',
      'cpu,cpuacct/cgroup.procs': '', 'cpu,cpuacct/c/cpuacct.usage': '123456789\n',
    });
    roots.push(root);
    const cg = openContainerCgroup([join(root, 'memory/c'), join(root, 'cpu,cpuacct/c')], { cgroupRoot: root, cgroupVersion: 'v1' });
    assert.deepEqual(readCgroupStats(cg), {
      memory: { usage: 4096n, limit: 33554432n, maxUsage: 8192n, failcnt: 5n },
      cpu: { usageNs: 123456789n },
    });
    assert.equal(readOomKills(cg), 3n);
    assert.equal(readOomKills(openContainerCgroup([join(root, 'cpu,cpuacct/c')], { cgroupRoot: root, cgroupVersion: 'v1' })), undefined);
  });

  it('readCgroupStats v1, swap (memsw), kernel (kmem) and kernelTCP (kmem.tcp) as runc reports them', () => {
    const entry = (prefix: string, usage: number): Record<string, string> => ({
      [`memory/c/${prefix}.usage_in_bytes`]: `${usage}\n`, [`memory/c/${prefix}.limit_in_bytes`]: `${usage * 4}\n`,
      [`memory/c/${prefix}.max_usage_in_bytes`]: `${usage * 2}\n`, [`memory/c/${prefix}.failcnt`]: '1\n',
    });
    const root = tree({
      'memory/cgroup.procs': '', ...entry('memory', 4096), ...entry('memory.memsw', 8192), ...entry('memory.kmem', 512), ...entry('memory.kmem.tcp', 64),
    });
    roots.push(root);
    const mem = readCgroupStats(openContainerCgroup([join(root, 'memory/c')], { cgroupRoot: root, cgroupVersion: 'v1' })).memory;
    assert.deepEqual(mem?.swap, { usage: 8192n, limit: 32768n, maxUsage: 16384n, failcnt: 1n });
    assert.deepEqual(mem?.kernel, { usage: 512n, limit: 2048n, maxUsage: 1024n, failcnt: 1n });
    assert.deepEqual(mem?.kernelTCP, { usage: 64n, limit: 256n, maxUsage: 128n, failcnt: 1n });
  });

  it('readCgroupStats v2, swap reported as memory+swap (runc\'s v1-compatible sum)', () => {
    const root = v2({
      'box/memory.current': '1000\n', 'box/memory.max': '4000\n', 'box/memory.swap.current': '300\n', 'box/memory.swap.max': '2000\n',
      'box/memory.swap.events': 'high 0\nmax 2\nfail 0\n',
    });
    const mem = readCgroupStats(openContainerCgroup([join(root, 'box')], { cgroupRoot: root })).memory;
    assert.deepEqual(mem?.swap, { usage: 1300n, limit: 6000n, maxUsage: undefined, failcnt: 2n });
    assert.equal(mem?.kernel, undefined);
  });

  it('updateCgroup v1, writes each limit in its controller\'s directory; a controller without one is a CgroupError', () => {
    const root = tree({
      'pids/cgroup.procs': '', 'pids/c/pids.max': '10', 'memory/cgroup.procs': '', 'memory/c/memory.limit_in_bytes': '1',
      'memory/c/memory.memsw.limit_in_bytes': '16777216',
    });
    roots.push(root);
    const writes: string[] = [];
    const fs: CgroupFs = { ...FAKE_FS, write: (p, d) => { writes.push(`${p.slice(root.length + 1)}=${d}`); writeFileSync(p, d); } };
    const cg = openContainerCgroup([join(root, 'pids/c'), join(root, 'memory/c')], { cgroupRoot: root, cgroupVersion: 'v1', cgroupFs: fs });
    updateCgroup(cg, { pids: 20, memory: 32n << 20n, memorySwap: 64n << 20n });
    // memory+swap first: the new memory limit is above the current memsw limit.
    assert.deepEqual(writes, ['pids/c/pids.max=20', 'memory/c/memory.memsw.limit_in_bytes=67108864', 'memory/c/memory.limit_in_bytes=33554432']);
    assert.throws(() => updateCgroup(cg, { cpuShares: 512 }), (e: unknown) => e instanceof CgroupError && /no cpu cgroup/.test(e.message));
  });

  it('updateCgroup v2, the v2 files', () => {
    const root = v2({});
    const cg = openContainerCgroup([join(root, 'box')], { cgroupRoot: root });
    updateCgroup(cg, { pids: 9, cpu: { quota: 25000, period: 100000 } });
    assert.equal(readFileSync(join(root, 'box/pids.max'), 'utf8'), '9');
    assert.equal(readFileSync(join(root, 'box/cpu.max'), 'utf8'), '25000 100000');
  });

  it('openContainerCgroup, a path outside the root or two v2 paths are refused', () => {
    const root = v2({});
    assert.throws(() => openContainerCgroup(['/elsewhere/box'], { cgroupRoot: root }), CgroupError);
    assert.throws(() => openContainerCgroup([join(root, 'a'), join(root, 'b')], { cgroupRoot: root }), CgroupError);
  });

  it('createContainerCgroup v1, freezer: true adds the freezer directory; allControllers every mounted hierarchy and the hybrid v2 mount', () => {
    const root = tree({
      'pids/cgroup.procs': '', 'freezer/cgroup.procs': '', 'cpu,cpuacct/cgroup.procs': '', 'cpuset/cgroup.procs': '',
      'cpuset/cpuset.cpus': '0-1\n', 'cpuset/cpuset.mems': '0\n', 'unified/cgroup.procs': '', 'unified/cgroup.controllers': '',
    });
    roots.push(root);
    // The kernel's new cpuset cgroup: empty cpus and mems.
    const fs: CgroupFs = {
      ...FAKE_FS,
      mkdir: (p) => {
        mkdirSync(p);
        if (p.includes('/cpuset/')) { writeFileSync(join(p, 'cpuset.cpus'), '\n'); writeFileSync(join(p, 'cpuset.mems'), '\n'); }
      },
    };
    const opts = { cgroupRoot: root, cgroupVersion: 'v1' as const, ownCgroups: new Map<string, string>(), cgroupFs: fs };
    const frz = createContainerCgroup({ name: 'f', resources: { pids: 4 }, freezer: true }, 0, () => undefined, opts);
    assert.deepEqual(frz?.paths, [join(root, 'pids/f'), join(root, 'freezer/f')]);
    assert.equal(frz?.dirOf('freezer'), join(root, 'freezer/f'));
    const all = createContainerCgroup({ name: 'a', resources: { cpuShares: 512 }, allControllers: true }, 0, () => undefined, opts);
    assert.deepEqual(all?.paths, ['cpu,cpuacct', 'cpuset', 'freezer', 'pids', 'unified'].map((h) => join(root, h, 'a')));
    assert.equal(readFileSync(join(root, 'cpu,cpuacct/a/cpu.shares'), 'utf8'), '512');
    assert.equal(readFileSync(join(root, 'cpuset/a/cpuset.cpus'), 'utf8'), '0-1\n');
    assert.equal(readFileSync(join(root, 'cpuset/a/cpuset.mems'), 'utf8'), '0\n');
    assert.equal(existsSync(join(root, 'unified/a')), true, 'the v2 mount of a hybrid host too, as runc');
    assert.equal(existsSync(join(root, 'unified/f')), false, 'but not without allControllers');
  });

  it('createContainerCgroup v1, allControllers without a hierarchy for a limit is a CgroupError', () => {
    const root = tree({ 'pids/cgroup.procs': '' });
    roots.push(root);
    assert.throws(() => createContainerCgroup({ name: 'x', resources: { memory: 1n << 24n }, allControllers: true }, 0, () => undefined, {
      cgroupRoot: root, cgroupVersion: 'v1', ownCgroups: new Map(), cgroupFs: FAKE_FS,
    }), CgroupError);
    assert.equal(existsSync(join(root, 'pids/x')), false, 'nothing left behind');
  });
});
