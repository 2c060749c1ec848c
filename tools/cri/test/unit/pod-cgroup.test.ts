/**
 * PodCgroup on fake cgroup mounts (plain folders): the pod's path made in every mount with its missing parents,
 * children and pids found at any depth, and removal of only what it made, deepest first, with each refusal
 * reported. The cpuset copy needs the kernel (a new cgroup's files appear with it): test/integration.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodCgroup, pidAlive, removeCgroupTree, removeStaleCgroupRoots } from '../../src/index.js';

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

  it('removeCgroupTree, the root and every cgroup below it in each mount, deepest first, also those no PodCgroup made', function () {
    PodCgroup.create('/ct-cri-1/pod-a', mounts);
    // a runtime's container cgroup below the pod, and a directory in a mount the pod was not made in
    mkdirSync(join(dir, 'memory', 'ct-cri-1', 'pod-a', 'ctr', 'deeper'), { recursive: true });
    const late = join(dir, 'net_cls');
    mkdirSync(join(late, 'ct-cri-1', 'pod-a'), { recursive: true });
    assert.deepEqual(removeCgroupTree('/ct-cri-1', [...mounts, late]), []);
    for (const m of [...mounts, late]) assert.equal(existsSync(join(m, 'ct-cri-1')), false, m);
    assert.ok(existsSync(join(dir, 'memory', 'existing')), 'a neighbour stays');
    assert.throws(() => removeCgroupTree('/', mounts), /below the root/);
  });

  it('removeCgroupTree, a cgroup that refuses (tasks: here a file, as rmdir sees it) is reported, its siblings go', function () {
    mkdirSync(join(dir, 'memory', 'ct-cri-2', 'busy'), { recursive: true });
    mkdirSync(join(dir, 'memory', 'ct-cri-2', 'idle'));
    writeFileSync(join(dir, 'memory', 'ct-cri-2', 'busy', 'task'), '');
    const errors = removeCgroupTree('/ct-cri-2', mounts);
    assert.deepEqual(errors.map((e) => e.replace(/: \w+$/, '')), [join(dir, 'memory', 'ct-cri-2', 'busy'), join(dir, 'memory', 'ct-cri-2')]);
    assert.equal(existsSync(join(dir, 'memory', 'ct-cri-2', 'idle')), false);
    rmSync(join(dir, 'memory', 'ct-cri-2'), { recursive: true });
  });

  it('removeStaleCgroupRoots, the roots of runs whose pid is gone, in every mount; a live run\'s and other names stay', function () {
    for (const m of mounts) {
      mkdirSync(join(m, 'ct-cri-111', 'pod'), { recursive: true });
      mkdirSync(join(m, 'ct-cri-222'));
    }
    mkdirSync(join(dir, 'memory', 'ct-cri-x'));
    mkdirSync(join(dir, 'memory', 'ct-cri-harness-111'));
    const { removed, errors } = removeStaleCgroupRoots('ct-cri-', mounts, (pid) => pid === 222);
    assert.deepEqual({ removed, errors }, { removed: ['/ct-cri-111'], errors: [] });
    for (const m of mounts) {
      assert.equal(existsSync(join(m, 'ct-cri-111')), false, m);
      assert.ok(existsSync(join(m, 'ct-cri-222')), m);
    }
    assert.ok(existsSync(join(dir, 'memory', 'ct-cri-x')) && existsSync(join(dir, 'memory', 'ct-cri-harness-111')));
  });

  it('pidAlive, this process is, a pid past pid_max is not', function () {
    assert.equal(pidAlive(process.pid), true);
    assert.equal(pidAlive(2 ** 22 + 1), false);
  });
});
