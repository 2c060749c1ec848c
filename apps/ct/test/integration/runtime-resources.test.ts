/**
 * linux.resources and linux.cgroupsPath through `ct create`/`ct run` as root on cgroup v1: a pids limit felt from
 * inside (fork fails), the memory limit in the container's cgroup, the cgroup named from cgroupsPath and removed
 * by `delete`, an absolute cgroupsPath nested from each hierarchy's root with the parents ct made removed by delete; a
 * cgroup that cannot be made fails create (every container needs its device cgroup); unprivileged, the container
 * runs without limits (one warning in the debug log).
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature, tempDir } from '@ct/test-utils';
import { specTemplate } from '@ct/runtime';
import { ciUser, makeBundleDir, readConfig, removeBundle, Runtime, writeConfig } from './runtime-harness.js';

type Json = Record<string, unknown>;

const forkMany = 'i=0; while [ $i -lt 8 ]; do sleep 2 & i=$((i+1)); done; wait';

async function bundleWith(args: string[], resources: Json, cgroupsPath: string, owner?: { uid: number; gid: number }): Promise<string> {
  const bundle = await makeBundleDir(join(tmpdir(), 'ct-resources'), owner);
  const ids = owner ?? { uid: 0, gid: 0 };
  writeConfig(bundle, args, specTemplate({ rootless: owner !== undefined, uid: ids.uid, gid: ids.gid }) as Json);
  const c = readConfig(bundle);
  const l = c['linux'] as Json;
  l['resources'] = resources;
  l['cgroupsPath'] = cgroupsPath;
  writeConfig(bundle, args, c);
  return bundle;
}

/** The v1 cgroup of `pid` for `controller`, as a host path. */
function cgroupDir(pid: number, controller: string): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller));
  assert.ok(line !== undefined, `no ${controller} line in /proc/${pid}/cgroup`);
  return join('/sys/fs/cgroup', controller, line.split(':')[2] ?? '');
}

describe('ct resources on cgroup v1 @root', () => {
  it('run, a pids limit: the ninth fork fails inside', async function () {
    requireFeature(this, isRoot() && existsSync('/sys/fs/cgroup/pids/cgroup.procs'), 'needs root and the v1 pids hierarchy');
    const bundle = await bundleWith(['sh', '-c', forkMany], { pids: { limit: 4 } }, `/ct-test/pids-${process.pid}`);
    try {
      const ct = new Runtime('ct', tempDir('ct-res-'));
      const r = ct.run(['run', '--bundle', bundle, `pids-${process.pid}`]);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /can't fork/);
    } finally {
      removeBundle(bundle);
    }
  });
  it('create, memory and pids limits in the cgroup named from cgroupsPath; delete removes it', async function () {
    requireFeature(this, isRoot() && existsSync('/sys/fs/cgroup/memory/cgroup.procs'), 'needs root and the v1 memory hierarchy');
    const id = `mem-${process.pid}`;
    const bundle = await bundleWith(['sleep', '30'], { memory: { limit: 64 << 20 }, pids: { limit: 20 } }, `system.slice:ct:${id}`);
    const ct = new Runtime('ct', tempDir('ct-res-'));
    try {
      const r = ct.run(['create', '--bundle', bundle, id]);
      assert.equal(r.status, 0, r.stderr);
      const pid = ct.state(id)?.['pid'] as number;
      const mem = cgroupDir(pid, 'memory');
      const pids = cgroupDir(pid, 'pids');
      assert.ok(mem.endsWith(`/ct-${id}`), mem);
      assert.equal(readFileSync(join(mem, 'memory.limit_in_bytes'), 'utf8').trim(), String(64 << 20));
      assert.equal(readFileSync(join(pids, 'pids.max'), 'utf8').trim(), '20');
      // an exec'd process joins the container's cgroups
      const e = ct.run(['exec', id, 'cat', '/proc/self/cgroup']);
      assert.equal(e.status, 0, e.stderr);
      assert.match(e.stdout, new RegExp(`^\\d+:pids:.*/ct-${id}$`, 'm'), e.stdout);
      assert.match(e.stdout, new RegExp(`^\\d+:memory:.*/ct-${id}$`, 'm'), e.stdout);
      assert.equal(ct.run(['delete', '--force', id]).status, 0);
      assert.equal(existsSync(mem), false, 'the memory cgroup is gone');
      assert.equal(existsSync(pids), false, 'the pids cgroup is gone');
    } finally {
      ct.cleanup([id]);
      removeBundle(bundle);
    }
  });
});

describe('ct cgroupsPath nested on cgroup v1 @root', () => {
  it('create, an absolute cgroupsPath from each hierarchy\'s root; delete removes the parents it made, not others', async function () {
    requireFeature(this, isRoot() && existsSync('/sys/fs/cgroup/pids/cgroup.procs') && existsSync('/sys/fs/cgroup/memory/cgroup.procs'), 'needs root and the v1 pids and memory hierarchies');
    const id = `nest-${process.pid}`;
    const top = `cttest-${process.pid}`;
    // made beforehand in the memory hierarchy: found, not made by ct, so delete leaves it
    mkdirSync(`/sys/fs/cgroup/memory/${top}`);
    const bundle = await bundleWith(['sleep', '30'], { pids: { limit: 12 } }, `/${top}/a/b`);
    const ct = new Runtime('ct', tempDir('ct-res-'));
    try {
      const r = ct.run(['create', '--bundle', bundle, id]);
      assert.equal(r.status, 0, r.stderr);
      const pid = ct.state(id)?.['pid'] as number;
      assert.equal(cgroupDir(pid, 'pids'), `/sys/fs/cgroup/pids/${top}/a/b`);
      assert.equal(cgroupDir(pid, 'memory'), `/sys/fs/cgroup/memory/${top}/a/b`);
      assert.equal(readFileSync(`/sys/fs/cgroup/pids/${top}/a/b/pids.max`, 'utf8').trim(), '12');
      if (existsSync('/sys/fs/cgroup/cpuset/cgroup.procs')) {
        // the new cpuset parents got cpus and mems copied down (else placing the init fails with ENOSPC)
        assert.equal(cgroupDir(pid, 'cpuset'), `/sys/fs/cgroup/cpuset/${top}/a/b`);
        assert.notEqual(readFileSync(`/sys/fs/cgroup/cpuset/${top}/a/cpuset.cpus`, 'utf8').trim(), '');
      }
      assert.equal(ct.run(['delete', '--force', id]).status, 0);
      assert.equal(existsSync(`/sys/fs/cgroup/pids/${top}`), false, 'the pids parents ct made are gone');
      assert.equal(existsSync(`/sys/fs/cgroup/memory/${top}/a`), false, 'the memory parent ct made is gone');
      assert.equal(existsSync(`/sys/fs/cgroup/memory/${top}`), true, 'the memory parent made before ct is kept');
    } finally {
      ct.cleanup([id]);
      removeBundle(bundle);
      for (const h of ['pids', 'memory', 'cpuset', 'freezer']) {
        for (const d of [`${top}/a/b`, `${top}/a`, top]) {
          try {
            rmdirSync(`/sys/fs/cgroup/${h}/${d}`);
          } catch {
            // not there (the usual case)
          }
        }
      }
    }
  });
});

describe('ct cgroup mount on cgroup v1 @root', () => {
  it('run, a cgroup mount shows the container\'s own cgroups: pids.max is its limit, every hierarchy, read-only', async function () {
    requireFeature(this, isRoot() && existsSync('/sys/fs/cgroup/pids/cgroup.procs'), 'needs root and the v1 pids hierarchy');
    const script = 'cat /sys/fs/cgroup/pids/pids.max; cat /sys/fs/cgroup/pids/cgroup.procs; ls /sys/fs/cgroup; '
      + 'echo 5 > /sys/fs/cgroup/pids/pids.max || echo refused';
    const bundle = await bundleWith(['sh', '-c', script], { pids: { limit: 17 } }, '');
    const c = readConfig(bundle);
    // runc's spec template (ours too) has this mount already: replaced by one of our own
    c['mounts'] = [...(c['mounts'] as Json[]).filter((m) => m['destination'] !== '/sys/fs/cgroup'), { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] }];
    writeConfig(bundle, ['sh', '-c', script], c);
    try {
      const ct = new Runtime('ct', tempDir('ct-res-'));
      const r = ct.run(['run', '--bundle', bundle, `cgmount-${process.pid}`]);
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.split('\n');
      assert.equal(lines[0], '17', r.stdout + r.stderr);
      assert.equal(lines[1], '1', 'only the container\'s init (pid 1 in its namespace) is in its pids cgroup');
      assert.ok(lines.includes('pids') && lines.includes('memory'), r.stdout);
      // a combined hierarchy (cpu,cpuacct on most hosts) also gets a link per controller (unit test: cgroupMountParts)
      assert.ok(lines.includes('cpu') && lines.includes('cpuacct'), r.stdout);
      assert.match(r.stdout, /refused\n$/, 'the cgroup directories are read-only');
    } finally {
      removeBundle(bundle);
    }
  });
});

/** The major:minor of the first disk in /proc/partitions (a real device for blkio rules). */
function firstDisk(): { major: number; minor: number } | undefined {
  const m = /^\s*(\d+)\s+(\d+)\s+\d+\s+\S+$/m.exec(readFileSync('/proc/partitions', 'utf8'));
  return m === null ? undefined : { major: Number(m[1]), minor: Number(m[2]) };
}

describe('ct resources beyond memory, cpu and pids on cgroup v1 @root', () => {
  it('run, cpuset cpus seen inside, a blkio throttle in the cgroup; hugepageLimits without hugetlb and unified refused', async function () {
    const disk = firstDisk();
    requireFeature(this, isRoot() && existsSync('/sys/fs/cgroup/cpuset/cgroup.procs') && existsSync('/sys/fs/cgroup/blkio/cgroup.procs') && disk !== undefined,
      'needs root, the v1 cpuset and blkio hierarchies and a disk');
    const id = `xres-${process.pid}`;
    const cpu = readFileSync('/sys/fs/cgroup/cpuset/cpuset.effective_cpus', 'utf8').trim().split(/[-,]/).pop() ?? '0';
    const rule = { major: disk?.major ?? 0, minor: disk?.minor ?? 0, rate: 1 << 20 };
    const bundle = await bundleWith(['sh', '-c', 'grep Cpus_allowed_list /proc/self/status; cat /proc/self/cgroup'],
      { cpu: { cpus: cpu }, blockIO: { throttleReadBpsDevice: [rule] } }, '');
    const ct = new Runtime('ct', tempDir('ct-res-'));
    try {
      let r = ct.run(['run', '--keep', '--bundle', bundle, id]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Cpus_allowed_list:\\s+${cpu}$`, 'm'), r.stdout);
      const blkio = /^\d+:blkio:(.*)$/m.exec(r.stdout)?.[1] ?? '';
      assert.match(readFileSync(join('/sys/fs/cgroup/blkio', blkio, 'blkio.throttle.read_bps_device'), 'utf8'), new RegExp(`^${rule.major}:${rule.minor} ${rule.rate}$`, 'm'));
      assert.equal(ct.run(['delete', id]).status, 0);
      const c = readConfig(bundle);
      const resources = (c['linux'] as Json)['resources'] as Json;
      // no hugetlb hierarchy mounted here: refused, naming the controller (and nothing left behind)
      const hugetlb = existsSync('/sys/fs/cgroup/hugetlb/cgroup.procs');
      writeConfig(bundle, ['true'], { ...c, linux: { ...(c['linux'] as Json), resources: { ...resources, hugepageLimits: [{ pageSize: '2MB', limit: 1 << 21 }] } } });
      r = ct.run(['run', '--bundle', bundle, id]);
      if (!hugetlb) {
        assert.equal(r.status, 1);
        assert.match(r.stderr, /hugetlb/);
        assert.equal(existsSync(`/sys/fs/cgroup/cpuset/${id}`), false, 'the cgroup is removed');
      }
      writeConfig(bundle, ['true'], { ...c, linux: { ...(c['linux'] as Json), resources: { ...resources, unified: { 'memory.high': '1000000' } } } });
      r = ct.run(['run', '--bundle', bundle, id]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /linux\.resources\.unified/);
    } finally {
      ct.cleanup([id]);
      removeBundle(bundle);
    }
  });
});

describe('ct cgroup that cannot be made @root', () => {
  it('create fails, naming the cgroup: with limits, and without linux.resources too (the device cgroup, as runc)', async function () {
    requireFeature(this, isRoot(), 'needs root');
    // a fake v1 cgroupfs (CT_CGROUP_ROOT, test-only) whose pids and devices directories for the container are
    // dangling symlinks
    const root = tempDir('ct-fake-cgroup1-');
    const id = `nocg-${process.pid}`;
    for (const h of ['pids', 'devices']) {
      const own = new RegExp(`^\\d+:${h}:(.*)$`, 'm').exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
      mkdirSync(join(root, h, own), { recursive: true });
      writeFileSync(join(root, h, 'cgroup.procs'), '');
      symlinkSync('/nonexistent', join(root, h, own, id));
    }
    const saved = process.env['CT_CGROUP_ROOT'];
    process.env['CT_CGROUP_ROOT'] = root;
    const ct = new Runtime('ct', tempDir('ct-res-'));
    let bundle = await bundleWith(['sh', '-c', 'echo ran'], {}, '');
    try {
      const c = readConfig(bundle);
      delete (c['linux'] as Json)['resources'];
      writeConfig(bundle, ['sh', '-c', 'echo ran'], c);
      // every container gets a device cgroup (runc's default rules at least): no devices hierarchy, no container
      let r = ct.run(['run', '--bundle', bundle, id]);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`/${id}`), 'the error names the cgroup');
      removeBundle(bundle);
      bundle = await bundleWith(['sh', '-c', 'echo ran'], { pids: { limit: 10 } }, '');
      r = ct.run(['run', '--bundle', bundle, id]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, new RegExp(`/${id}`), 'the error names the cgroup');
    } finally {
      if (saved === undefined) delete process.env['CT_CGROUP_ROOT'];
      else process.env['CT_CGROUP_ROOT'] = saved;
      ct.cleanup([id]);
      removeBundle(bundle);
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('ct resources unprivileged @rootless', () => {
  it('run, a limit that cannot be applied (cgroup v1: no delegation) is refused naming the field, as runc; nothing runs', async function () {
    const user = ciUser();
    requireFeature(this, !isRoot() || user !== undefined, 'needs the ctci user');
    const owner = isRoot() ? user : undefined;
    const bundle = await bundleWith(['sh', '-c', 'echo ran'], { pids: { limit: 4 } }, '', owner ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });
    try {
      const ct = isRoot() ? new Runtime('ct', `/tmp/ct-res-ctci-${process.pid}`, user) : new Runtime('ct', tempDir('ct-res-'));
      const r = ct.run(['run', '--bundle', bundle, `res-${process.pid}`]);
      if (existsSync('/sys/fs/cgroup/cgroup.controllers')) {
        // v2: the namespaces driver uses a delegated subtree, or runs the container without one (a warning)
        assert.equal(r.status, 0, r.stderr);
        return;
      }
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /linux\.resources\.pids: rootless on cgroup v1/);
      assert.equal(ct.run(['state', `res-${process.pid}`]).status, 1, 'no container left');
    } finally {
      removeBundle(bundle);
      rmSync(`/tmp/ct-res-ctci-${process.pid}`, { recursive: true, force: true });
    }
  });
});
