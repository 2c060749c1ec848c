/**
 * PodCgroup on fake cgroup mounts (plain folders): the pod's path made in every mount with its missing parents,
 * children and pids found at any depth, and removal of only what it made, deepest first, with each refusal
 * reported. The cpuset copy needs the kernel (a new cgroup's files appear with it): test/integration.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodCgroup } from '../../src/index.js';

describe('PodCgroup', function () {
  let dir = '';
  let mounts: string[] = [];

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'ct-cri-cgroup-'));
    mounts = ['cpuset', 'memory'].map((m) => join(dir, m));
    for (const m of mounts) mkdirSync(m);
    writeFileSync(join(dir, 'cpuset', 'cpuset.cpus'), '0-1\n');
    writeFileSync(join(dir, 'cpuset', 'cpuset.mems'), '0\n');
    // A kernel's cpuset cgroup starts with the files, empty.
    const kernelLike = (path: string): void => {
      mkdirSync(path);
      writeFileSync(join(path, 'cpuset.cpus'), '');
      writeFileSync(join(path, 'cpuset.mems'), '');
    };
    mkdirSync(join(dir, 'memory', 'existing'));
    kernelLike(join(dir, 'cpuset', 'existing'));
    writeFileSync(join(dir, 'cpuset', 'existing', 'cpuset.cpus'), '1\n');
    writeFileSync(join(dir, 'cpuset', 'existing', 'cpuset.mems'), '0\n');
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('PodCgroup.create, the path in every mount, missing parents too; cpuset files are written only where they exist', function () {
    const pod = PodCgroup.create('/existing/pod-a', mounts);
    assert.deepEqual(pod.dirs(), mounts.map((m) => join(m, 'existing', 'pod-a')));
    assert.ok(pod.dirs().every((d) => existsSync(d)));
    assert.equal(existsSync(join(dir, 'cpuset', 'existing', 'pod-a', 'cpuset.cpus')), false);
    const deep = PodCgroup.create('/new/pod-b', mounts);
    assert.ok(existsSync(join(dir, 'memory', 'new', 'pod-b')));
    assert.deepEqual(deep.children(), []);
    assert.deepEqual(deep.remove(), []);
    assert.equal(existsSync(join(dir, 'memory', 'new')), false, 'the parent it made went too');
    assert.deepEqual(pod.remove(), []);
    assert.ok(existsSync(join(dir, 'memory', 'existing')), 'a cgroup it did not make stays');
  });

  it('PodCgroup, children and pids are found at any depth; remove reports what it cannot remove', function () {
    const pod = PodCgroup.create('/pods/p1', mounts);
    const container = join(dir, 'memory', 'pods', 'p1', 'c1');
    mkdirSync(container);
    writeFileSync(join(container, 'cgroup.procs'), '42\n7\n');
    writeFileSync(join(dir, 'memory', 'pods', 'p1', 'cgroup.procs'), '7\n');
    assert.deepEqual(pod.children(), [container]);
    assert.deepEqual(pod.pids(), [7, 42]);
    const refused = pod.remove();
    assert.ok(refused.some((e) => e.startsWith(join(dir, 'memory', 'pods', 'p1') + ':')), refused.join('\n'));
    assert.equal(existsSync(join(dir, 'cpuset', 'pods')), false, 'the other mount\'s dirs went');
    rmSync(join(dir, 'memory', 'pods'), { recursive: true });
  });

  it('PodCgroup.create, a relative path or one with .. is refused', function () {
    assert.throws(() => PodCgroup.create('pods/p', mounts), /an absolute path/);
    assert.throws(() => PodCgroup.create('/pods/../p', mounts), /without \.\./);
    assert.equal(readFileSync(join(dir, 'cpuset', 'cpuset.cpus'), 'utf8'), '0-1\n');
  });
});
