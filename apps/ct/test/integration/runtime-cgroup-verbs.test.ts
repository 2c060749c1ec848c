/**
 * The cgroup verbs as root on cgroup v1: `pause`/`resume` (freezer: the status and the processes' state),
 * `update` (--pids-limit and --resources from stdin, seen in the cgroup and felt inside), `events --stats` (JSON
 * with pids and memory), `ps --format json` (the container's host pids), and the refusals.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import { specTemplate } from '@ct/runtime';
import { ctBin, makeBundleDir, readConfig, removeBundle, Runtime, writeConfig } from './runtime-harness.js';

type Json = Record<string, unknown>;

function procState(pid: number): string {
  return /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
}

/** The mounted v1 controller hierarchies (not the named systemd one, not the v2 mount). */
function v1Hierarchies(): string[] {
  return readdirSync('/sys/fs/cgroup').filter((h) => !h.startsWith('name=') && h !== 'systemd' && h !== 'unified'
    && existsSync(join('/sys/fs/cgroup', h, 'cgroup.procs')) && !existsSync(join('/sys/fs/cgroup', h, 'cgroup.controllers')))
    .filter((h) => !lstatSync(join('/sys/fs/cgroup', h)).isSymbolicLink());
}

/** The v1 cgroup directory of `pid` in the hierarchy holding `controller`. */
function v1Dir(pid: number, controller: string): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller));
  const hierarchy = line?.split(':')[1] ?? '';
  return join('/sys/fs/cgroup', hierarchy, line?.split(':')[2] ?? '');
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
      // the spec had no cpu limit: create made the cpu cgroup anyway (runc does; podman update --cpu-shares needs it)
      assert.equal(ct.run(['update', '--cpu-quota', '50000', '--cpu-shares', '512', id]).status, 0);
      const cpu = v1Dir(pids[0] ?? 0, 'cpu');
      assert.equal(readFileSync(join(cpu, 'cpu.cfs_quota_us'), 'utf8').trim(), '50000');
      assert.equal(readFileSync(join(cpu, 'cpu.shares'), 'utf8').trim(), '512');
      assert.equal(ct.run(['update', '--pids-limit', '-1', id]).status, 0);
      assert.equal(readFileSync(join(v1Dir(pids[0] ?? 0, 'pids'), 'pids.max'), 'utf8').trim(), 'max', '-1 lifts the limit');
      // every mounted hierarchy holds the container in its own directory, removed by delete
      const dirs = v1Hierarchies().map((h) => v1Dir(pids[0] ?? 0, h.split(',')[0] ?? ''));
      for (const dir of dirs) assert.match(dir, new RegExp(`/${id}$`), `${dir}: the container's own cgroup`);
      assert.equal(ct.run(['delete', '--force', id]).status, 0);
      for (const dir of dirs) assert.equal(existsSync(dir), false, `${dir} is removed`);
      assert.equal(ct.run(['pause', id]).status, 1);
    } finally {
      ct.cleanup([id]);
      removeBundle(bundle);
    }
  });
  it('events --stats, 64-bit values printed exactly (an unlimited v1 memory limit is runc\'s 9223372036854771712, not a float)', async function () {
    requireFeature(this, isRoot() && existsSync('/sys/fs/cgroup/memory/cgroup.procs'), 'needs root and the v1 memory hierarchy');
    const bundle = await makeBundleDir(join(tmpdir(), 'ct-cgverbs'));
    const ct = new Runtime('ct', mkdtempSync(join(tmpdir(), 'ct-cgverbs-')));
    const id = `ev64-${process.pid}`;
    try {
      writeConfig(bundle, ['sleep', '60'], specTemplate({}) as Json);
      assert.equal(ct.run(['run', '-d', '--bundle', bundle, id]).status, 0);
      const pid = Number(ct.state(id)?.['pid']);
      const limit = readFileSync(join(v1Dir(pid, 'memory'), 'memory.limit_in_bytes'), 'utf8').trim();
      assert.ok(BigInt(limit) > BigInt(Number.MAX_SAFE_INTEGER), `no limit: ${limit}`);
      const r = ct.run(['events', '--stats', id]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(/"memory":\{"usage":\{[^}]*"limit":(\d+)[,}]/.exec(r.stdout)?.[1], limit, r.stdout);
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
      // long enough for events to start on a loaded machine, short enough to end the stream soon
      writeConfig(bundle, ['sleep', '3'], specTemplate({}) as Json);
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

describe('ct ps and events by cgroup @root', () => {
  it('ps lists the processes of the container\'s cgroup: exec\'d ones, and one placed there from outside', async function () {
    requireFeature(this, isRoot() && existsSync('/sys/fs/cgroup/pids/cgroup.procs'), 'needs root and the v1 pids hierarchy');
    const bundle = await makeBundleDir(join(tmpdir(), 'ct-cgverbs'));
    const ct = new Runtime('ct', mkdtempSync(join(tmpdir(), 'ct-cgverbs-')));
    const id = `psc-${process.pid}`;
    const outsider = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      writeConfig(bundle, ['sleep', '60'], specTemplate({}) as Json);
      assert.equal(ct.run(['run', '-d', '--bundle', bundle, id]).status, 0);
      const init = ct.state(id)?.['pid'] as number;
      const pidFile = join(bundle, 'exec.pid');
      assert.equal(ct.run(['exec', '-d', '--pid-file', pidFile, id, 'sleep', '60']).status, 0);
      const execed = Number(readFileSync(pidFile, 'utf8'));
      // a host process (another pid namespace) moved into the container's cgroup is the container's for ps, as runc
      writeFileSync(join(v1Dir(init, 'pids'), 'cgroup.procs'), String(outsider.pid));
      const pids = (JSON.parse(ct.run(['ps', '--format', 'json', id]).stdout) as number[]).sort();
      assert.deepEqual(pids, [init, execed, outsider.pid ?? 0].sort());
      // the table is runc's: the host's `ps -ef` (or the options after the id) cut to those pids, header first
      const table = ct.run(['ps', id]);
      assert.equal(table.status, 0, table.stderr);
      const [header, ...rows] = table.stdout.trimEnd().split('\n');
      assert.match(header ?? '', /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
      assert.deepEqual(rows.map((l) => Number(l.trim().split(/\s+/)[1])).sort(), [init, execed, outsider.pid ?? 0].sort());
      const own = ct.run(['ps', id, '-o', 'pid,comm']);
      assert.equal(own.status, 0, own.stderr);
      assert.deepEqual(own.stdout.trimEnd().split('\n').map((l) => l.trim().split(/\s+/)), [['PID', 'COMMAND'], ...[init, execed, outsider.pid ?? 0].sort((a, b) => a - b).map((p) => [String(p), 'sleep'])]);
      const noPid = ct.run(['ps', id, '-o', 'comm']);
      assert.equal(noPid.status, 1);
      assert.match(noPid.stderr, /no PID column/);
      assert.equal(ct.run(['delete', '--force', id]).status, 0);
    } finally {
      outsider.kill('SIGKILL');
      ct.cleanup([id]);
      removeBundle(bundle);
    }
  });
  it('ps in a container sharing the host pid namespace: its cgroup\'s processes, not the host\'s; /proc from config.json', async function () {
    requireFeature(this, isRoot() && existsSync('/sys/fs/cgroup/pids/cgroup.procs'), 'needs root and the v1 pids hierarchy');
    const bundle = await makeBundleDir(join(tmpdir(), 'ct-cgverbs'));
    const ct = new Runtime('ct', mkdtempSync(join(tmpdir(), 'ct-cgverbs-')));
    const id = `psh-${process.pid}`;
    try {
      const c = specTemplate({}) as Json;
      const l = c['linux'] as { namespaces: { type: string }[] };
      l.namespaces = l.namespaces.filter((n) => n.type !== 'pid');
      writeConfig(bundle, ['sh', '-c', 'sleep 60 & sleep 60 & wait'], c);
      const r = ct.run(['run', '-d', '--bundle', bundle, id]);
      assert.equal(r.status, 0, r.stderr);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const pids = JSON.parse(ct.run(['ps', '--format', 'json', id]).stdout) as number[];
      assert.equal(pids.length, 3, `sh and two sleeps, not the host's processes: ${JSON.stringify(pids)}`);
      assert.ok(pids.includes(ct.state(id)?.['pid'] as number), 'the init is listed');
      // the host's pid namespace seen inside: our own pid is there
      const e = ct.run(['exec', id, 'sh', '-c', `test -d /proc/${process.pid} && echo host-pids`]);
      assert.equal(e.stdout.trim(), 'host-pids', e.stderr);
    } finally {
      ct.cleanup([id]);
      removeBundle(bundle);
    }
  });
  it('events reports an oom event when the memory limit kills a process', async function () {
    requireFeature(this, isRoot() && existsSync('/sys/fs/cgroup/memory/cgroup.procs'), 'needs root and the v1 memory hierarchy');
    const bundle = await makeBundleDir(join(tmpdir(), 'ct-cgverbs'));
    const ct = new Runtime('ct', mkdtempSync(join(tmpdir(), 'ct-cgverbs-')));
    const id = `oom-${process.pid}`;
    try {
      const args = ['sh', '-c', 'sleep 1; x=$(busybox tr "\\0" x < /dev/zero); echo survived'];
      const c = specTemplate({}) as Json;
      (c['linux'] as Json)['resources'] = { memory: { limit: 32 << 20, swap: 32 << 20 } };
      writeConfig(bundle, args, c);
      assert.equal(ct.run(['run', '-d', '--bundle', bundle, id]).status, 0);
      const r = ct.run(['events', '--interval', '5s', id], { timeoutMs: 30_000 });
      assert.equal(r.status, 0, r.stderr);
      const events = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; id: string });
      assert.deepEqual(events.filter((e) => e.type === 'oom'), [{ type: 'oom', id }], r.stdout);
      assert.equal(events[0]?.type, 'stats', 'a stats line first');
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
      assert.match(r.stderr, /pause: container .* has no cgroup/);
      assert.equal(ct.state(id)?.['status'], 'running');
    } finally {
      ct.cleanup([id]);
      removeBundle(bundle);
    }
  });
});
