import assert from 'node:assert/strict';
import { mountFileSystems, type MountPlanContext } from '../../src/mount-plan.js';
import { type ContainerSpec, withDefaults } from '../../src/spec.js';
import type { PlannedStep } from '../../src/planned-step.js';
import { MS } from '../../src/internal/mount-flags.js';

const ctx: MountPlanContext = {
  rootDir: '/tmp/r', sourceIsDirectory: (s) => !s.endsWith('.txt'), hostDevices: ['null', 'tty'],
};
const plan = (extra: Partial<ContainerSpec> = {}, c: Partial<MountPlanContext> = {}): PlannedStep[] =>
  mountFileSystems(withDefaults({ command: { argv: ['/bin/true'] }, ...extra }), { ...ctx, ...c });
const described = (steps: readonly PlannedStep[]): string[] =>
  steps.map((s) => `${s.what}${s.object === undefined ? '' : ` ${s.object}`}`);
const find = (steps: readonly PlannedStep[], what: string): PlannedStep => {
  const s = steps.find((p) => p.what === what);
  assert.ok(s, `no step ${what}`);
  return s;
};

describe('mountFileSystems', () => {
  it('mountFileSystems, Guix order with all namespaces', () => {
    const names = described(plan());
    const order = ['make / private /', 'mount root tmpfs /tmp/r', 'mount proc /proc', 'mount sysfs /sys', 'mount /dev /dev',
      'bind device /dev/null', 'mount devpts /dev/pts', 'mount /dev/shm /dev/shm', 'mount mqueue /dev/mqueue',
      'symlink /proc/self/fd /dev/fd', 'pivot_root /tmp/r', 'bring lo up lo', 'write /etc/hosts', 'chmod /',
      'remount read-only /'];
    let last = -1;
    for (const name of order) {
      const i = names.indexOf(name);
      assert.ok(i > last, `${name} at ${i} after ${last}: ${names.join(', ')}`);
      last = i;
    }
  });
  it('mountFileSystems, an overlay root\'s mount data up to the page the kernel reads; more (80 layers) refused naming the field', () => {
    const overlay = (n: number): NonNullable<ContainerSpec['root']> => ({
      kind: 'rootfs', path: '/img',
      overlay: { lowerDirs: Array.from({ length: n }, (_, i) => `/var/lib/ct/storage/layers/${String(i).padStart(64, '0')}/fs`), upperDir: '/u', workDir: '/w', userxattr: true },
    });
    const step = find(plan({ root: overlay(40) }, { rootDir: '/img' }), 'mount root overlay').step as { data: string };
    assert.ok(step.data.length <= 4095 && step.data.endsWith(',upperdir=/u,workdir=/w,userxattr'), step.data);
    assert.throws(() => plan({ root: overlay(80) }, { rootDir: '/img' }),
      /container spec: root\.overlay\.lowerDirs: 80 layer dirs make 7\d{3} bytes of overlay mount data, more than the 4095 the kernel reads/);
  });
  it('mountFileSystems, private propagation first', () => {
    assert.deepEqual(plan()[0]?.step, { op: 'propagation', target: '/', flags: MS.REC | MS.PRIVATE });
  });
  it('mountFileSystems, no proc without a new pid namespace', () => {
    assert.ok(!described(plan({ namespaces: ['user', 'mnt'] })).includes('mount proc /proc'));
  });
  it('mountFileSystems, read-only rbind of host /sys without a new net namespace', () => {
    const steps = plan({ namespaces: ['user', 'mnt', 'pid'] });
    assert.deepEqual(find(steps, 'bind /sys').step, { op: 'mount', target: '/tmp/r/sys', source: '/sys', flags: MS.BIND | MS.REC });
    const i = steps.findIndex((s) => s.what === 'bind /sys');
    assert.deepEqual(steps[i + 1]?.step, { op: 'remount', target: '/tmp/r/sys', flags: MS.RDONLY, recursive: true });
    assert.ok(!described(steps).includes('bring lo up lo'));
  });
  it('mountFileSystems, devpts with ptmxmode=0666 and the ptmx link', () => {
    const steps = plan();
    const devpts = find(steps, 'mount devpts').step;
    assert.equal(devpts.op === 'mount' && devpts.data, 'newinstance,ptmxmode=0666,mode=620');
    assert.deepEqual(find(steps, 'symlink pts/ptmx').step, { op: 'symlink', target: 'pts/ptmx', path: '/tmp/r/dev/ptmx' });
  });
  it('mountFileSystems, console and init bound into /dev', () => {
    const names = described(plan({}, { consoleTty: '/dev/pts/3', initPath: '/opt/ct-init' }));
    assert.ok(names.includes('bind console /dev/console'));
    assert.ok(names.includes('bind init /dev/.ct-init'));
    assert.ok(names.includes('remount init read-only /dev/.ct-init'));
  });
  it('mountFileSystems, user mounts in order: recursive binds, read-only remount of the bind itself (as Guix and runc), file mount points', () => {
    const steps = plan({ mounts: [
      { type: 'bind', source: '/src', target: '/a', readOnly: true },
      { type: 'bind', source: '/etc/x.txt', target: '/b.txt' },
      { type: 'tmpfs', target: '/tmp', mode: 0o1777, size: '10%' },
    ] });
    const i = steps.findIndex((s) => s.what === 'bind /src');
    assert.deepEqual(steps[i - 1]?.step, { op: 'mkdir', path: '/tmp/r/a', mode: 0o755 });
    assert.deepEqual(steps[i]?.step, { op: 'mount', target: '/tmp/r/a', source: '/src', flags: MS.BIND | MS.REC });
    assert.deepEqual(steps[i + 1]?.step, { op: 'remount', target: '/tmp/r/a', flags: MS.RDONLY, recursive: false });
    assert.deepEqual(steps[i + 2]?.step, { op: 'mkdir', path: '/tmp/r', mode: 0o755 });
    assert.deepEqual(steps[i + 3]?.step, { op: 'touch', path: '/tmp/r/b.txt', mode: 0o644 });
    const tmp = find(steps, 'mount tmpfs').step;
    assert.deepEqual(tmp, { op: 'mount', target: '/tmp/r/tmp', source: 'tmpfs', fstype: 'tmpfs',
      flags: MS.NOSUID | MS.NODEV, data: 'mode=1777,size=10%' });
    assert.ok(steps.indexOf(find(steps, 'mount tmpfs')) < steps.indexOf(find(steps, 'pivot_root')));
  });
  it('mountFileSystems, populate after pivot_root, before the read-only remount', () => {
    const steps = plan({ populate: [{ op: 'mkdir', path: '/witness', mode: 0o755 }] });
    const names = described(steps);
    assert.ok(names.indexOf('populate /witness') > names.indexOf('pivot_root /tmp/r'));
    assert.ok(names.indexOf('populate /witness') < names.indexOf('remount read-only /'));
  });
  it('mountFileSystems, writable root', () => {
    assert.ok(!described(plan({ writableRoot: true })).includes('remount read-only /'));
  });
  it('mountFileSystems, rootfs bound onto itself, paths confined inside it', () => {
    const steps = plan({ root: { kind: 'rootfs', path: '/img' } }, { rootDir: '/img' });
    assert.deepEqual(steps[1]?.step, { op: 'mount', source: '/img', target: '/img', flags: MS.BIND | MS.REC });
    assert.deepEqual(find(steps, 'mount proc').step, { op: 'mount', target: '/proc', inRoot: '/img', source: 'proc',
      fstype: 'proc', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC });
    assert.ok(!described(steps).includes('chmod /'));
    assert.ok(!described(steps).includes('write /etc/hosts'));
  });
  it('mountFileSystems, host root mounts nothing', () => {
    assert.deepEqual(plan({ root: { kind: 'host' } }), []);
  });
});
