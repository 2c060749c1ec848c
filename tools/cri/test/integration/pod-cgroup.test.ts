/**
 * PodCgroup on the host's real cgroup mounts (root): the pod's cgroup appears in every hierarchy, a v1 cpuset
 * cgroup gets its parent's cpus and mems (so a task can join it), and removal leaves nothing.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import { PodCgroup, cgroupMounts } from '../../src/index.js';

describe('PodCgroup on the host\'s cgroups @root', function () {
  it('PodCgroup, made in every hierarchy with cpuset values copied down; a task can join; removed without a trace', function () {
    requireFeature(this, isRoot(), 'needs root');
    const mounts = cgroupMounts();
    requireFeature(this, mounts.length > 0, 'no cgroup mount');
    const path = `/ct-cri-test-${process.pid}/pod`;
    // Where this process is in the cpuset hierarchy, to go back there.
    const own = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.split(':')[1] === 'cpuset')?.split(':')[2] ?? '/';
    const pod = PodCgroup.create(path);
    try {
      assert.deepEqual(pod.dirs(), mounts.map((m) => join(m, path)));
      assert.ok(pod.dirs().every((d) => existsSync(d)));
      const cpuset = mounts.find((m) => existsSync(join(m, 'cpuset.cpus')));
      if (cpuset !== undefined && existsSync(join(cpuset, 'cgroup.clone_children'))) {
        for (const file of ['cpuset.cpus', 'cpuset.mems']) {
          assert.equal(readFileSync(join(cpuset, path, file), 'utf8'), readFileSync(join(cpuset, file), 'utf8'), file);
        }
        // Without cpus and mems the kernel refuses a task (ENOSPC): joining works.
        writeFileSync(join(cpuset, path, 'cgroup.procs'), String(process.pid));
        assert.deepEqual(pod.pids(), [process.pid]);
        writeFileSync(join(cpuset, own, 'cgroup.procs'), String(process.pid));
      }
    } finally {
      const refused = pod.remove();
      assert.deepEqual(refused, []);
    }
    assert.deepEqual(mounts.filter((m) => existsSync(join(m, `/ct-cri-test-${process.pid}`))), []);
  });
});
