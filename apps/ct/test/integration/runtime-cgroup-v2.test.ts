/**
 * The runtime on cgroup v2, against a fake cgroupfs the test builds (this machine's cgroups are v1): CT_CGROUP_ROOT
 * (test-only) points every verb at a directory laid out like a delegated unified hierarchy. Checked there: the
 * limits of linux.resources as v2 files (memory, swap, pids, cpu, cpuset, io.max, hugetlb, unified), the controllers enabled in the parent, the init placed; `ps` from
 * cgroup.procs; `update` (flags, -1 as max); `pause`/`resume` through cgroup.freeze, with the test playing the
 * kernel's part (cgroup.events `frozen`); `events --stats` from the v2 stat files; an `oom` event when memory.events'
 * oom_kill rises; `delete` removes the cgroup. The processes themselves are not limited (the files are plain files).
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import { specTemplate } from '@ct/runtime';
import { ctBin, makeBundleDir, readConfig, removeBundle, Runtime, writeConfig } from './runtime-harness.js';

type Json = Record<string, unknown>;

/** Our own cgroup v2 path (the `0::` line), below which ct makes the container's. */
function ownV2Path(): string {
  return /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
}

/** A fake delegated unified hierarchy: the parent lists the controllers, none enabled yet. */
function fakeCgroupfs(): { root: string; parent: string } {
  const root = mkdtempSync(join(tmpdir(), 'ct-fake-cgroup2-'));
  const parent = join(root, ownV2Path());
  mkdirSync(parent, { recursive: true });
  for (const dir of new Set([root, parent])) {
    writeFileSync(join(dir, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids\n');
    writeFileSync(join(dir, 'cgroup.subtree_control'), '');
    writeFileSync(join(dir, 'cgroup.procs'), '');
  }
  return { root, parent };
}

function ctAsync(root: string, args: readonly string[], onOutput?: () => void): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ctBin, '--root', root, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); onOutput?.(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Play the kernel: cgroup.events' `frozen` follows cgroup.freeze (after a short delay, as a real freeze takes). */
function kernelFreezer(dir: string): () => void {
  const timer = setInterval(() => {
    const want = existsSync(join(dir, 'cgroup.freeze')) ? readFileSync(join(dir, 'cgroup.freeze'), 'utf8').trim() : '0';
    // atomically (a reader must never see the file empty, as it never would on cgroupfs)
    writeFileSync(join(dir, 'cgroup.events.tmp'), `populated 1\nfrozen ${want === '1' ? 1 : 0}\n`);
    renameSync(join(dir, 'cgroup.events.tmp'), join(dir, 'cgroup.events'));
  }, 30);
  return () => clearInterval(timer);
}

const read = (dir: string, file: string): string => readFileSync(join(dir, file), 'utf8').trim();

describe('ct on cgroup v2 (fake cgroupfs) @root', () => {
  it('resources, ps, update, pause/resume, events --stats, oom events and delete on a v2 hierarchy', async function () {
    requireFeature(this, isRoot(), 'needs root (the container itself is real)');
    const fake = fakeCgroupfs();
    const bundle = await makeBundleDir(join(tmpdir(), 'ct-cgv2'));
    const stateRoot = mkdtempSync(join(tmpdir(), 'ct-cgv2-'));
    const ct = new Runtime('ct', stateRoot);
    const id = `v2-${process.pid}`;
    const saved = process.env['CT_CGROUP_ROOT'];
    process.env['CT_CGROUP_ROOT'] = fake.root;
    try {
      writeConfig(bundle, ['sleep', '60'], specTemplate({}) as Json);
      const c = readConfig(bundle);
      (c['linux'] as Json)['resources'] = {
        memory: { limit: 64 << 20, swap: 96 << 20 }, pids: { limit: 20 }, cpu: { quota: 50000, period: 100000, shares: 1024, cpus: '0', mems: '0' },
        blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 << 20 }], throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 100 }] },
        hugepageLimits: [{ pageSize: '2MB', limit: 1 << 22 }], unified: { 'memory.high': String(48 << 20) },
      };
      writeConfig(bundle, ['sleep', '60'], c);
      let r = ct.run(['run', '-d', '--bundle', bundle, id]);
      assert.equal(r.status, 0, r.stderr);
      const dir = join(fake.parent, id);
      const init = ct.state(id)?.['pid'] as number;
      // linux.resources as v2 files; controllers enabled for the child; the init placed
      assert.equal(read(dir, 'memory.max'), String(64 << 20));
      assert.equal(read(dir, 'memory.swap.max'), String(32 << 20), 'swap.max is swap - memory');
      assert.equal(read(dir, 'pids.max'), '20');
      assert.equal(read(dir, 'cpu.max'), '50000 100000');
      assert.equal(read(dir, 'cpu.weight'), '39', 'runc\'s shares → weight conversion of 1024');
      // cpuset, blockIO (io.max, one write per rule: the kernel merges them), hugepageLimits, unified
      assert.equal(read(dir, 'cpuset.cpus'), '0');
      assert.equal(read(dir, 'cpuset.mems'), '0');
      assert.equal(read(dir, 'io.max'), '8:0 wiops=100', 'the last io.max write');
      assert.equal(read(dir, 'hugetlb.2MB.max'), String(1 << 22));
      assert.equal(read(dir, 'memory.high'), String(48 << 20));
      assert.match(read(fake.parent, 'cgroup.subtree_control'), /\+io/);
      assert.equal(read(dir, 'cgroup.procs'), String(init));
      assert.deepEqual(JSON.parse(ct.run(['ps', '--format', 'json', id]).stdout), [init], 'ps reads cgroup.procs');
      // update: flags, and -1 as max
      r = ct.run(['update', '--memory', String(32 << 20), '--pids-limit', '5', '--cpu-quota', '-1', id]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(read(dir, 'memory.max'), String(32 << 20));
      assert.equal(read(dir, 'pids.max'), '5');
      assert.equal(read(dir, 'cpu.max'), 'max 100000');
      // pause/resume through cgroup.freeze; the status follows cgroup.events
      const stop = kernelFreezer(dir);
      try {
        r = await ctAsync(stateRoot, ['pause', id]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(read(dir, 'cgroup.freeze'), '1');
        assert.equal(ct.state(id)?.['status'], 'paused');
        r = await ctAsync(stateRoot, ['resume', id]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(read(dir, 'cgroup.freeze'), '0');
        assert.equal(ct.state(id)?.['status'], 'running');
      } finally {
        stop();
      }
      // events --stats from the v2 stat files
      writeFileSync(join(dir, 'memory.current'), '12345\n');
      writeFileSync(join(dir, 'memory.peak'), '23456\n');
      writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 2\noom 0\noom_kill 0\n');
      writeFileSync(join(dir, 'pids.current'), '3\n');
      writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 5000\nuser_usec 4000\nsystem_usec 1000\n');
      const stats = JSON.parse(ct.run(['events', '--stats', id]).stdout) as { data: Json };
      assert.deepEqual(stats.data, {
        cpu: { usage: { total: 5_000_000 } },
        memory: { usage: { usage: 12345, limit: 32 << 20, max: 23456, failcnt: 2 } },
        pids: { current: 3, limit: 5 },
      });
      // an oom event when oom_kill rises; the stream ends when the container stops
      // the first stats line comes after events read the count it compares with
      let firstLine: () => void = () => undefined;
      const started = new Promise<void>((resolve) => { firstLine = resolve; });
      const events = ctAsync(stateRoot, ['events', '--interval', '10s', id], () => firstLine());
      await started;
      writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
      await new Promise((resolve) => setTimeout(resolve, 800));
      assert.equal(ct.run(['kill', id, 'KILL']).status, 0);
      const out = await events;
      assert.equal(out.status, 0, out.stderr);
      const types = out.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { type: string }).type);
      assert.deepEqual(types, ['stats', 'oom'], out.stdout);
      assert.equal(ct.run(['delete', id]).status, 0);
      assert.equal(existsSync(dir), false, 'delete removes the cgroup');
    } finally {
      if (saved === undefined) delete process.env['CT_CGROUP_ROOT'];
      else process.env['CT_CGROUP_ROOT'] = saved;
      ct.cleanup([id]);
      removeBundle(bundle);
      rmSync(fake.root, { recursive: true, force: true });
    }
  });
});
