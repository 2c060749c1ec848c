/**
 * The cgroup verbs as root on cgroup v1: `pause`/`resume` (freezer: the status and the processes' state),
 * `update` (--pids-limit and --resources from stdin, seen in the cgroup and felt inside), `events --stats` (JSON
 * with pids and memory), `ps --format json` (the container's host pids), and the refusals.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import { specTemplate } from '@ct/runtime';
import { ctBin, makeBundleDir, readConfig, removeBundle, Runtime, writeConfig } from './runtime-harness.js';

type Json = Record<string, unknown>;

function procState(pid: number): string {
  return /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
}

describe('ct pause, resume, update, events, ps @root', () => {
  it('pause/resume freeze and thaw every process; update changes limits; events --stats and ps report them', async function () {
    requireFeature(this, isRoot() && existsSync('/sys/fs/cgroup/freezer/cgroup.procs') && existsSync('/sys/fs/cgroup/pids/cgroup.procs'),
      'needs root and the v1 freezer and pids hierarchies');
    const bundle = await makeBundleDir(join(tmpdir(), 'ct-cgverbs'));
    const root = mkdtempSync(join(tmpdir(), 'ct-cgverbs-'));
    const ct = new Runtime('ct', root);
    const id = `cgv-${process.pid}`;
    try {
      const args = ['sh', '-c', 'sleep 60 & sleep 60 & wait'];
      writeConfig(bundle, args, specTemplate({}) as Json);
      const c = readConfig(bundle);
      (c['linux'] as Json)['resources'] = { pids: { limit: 50 }, memory: { limit: 128 << 20 } };
      writeConfig(bundle, args, c);
      assert.equal(ct.run(['run', '-d', '--bundle', bundle, id]).status, 0);
      await new Promise((r) => setTimeout(r, 300));
      const pids = JSON.parse(ct.run(['ps', '--format', 'json', id]).stdout) as number[];
      assert.equal(pids.length, 3, `sh and two sleeps: ${JSON.stringify(pids)}`);
      assert.equal(ct.run(['pause', id]).status, 0);
      assert.equal(ct.state(id)?.['status'], 'paused');
      for (const pid of pids) assert.equal(procState(pid), 'D', `pid ${pid} frozen`);
      assert.equal(ct.run(['pause', id]).status, 1, 'pausing twice is refused');
      assert.equal(ct.run(['resume', id]).status, 0);
      assert.equal(ct.state(id)?.['status'], 'running');
      for (const pid of pids) assert.equal(procState(pid), 'S', `pid ${pid} thawed`);
      // update: a flag, and a LinuxResources document on stdin
      assert.equal(ct.run(['update', '--pids-limit', '3', id]).status, 0);
      let stats = JSON.parse(ct.run(['events', '--stats', id]).stdout) as { type: string; data: { pids: { current: number; limit: number }; memory: { usage: { limit: number } } } };
      assert.equal(stats.type, 'stats');
      assert.equal(stats.data.pids.limit, 3);
      assert.equal(stats.data.pids.current, 3);
      assert.equal(stats.data.memory.usage.limit, 128 << 20);
      const r = spawnSync(process.execPath, [ctBin, '--root', root, 'update', '--resources', '-', id], {
        input: JSON.stringify({ memory: { limit: 96 << 20 }, pids: { limit: 10 } }), encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      stats = JSON.parse(ct.run(['events', '--stats', id]).stdout) as typeof stats;
      assert.equal(stats.data.memory.usage.limit, 96 << 20);
      assert.equal(stats.data.pids.limit, 10);
      assert.equal(ct.run(['update', '--cpu-quota', '50000', id]).status, 1, 'no cpu cgroup: refused, naming it');
      const freezer = readFileSync(`/proc/${pids[0]}/cgroup`, 'utf8').split('\n').find((l) => l.includes(':freezer:'))?.split(':')[2] ?? '';
      assert.equal(ct.run(['delete', '--force', id]).status, 0);
      assert.equal(existsSync(join('/sys/fs/cgroup/freezer', freezer)), false, 'the freezer cgroup is removed');
      assert.equal(ct.run(['pause', id]).status, 1);
    } finally {
      ct.cleanup([id]);
      removeBundle(bundle);
    }
  });
  it('events --interval, a stats line per interval until the container stops', async function () {
    requireFeature(this, isRoot(), 'needs root');
    const bundle = await makeBundleDir(join(tmpdir(), 'ct-cgverbs'));
    const ct = new Runtime('ct', mkdtempSync(join(tmpdir(), 'ct-cgverbs-')));
    const id = `ev-${process.pid}`;
    try {
      writeConfig(bundle, ['sleep', '1'], specTemplate({}) as Json);
      assert.equal(ct.run(['run', '-d', '--keep', '--bundle', bundle, id]).status, 0);
      const r = ct.run(['events', '--interval', '200ms', id]);
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: { pids: { current: number } } });
      assert.ok(lines.length >= 2, `several lines: ${r.stdout}`);
      assert.equal(lines[0]?.data.pids.current, 1);
    } finally {
      ct.cleanup([id]);
      removeBundle(bundle);
    }
  });
});

describe('ct pause unprivileged @nonroot', () => {
  it('pause, refused without a freezer the caller may use; the container keeps running', async function () {
    requireFeature(this, !isRoot(), 'runs in the unprivileged pass');
    const bundle = await makeBundleDir(join(tmpdir(), 'ct-cgverbs'));
    const ct = new Runtime('ct', mkdtempSync(join(tmpdir(), 'ct-cgverbs-')));
    const id = `pz-${process.pid}`;
    try {
      writeConfig(bundle, ['sleep', '30'], specTemplate({ rootless: true, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }) as Json);
      assert.equal(ct.run(['run', '-d', '--bundle', bundle, id]).status, 0);
      const r = ct.run(['pause', id]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /pause: .*(freezer|permission denied)/);
      assert.equal(ct.state(id)?.['status'], 'running');
    } finally {
      ct.cleanup([id]);
      removeBundle(bundle);
    }
  });
});
