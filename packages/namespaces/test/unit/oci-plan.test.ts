import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@ct/test-utils';
import { inMountOrder, ownCgroupMountContext } from '../../src/cgroup-mount-plan.js';
import { buildChildPlan, type ChildPlanContext } from '../../src/child-plan.js';
import { ContainerSpecError } from '../../src/errors.js';
import { planIdMaps } from '../../src/id-map.js';
import { MOUNT_ATTR, MS } from '../../src/internal/mount-flags.js';
import type { Step } from '../../src/internal/syscalls-port.js';
import { type ContainerSpec, type Mount, withDefaults } from '../../src/spec.js';

/** An OCI-shaped spec: a rootfs, no Guix file systems, the mounts given. */
const oci = (extra: Partial<ContainerSpec> = {}) => withDefaults({
  command: { argv: ['/bin/true'], cwd: '/work' }, root: { kind: 'rootfs', path: '/b/rootfs' }, namespaces: ['mnt', 'pid', 'ipc', 'uts'],
  defaultFileSystems: false, lockMounts: false, capabilities: 'all', sessionKeyring: false, consoleTty: null, ...extra,
});
const plan = (s: ReturnType<typeof oci>, over: Partial<ChildPlanContext> = {}): readonly Step[] => buildChildPlan(s, {
  idMaps: undefined, euid: 0, egid: 0, rootDir: '/b/rootfs', sourceIsDirectory: (p) => !p.endsWith('.file'), hostDevices: [],
  pauseAfterIdMaps: false, pauseBeforePivotRoot: false, pauseBeforeExec: false, mknodDevices: true, pathKind: () => 'directory', ...over,
}).plan.steps;
const mountsOf = (steps: readonly Step[]) => steps.flatMap((s) => (s.op === 'mount' ? [[s.target, s.fstype ?? 'bind', s.data ?? '']] : []));

const RUNC_MOUNTS: Mount[] = [
  { type: 'filesystem', fstype: 'proc', source: 'proc', target: '/proc' },
  { type: 'filesystem', fstype: 'tmpfs', source: 'tmpfs', target: '/dev', flags: ['nosuid', 'strictatime'], data: 'mode=755,size=65536k' },
  { type: 'filesystem', fstype: 'devpts', source: 'devpts', target: '/dev/pts', flags: ['nosuid', 'noexec'], data: 'newinstance,ptmxmode=0666,mode=0620,gid=5' },
  { type: 'filesystem', fstype: 'tmpfs', source: 'shm', target: '/dev/shm', flags: ['nosuid', 'noexec', 'nodev'], data: 'mode=1777,size=65536k' },
  { type: 'filesystem', fstype: 'mqueue', source: 'mqueue', target: '/dev/mqueue', flags: ['nosuid', 'noexec', 'nodev'] },
  { type: 'filesystem', fstype: 'sysfs', source: 'sysfs', target: '/sys', flags: ['nosuid', 'noexec', 'nodev', 'ro'] },
];

describe('buildChildPlan, an OCI config', () => {
  it('mounts, the config\'s /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys in its order with its data', () => {
    const wanted = new Set(RUNC_MOUNTS.map((m) => m.target));
    assert.deepEqual(mountsOf(plan(oci({ mounts: RUNC_MOUNTS }))).filter(([t]) => wanted.has(t ?? '')), [
      ['/proc', 'proc', ''], ['/dev', 'tmpfs', 'mode=755,size=65536k'], ['/dev/pts', 'devpts', 'newinstance,ptmxmode=0666,mode=0620,gid=5'],
      ['/dev/shm', 'tmpfs', 'mode=1777,size=65536k'], ['/dev/mqueue', 'mqueue', ''], ['/sys', 'sysfs', ''],
    ]);
  });
  it('mounts, sysfs read-only at once; a read-only tmpfs mounted writable and remounted read-only after pivot_root', () => {
    const steps = plan(oci({ mounts: [...RUNC_MOUNTS, { type: 'filesystem', fstype: 'tmpfs', source: 'tmpfs', target: '/ro', flags: ['ro'] }] }));
    const sys = steps.find((s) => s.op === 'mount' && s.target === '/sys');
    assert.equal(sys?.op === 'mount' && (sys.flags & MS.RDONLY), MS.RDONLY);
    const ro = steps.find((s) => s.op === 'mount' && s.target === '/ro');
    assert.equal(ro?.op === 'mount' && (ro.flags & MS.RDONLY), 0n);
    const pivot = steps.findIndex((s) => s.op === 'pivotRoot');
    const remount = steps.findIndex((s) => s.op === 'remount' && s.target === '/ro');
    assert.ok(remount > pivot, 'the read-only remount comes after the devices and the root switch');
  });
  it('mounts, a bind\'s flags by remount, its propagation list in order, then recursive attributes', () => {
    const steps = plan(oci({ mounts: [{
      type: 'bind', source: '/host', target: '/data', flags: ['nosuid', 'nodev'], propagation: ['rslave', 'runbindable'],
      recursiveAttributes: { set: ['ro', 'noatime'], clear: ['noexec'] },
    }] }));
    const at = steps.findIndex((s) => s.op === 'mount' && s.target === '/data');
    assert.deepEqual(steps.slice(at + 1, at + 5).map((s) => s.op), ['remount', 'propagation', 'propagation', 'mountSetattr']);
    assert.deepEqual(steps[at + 1], { op: 'remount', target: '/data', flags: MS.NOSUID | MS.NODEV, recursive: false, inRoot: '/b/rootfs' });
    assert.equal((steps[at + 2] as { flags: bigint }).flags, MS.SLAVE | MS.REC);
    assert.equal((steps[at + 3] as { flags: bigint }).flags, MS.UNBINDABLE | MS.REC);
    assert.deepEqual(steps[at + 4], {
      op: 'mountSetattr', target: '/data', attrSet: MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOATIME, attrClr: MOUNT_ATTR.NOEXEC | MOUNT_ATTR._ATIME,
      propagation: 0n, recursive: true, inRoot: '/b/rootfs',
    });
  });
  it('devices, a node in a subdirectory gets its parent directories (/dev/cpu/0/cpuid), then mknod, chmod, chown', () => {
    const steps = plan(oci({ devices: [{ path: '/dev/cpu/0/cpuid', type: 'c', major: 203, minor: 0, fileMode: 0o600, uid: 7, gid: 8 }] }));
    const at = steps.findIndex((s) => s.op === 'mknod' && s.path === '/dev/cpu/0/cpuid');
    assert.deepEqual(steps[at - 1], { op: 'mkdir', path: '/dev/cpu/0', mode: 0o755, inRoot: '/b/rootfs' });
    assert.deepEqual(steps.slice(at + 1, at + 3).map((s) => s.op), ['chmod', 'chown']);
  });
  it('devices, runc\'s defaults unless the config names the path, binds instead of mknod in a user namespace', () => {
    const steps = plan(oci({ devices: [{ path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600 }] }), { mknodDevices: false });
    const bound = steps.flatMap((s) => (s.op === 'mount' && s.source?.startsWith('/dev/') === true ? [s.target] : []));
    assert.deepEqual(bound, ['/dev/random', '/dev/full', '/dev/tty', '/dev/zero', '/dev/urandom', '/dev/null'], 'runc\'s order (its AllowedDevices)');
    assert.ok(steps.some((s) => s.op === 'symlink' && s.path === '/dev/ptmx' && s.target === 'pts/ptmx'));
  });
  it('a new ipc namespace with a new user namespace is made after the switch to the container\'s root (mqueue owned 0:0)', () => {
    const s = oci({ namespaces: ['user', 'mnt', 'pid', 'ipc', 'uts'], uidMap: [{ inside: 0, outside: 100000, count: 65536 }], gidMap: [{ inside: 0, outside: 100000, count: 65536 }] });
    const maps = planIdMaps(s, { euid: 0, egid: 0, subuid: [], subgid: [], newidmapAvailable: false });
    const built = buildChildPlan(s, {
      idMaps: maps, euid: 0, egid: 0, rootDir: '/b/rootfs', sourceIsDirectory: () => true, hostDevices: [],
      pauseAfterIdMaps: false, pauseBeforePivotRoot: false, pauseBeforeExec: false, mknodDevices: false, pathKind: () => 'directory',
    }).plan;
    const CLONE_NEWIPC = 0x08000000;
    assert.equal(built.namespaces & CLONE_NEWIPC, 0, 'no CLONE_NEWIPC in the clone');
    const steps = built.steps;
    const setuid = steps.findIndex((x) => x.op === 'setresuid' && x.uid === 0);
    const ipc = steps.findIndex((x) => x.op === 'unshare' && (x.flags & CLONE_NEWIPC) !== 0);
    const mqueue = steps.findIndex((x) => x.op === 'mount' && x.target === '/dev/mqueue');
    assert.ok(setuid >= 0 && ipc > setuid, `unshare ipc (${ipc}) after the id switch (${setuid})`);
    assert.ok(mqueue === -1 || mqueue > ipc);
  });
  it('devices, none when /dev is a bind (runc\'s needsSetupDev)', () => {
    const steps = plan(oci({ mounts: [{ type: 'bind', source: '/dev', target: '/dev' }] }));
    assert.ok(!steps.some((s) => s.op === 'mknod' || (s.op === 'symlink' && s.path === '/dev/ptmx')));
  });
  it('sysctl, written after the root switch, before the read-only paths, which come before the masked ones', () => {
    const steps = plan(oci({ sysctl: { 'net.ipv4.ip_forward': '1' }, readonlyPaths: ['/proc/sys'], maskedPaths: ['/proc/kcore'] }));
    const i = steps.findIndex((s) => s.op === 'writeFile' && s.path === '/proc/sys/net/ipv4/ip_forward');
    const ro = steps.findIndex((s) => s.op === 'mount' && s.target === '/proc/sys');
    const mask = steps.findIndex((s) => s.op === 'mount' && s.target === '/proc/kcore');
    assert.ok(steps.findIndex((s) => s.op === 'pivotRoot') < i && i < ro && ro < mask, `${i} ${ro} ${mask}`);
    assert.equal((steps[ro] as { optional?: boolean }).optional, true, 'skipped in the child when missing');
    assert.equal((steps[mask] as { optional?: boolean }).optional, true);
  });
  it('console, a pty after pivot_root, bound on /dev/console; the working directory is made', () => {
    const steps = plan(oci({ console: { socketPath: '/run/c.sock', rows: 24, cols: 80 } }));
    const pivot = steps.findIndex((s) => s.op === 'pivotRoot');
    assert.deepEqual(steps[pivot + 1], { op: 'console', socketPath: '/run/c.sock', devConsole: true, rows: 24, cols: 80 });
    assert.ok(steps.some((s) => s.op === 'mkdir' && s.path === '/work' && s.inRoot === '/'));
  });
  it('rootfsPropagation, set on / before the root is bound (runc\'s prepareRoot); shared: the root\'s parent mount made private', () => {
    const steps = plan(oci({ rootPropagation: 'rshared' }), { rootParentMount: '/b' });
    assert.deepEqual(steps.slice(0, 3).map((s) => [s.op, (s as { target?: string }).target, (s as { flags?: bigint }).flags]), [
      ['propagation', '/', MS.SHARED | MS.REC], ['propagation', '/b', MS.PRIVATE], ['mount', '/b/rootfs', MS.BIND | MS.REC],
    ]);
    const slave = plan(oci({ rootPropagation: 'rslave' }), { rootParentMount: '/b' });
    assert.deepEqual(slave.slice(0, 2).map((s) => s.op), ['propagation', 'mount'], 'a slave parent needs no change');
    assert.equal((slave[0] as { flags: bigint }).flags, MS.SLAVE | MS.REC);
  });
  it('no mount namespace of its own: the mounts where the caller is, no propagation change, no root bind, a chroot', () => {
    const steps = plan(oci({ namespaces: ['pid', 'uts'], writableRoot: true, mounts: RUNC_MOUNTS.slice(0, 1) }));
    assert.ok(!steps.some((s) => s.op === 'propagation' || s.op === 'pivotRoot' || (s.op === 'mount' && s.target === '/b/rootfs')));
    const at = steps.findIndex((s) => s.op === 'chroot');
    assert.deepEqual(steps.slice(at - 1, at + 2), [{ op: 'chdir', path: '/b/rootfs' }, { op: 'chroot', path: '.' }, { op: 'chdir', path: '/' }]);
    assert.ok(steps.findIndex((s) => s.op === 'mount' && s.target === '/proc') < at);
    assert.throws(() => oci({ namespaces: ['pid'] }), (e: unknown) => (e as { field?: string }).field === 'writableRoot');
  });
  it('personality, before exec', () => {
    assert.ok(plan(oci({ personality: 8 })).some((s) => s.op === 'personality' && s.persona === 8));
  });
  it('killOnParentDeath until-exec: set first, cleared after the last pause, right before exec', () => {
    const steps = plan(oci({ killOnParentDeath: 'until-exec', execWrapper: { path: '/x/wrap', argv: ['wrap'] } }), { pauseBeforeExec: true });
    assert.deepEqual(steps.find((s) => s.op === 'pdeathsig'), { op: 'pdeathsig', signal: 9 });
    assert.deepEqual(steps.slice(-3).map((s) => (s.op === 'wait' ? `wait:${s.label}` : s.op === 'pdeathsig' ? `pdeathsig:${s.signal}` : s.op)),
      ['wait:before-exec', 'pdeathsig:0', 'exec']);
  });
  it('cgroup mount, v1: a tmpfs, a bind per hierarchy named as the host\'s, links for combined ones, ro on the binds only (runc)', () => {
    const s = oci({ mounts: [{ type: 'cgroup', target: '/sys/fs/cgroup', flags: ['ro'] }] });
    const steps = plan(s, { cgroup: { version: 'v1', root: '/sys/fs/cgroup', paths: ['/sys/fs/cgroup/pids/ct-1', '/sys/fs/cgroup/cpu,cpuacct/ct-1'] } });
    assert.deepEqual(mountsOf(steps).filter(([t]) => t?.startsWith('/sys/fs/cgroup')), [
      ['/sys/fs/cgroup', 'tmpfs', 'mode=755'], ['/sys/fs/cgroup/pids', 'bind', ''], ['/sys/fs/cgroup/cpu,cpuacct', 'bind', ''],
    ]);
    assert.deepEqual(steps.filter((x) => x.op === 'symlink' && x.path.startsWith('/sys/fs/cgroup')).map((x) => x.op === 'symlink' && [x.path, x.target]),
      [['/sys/fs/cgroup/cpu', 'cpu,cpuacct'], ['/sys/fs/cgroup/cpuacct', 'cpu,cpuacct']]);
    assert.deepEqual(steps.filter((x) => x.op === 'remount' && x.target.startsWith('/sys/fs/cgroup'))
      .map((x) => x.op === 'remount' && [x.target, (x.flags & MS.RDONLY) !== 0n]), [['/sys/fs/cgroup/pids', true], ['/sys/fs/cgroup/cpu,cpuacct', true]]);
  });
  it('cgroup mount, v1 bound inside a recursive bind of /sys with an rshared root: refused naming rootPropagation; rslave or sysfs there: planned', () => {
    const cgroup = { version: 'v1' as const, root: '/sys/fs/cgroup', paths: ['/sys/fs/cgroup/pids/ct-1'] };
    const sysBind: Mount = { type: 'bind', source: '/sys', target: '/sys', flags: ['nosuid', 'ro'] };
    const cg: Mount = { type: 'cgroup', target: '/sys/fs/cgroup', flags: ['ro'] };
    assert.throws(() => plan(oci({ rootPropagation: 'rshared', mounts: [sysBind, cg] }), { cgroup }),
      (e: unknown) => e instanceof ContainerSpecError && e.field === 'rootPropagation' && /mounts\[1\].*mounts\[0\]/.test(e.message));
    assert.equal(mountsOf(plan(oci({ rootPropagation: 'rslave', mounts: [sysBind, cg] }), { cgroup })).filter(([t]) => t === '/sys/fs/cgroup/pids').length, 1);
    const sysfs = RUNC_MOUNTS.find((m) => m.target === '/sys')!;
    assert.equal(mountsOf(plan(oci({ rootPropagation: 'rshared', mounts: [sysBind, sysfs, cg] }), { cgroup })).filter(([t]) => t === '/sys/fs/cgroup/pids').length, 1);
    assert.equal(mountsOf(plan(oci({ rootPropagation: 'rshared', mounts: [{ ...sysBind, propagation: 'rslave' }, cg] }), { cgroup }))
      .filter(([t]) => t === '/sys/fs/cgroup/pids').length, 1);
  });
  it('cgroup mount, v1 with a cgroup namespace: each hierarchy mounted afresh (systemd by name, source systemd), as runc', () => {
    const s = oci({ mounts: [{ type: 'cgroup', target: '/sys/fs/cgroup', flags: ['ro'] }] });
    const steps = plan(s, { cgroup: { version: 'v1', root: '/sys/fs/cgroup', paths: ['/sys/fs/cgroup/pids/ct-1', '/sys/fs/cgroup/systemd/ct-1'], namespaced: true } });
    assert.deepEqual(steps.flatMap((x) => (x.op === 'mount' && x.target.startsWith('/sys/fs/cgroup/') ? [[x.target, x.source, x.fstype, x.data, (x.flags & MS.RDONLY) !== 0n]] : [])), [
      ['/sys/fs/cgroup/pids', 'cgroup', 'cgroup', 'pids', true], ['/sys/fs/cgroup/systemd', 'systemd', 'cgroup', 'name=systemd', true],
    ]);
  });
  it('inMountOrder: v1 directories in the order the host mounts their hierarchies (runc reads mountinfo), others last', () => {
    const cgroup = { version: 'v1' as const, root: '/cg', paths: ['/cg/blkio/x', '/cg/other/x', '/cg/memory/x', '/cg/cpu/x'] };
    assert.deepEqual(inMountOrder(cgroup, ['/', '/cg', '/cg/cpu', '/cg/memory', '/cg/blkio']).paths, ['/cg/cpu/x', '/cg/memory/x', '/cg/blkio/x', '/cg/other/x']);
  });
  it('cgroup mount, v2: the container\'s directory bound; none: an empty tmpfs and a warning', () => {
    const s = oci({ mounts: [{ type: 'cgroup', target: '/sys/fs/cgroup' }] });
    assert.deepEqual(mountsOf(plan(s, { cgroup: { version: 'v2', root: '/sys/fs/cgroup', paths: ['/sys/fs/cgroup/ct-1'] } }))
      .filter(([t]) => t === '/sys/fs/cgroup'), [['/sys/fs/cgroup', 'bind', '']]);
    const notes: string[] = [];
    assert.deepEqual(mountsOf(plan(s, { cgroup: undefined, warn: (m) => notes.push(m) })).filter(([t]) => t === '/sys/fs/cgroup'),
      [['/sys/fs/cgroup', 'tmpfs', 'mode=755']]);
    assert.equal(notes.length, 1);
  });
  it('setgroups, planned from what the caller\'s namespace says: denied there, denied in the new one', () => {
    const s = withDefaults({ command: { argv: ['true'] }, namespaces: ['user', 'mnt'], root: { kind: 'host' } });
    const maps = planIdMaps(s, { euid: 0, egid: 0, subuid: [], subgid: [], newidmapAvailable: false, setgroupsDenied: true });
    assert.equal(maps.denySetgroups, true);
    const steps = buildChildPlan(s, {
      idMaps: maps, euid: 0, egid: 0, rootDir: '/', sourceIsDirectory: () => true, pauseAfterIdMaps: false, pauseBeforePivotRoot: false, pauseBeforeExec: false,
    }).plan.steps;
    assert.ok(!steps.some((x) => x.op === 'setgroups'));
  });
});

describe('ownCgroupMountContext', () => {
  it('ownCgroupMountContext, v1: the caller\'s own directory in each mounted hierarchy (runc rootless binds those)', () => {
    const root = tempDir('ct-own-cg-');
    for (const h of ['cpu,cpuacct', 'pids', 'systemd']) {
      mkdirSync(join(root, h));
      writeFileSync(join(root, h, 'cgroup.procs'), '');
    }
    const proc = tempDir('ct-own-proc-');
    mkdirSync(join(proc, 'self'));
    writeFileSync(join(proc, 'self', 'cgroup'), '3:cpu,cpuacct:/user/a\n2:pids:/user/b\n1:name=systemd:/user/c\n0::/\n');
    assert.deepEqual(ownCgroupMountContext(root, proc), {
      version: 'v1', root, paths: [join(root, 'cpu,cpuacct', '/user/a'), join(root, 'pids', '/user/b'), join(root, 'systemd', '/user/c')],
    });
  });
});
