/** config.json's cgroup mount: the binds and links of the container's cgroup directories (cgroup-mount.ts). */
import { strict as assert } from 'node:assert';
import { cgroupMountParts, cgroupMountTmpfs } from '../../src/config/cgroup-mount.js';
import type { ConfigMount } from '../../src/config/config-mounts.js';
import { parseMountOptions } from '../../src/config/mount-options.js';

const mount = (options: string[]): ConfigMount => ({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: parseMountOptions(options) });

describe('cgroup mount', () => {
  it('cgroupMountParts v1, a bind per hierarchy named like the host\'s, links for combined ones, read-only from ro', () => {
    const root = '/sys/fs/cgroup';
    const parts = cgroupMountParts(mount(['nosuid', 'noexec', 'nodev', 'relatime', 'ro']), { version: 'v1', paths: [`${root}/cpu,cpuacct/default/c1`, `${root}/pids/default/c1`, `${root}/systemd/default/c1`] }, root);
    assert.deepEqual(parts.binds, [
      { type: 'bind', source: `${root}/cpu,cpuacct/default/c1`, target: '/sys/fs/cgroup/cpu,cpuacct', readOnly: true, recursive: false },
      { type: 'bind', source: `${root}/pids/default/c1`, target: '/sys/fs/cgroup/pids', readOnly: true, recursive: false },
      { type: 'bind', source: `${root}/systemd/default/c1`, target: '/sys/fs/cgroup/systemd', readOnly: true, recursive: false },
    ]);
    assert.deepEqual(parts.symlinks, [
      { op: 'symlink', target: 'cpu,cpuacct', path: '/sys/fs/cgroup/cpu' },
      { op: 'symlink', target: 'cpu,cpuacct', path: '/sys/fs/cgroup/cpuacct' },
    ]);
  });
  it('cgroupMountParts v2, the container\'s cgroup bound at the destination, writable without ro', () => {
    const parts = cgroupMountParts(mount(['nosuid']), { version: 'v2', paths: ['/fake/k8s/c1'] }, '/fake');
    assert.deepEqual(parts.binds, [{ type: 'bind', source: '/fake/k8s/c1', target: '/sys/fs/cgroup', readOnly: false, recursive: true }]);
    assert.deepEqual(parts.symlinks, []);
    assert.equal(cgroupMountTmpfs(mount(['nosuid'])).type, 'tmpfs');
  });
});
