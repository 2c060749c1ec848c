/**
 * OCI-shaped file systems: the spec's own proc, /dev tmpfs, devpts and sysfs instead of Guix's (defaultFileSystems
 * false), runc's default devices (mknod as root, host binds unprivileged), extra device nodes, bind flags by
 * remount, recursive read-only binds, and propagation, each checked from inside.
 */
import { strict as assert } from 'node:assert';
import { existsSync, rmSync } from 'node:fs';
import { isRoot } from '@ct/test-utils';
import { type ContainerSpec, type Mount } from '../../src/index.js';
import { guardContainers, probe, runCaptured, sh, toolSpec } from './helpers.js';

const OCI_MOUNTS: Mount[] = [
  { type: 'filesystem', fstype: 'proc', source: 'proc', target: '/proc', flags: ['nosuid', 'nodev', 'noexec'] },
  { type: 'filesystem', fstype: 'tmpfs', source: 'tmpfs', target: '/dev', flags: ['nosuid', 'strictatime'], data: 'mode=755,size=65536k' },
  { type: 'filesystem', fstype: 'devpts', source: 'devpts', target: '/dev/pts', flags: ['nosuid', 'noexec'], data: 'newinstance,ptmxmode=0666,mode=0620' },
  { type: 'filesystem', fstype: 'tmpfs', source: 'shm', target: '/dev/shm', flags: ['nosuid', 'noexec', 'nodev'], data: 'mode=1777,size=65536k' },
];
const oci = (command: ContainerSpec['command'], extra: Partial<ContainerSpec> = {}): ContainerSpec => toolSpec(command, {
  defaultFileSystems: false, ...extra, mounts: [...OCI_MOUNTS, ...(extra.mounts ?? [])],
});
const mountLine = (mountinfo: string, target: string): string => mountinfo.split('\n').find((l) => l.split(' ')[4] === target) ?? '';

describe('OCI mounts and devices, from inside the container', function () {
  before(function () { guardContainers(this); });

  it('runContainer, the spec\'s own /dev with runc\'s devices and links', async () => {
    const r = await runCaptured(oci(sh('stat -c "%F %t:%T %a" /dev/null /dev/zero /dev/urandom /dev/tty; readlink /dev/ptmx; readlink /dev/fd; echo x > /dev/null && echo wrote')));
    assert.equal(r.stdout, [
      'character special file 1:3 666', 'character special file 1:5 666', 'character special file 1:9 666',
      'character special file 5:0 666', 'pts/ptmx', '/proc/self/fd', 'wrote', '',
    ].join('\n'));
  });

  it('runContainer, the spec\'s /dev options are honoured (size=65536k, not Guix\'s mode)', async () => {
    const r = await runCaptured(oci(probe('mounts')));
    assert.match(mountLine(r.stdout, '/dev'), /size=65536k/);
    assert.equal(mountLine(r.stdout, '/sys'), '', 'no sysfs unless the spec mounts one');
  });

  it('runContainer, an extra device node (/dev/fuse, 10:229)', async () => {
    const r = await runCaptured(oci(sh('stat -c "%F %t:%T" /dev/fuse'), {
      devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666 }],
    }));
    assert.equal(r.stdout, 'character special file a:e5\n');
  });

  it('runContainer, a device node in a subdirectory gets its parent directories', async function () {
    // Real root makes the node (any path); a user namespace binds the host's, which must exist.
    const device = isRoot() ? { path: '/dev/cpu/0/cpuid', major: 203, minor: 0 } : { path: '/dev/net/tun', major: 10, minor: 200 };
    if (!isRoot() && !existsSync(device.path)) this.skip();
    const r = await runCaptured(oci(sh(`stat -c "%F %t:%T" ${device.path}`), { devices: [{ ...device, type: 'c', fileMode: 0o600 }] }));
    assert.equal(r.stdout, `character special file ${device.major.toString(16)}:${device.minor.toString(16)}\n`);
  });

  it('runContainer, a read-only /dev tmpfs still gets its devices and links, then refuses writes', async () => {
    const mounts = OCI_MOUNTS.map((m) => (m.target === '/dev' && m.type === 'filesystem' ? { ...m, flags: [...(m.flags ?? []), 'ro' as const] } : m));
    const r = await runCaptured(toolSpec(sh('readlink /dev/ptmx; test -c /dev/null && echo null; /bin/ct-probe mkdir /dev/x'), {
      defaultFileSystems: false, mounts,
    }));
    assert.equal(r.stdout, 'pts/ptmx\nnull\nEROFS\n');
  });

  it('runContainer, bind flags nosuid,nodev,noexec through a remount, and propagation', async () => {
    // Without mount locking: a less privileged mount namespace turns shared mounts into slaves (mount_namespaces(7)).
    const r = await runCaptured(toolSpec(probe('mounts'), {
      lockMounts: false,
      mounts: [{ type: 'bind', source: '/usr/share', target: '/share', flags: ['nosuid', 'nodev', 'noexec'], propagation: 'rshared' }],
    }));
    const line = mountLine(r.stdout, '/share');
    const options = line.split(' ')[5] ?? '';
    for (const flag of ['nosuid', 'nodev', 'noexec']) assert.ok(options.split(',').includes(flag), `${flag} in ${options}`);
    assert.match(line, / shared:\d+/, 'a private root would give no peer group');
  });

  it('runContainer, a recursively read-only bind makes the host\'s submounts read-only too', async () => {
    const name = `ct-rro-${process.pid}`;
    const touch = (extra: Partial<Mount>): ContainerSpec => toolSpec(sh(`touch /hostdev/shm/${name} 2>&1 | grep -c Read-only; rm -f /hostdev/shm/${name}`), {
      mounts: [{ type: 'bind', source: '/dev', target: '/hostdev', ...extra } as Mount],
    });
    try {
      assert.equal((await runCaptured(touch({ recursiveReadOnly: true }))).stdout, '1\n');
      assert.equal((await runCaptured(touch({}))).stdout, '0\n');
    } finally {
      rmSync(`/dev/shm/${name}`, { force: true });
    }
  });
});
