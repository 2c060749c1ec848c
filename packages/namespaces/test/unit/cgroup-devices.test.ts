/**
 * The device cgroup from rules, without a kernel: runc's default rules and their order, the rules' validation, the
 * v1 emulator (state, transition, a hole in a wildcard refused), the v1 write path against a fake cgroupfs whose
 * devices files behave as the kernel's (fake-devices-cgroup.ts), and the v2 program run through an eBPF interpreter
 * (ebpf-run.ts), its answers compared with the v1 kernel model's over a grid of devices and accesses.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BPF_DEVCG_ACC, BPF_DEVCG_DEV, buildDeviceFilter, CgroupError, type CgroupFs, ContainerSpecError, createContainerCgroup,
  DEFAULT_DEVICE_RULES, DeviceEmulator, deviceRuleString, type DeviceRule, NODE_CGROUP_FS, validateCgroupSpec,
  withDefaultDeviceRules, writeV2Resources,
} from '../../src/index.js';
import { runDeviceProgram } from './ebpf-run.js';
import { withDevicesController } from './fake-devices-cgroup.js';

const FAKE_FS: CgroupFs = { ...NODE_CGROUP_FS, rmdir: (path) => rmSync(path, { recursive: true }), killTask: (pid) => { throw new Error(`test: a fake cgroupfs would SIGKILL host pid ${pid}`); } };
const denyAll: DeviceRule = { allow: false, type: 'a', access: 'rwm' };
const allowAll: DeviceRule = { allow: true, type: 'a', access: 'rwm' };
const tun: DeviceRule = { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' };
const kmsgRead: DeviceRule = { allow: true, type: 'c', major: 1, minor: 11, access: 'r' };

/** A fake v1 tree with a devices hierarchy; the caller's cgroup is /outer. */
function v1Tree(roots: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'ct-cgdev-'));
  roots.push(root);
  mkdirSync(join(root, 'devices', 'outer'), { recursive: true });
  writeFileSync(join(root, 'devices', 'cgroup.procs'), '');
  return root;
}

/** A fake v2 tree (no controllers needed: devices is a program). */
function v2Tree(roots: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'ct-cgdev2-'));
  roots.push(root);
  mkdirSync(join(root, 'outer'));
  writeFileSync(join(root, 'cgroup.controllers'), '');
  writeFileSync(join(root, 'outer', 'cgroup.controllers'), '');
  writeFileSync(join(root, 'outer', 'cgroup.subtree_control'), '');
  return root;
}

function createV1(root: string, devices: readonly DeviceRule[], fs: CgroupFs) {
  return createContainerCgroup({ name: 'box', resources: { devices } }, 0, () => assert.fail('no warning expected'), {
    cgroupRoot: root, cgroupVersion: 'v1', ownCgroups: new Map([['devices', '/outer']]), cgroupFs: fs,
  });
}

/** Create a v2 cgroup with `devices`, recording the program attached. */
function attachedProgram(root: string, devices: readonly DeviceRule[]): Uint8Array {
  let program: Uint8Array | undefined;
  const fs: CgroupFs = { ...FAKE_FS, attachDeviceFilter: (_dir, p) => { program = p; } };
  createContainerCgroup({ name: 'box', resources: { devices } }, 0, () => assert.fail('no warning expected'), {
    cgroupRoot: root, ownCgroups: new Map([['', '/outer']]), cgroupFs: fs,
  });
  assert.ok(program, 'a program was attached');
  return program;
}

const acc = { r: BPF_DEVCG_ACC.READ, w: BPF_DEVCG_ACC.WRITE, m: BPF_DEVCG_ACC.MKNOD } as const;
/** Ask the program about one access ('c'/'b', 'rw', 1, 3). */
function asks(program: Uint8Array, type: 'c' | 'b', access: string, major: number, minor: number): boolean {
  const bits = [...access].reduce((n, c) => n | acc[c as 'r' | 'w' | 'm'], 0);
  return runDeviceProgram(program, { type: type === 'c' ? BPF_DEVCG_DEV.CHAR : BPF_DEVCG_DEV.BLOCK, access: bits, major, minor }) === 1;
}

/** The v1 kernel's white-list answer for a devices.list (an exception of the type, numbers and every access asked). */
function kernelAllows(list: string, type: 'c' | 'b', access: string, major: number, minor: number): boolean {
  return list.split('\n').filter((l) => l !== '').some((line) => {
    const [t = '', nums = '', a = ''] = line.split(' ');
    const [ma = '', mi = ''] = nums.split(':');
    return (t === 'a' || t === type) && (ma === '*' || Number(ma) === major) && (mi === '*' || Number(mi) === minor)
      && [...access].every((c) => a.includes(c));
  });
}

describe('device cgroup rules (fake cgroupfs, eBPF interpreter)', () => {
  const roots: string[] = [];
  afterEach(() => { for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true }); });

  it('withDefaultDeviceRules, the config\'s rules first, then runc\'s defaults in runc\'s order', () => {
    const rules = withDefaultDeviceRules([denyAll, tun]);
    assert.deepEqual(rules.slice(0, 2), [denyAll, tun]);
    assert.deepEqual(rules.slice(2).map(deviceRuleString), [
      'c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm',
    ]);
  });

  it('withDefaultDeviceRules, a default whose node linux.devices makes is left out (runc\'s createDevices)', () => {
    const rules = withDefaultDeviceRules([], ['/dev/null', '/dev/fuse']);
    assert.equal(rules.length, DEFAULT_DEVICE_RULES.length - 1);
    assert.ok(!rules.map(deviceRuleString).includes('c 1:3 rwm'));
  });

  it('validateCgroupSpec, device rule, network and memory tuning errors name the field', () => {
    const bad = (resources: object, field: string): void => {
      assert.throws(() => validateCgroupSpec({ resources } as never), (e: unknown) => e instanceof ContainerSpecError && e.field === field);
    };
    bad({ devices: [denyAll, { allow: true, type: 'u', access: 'rwm' }] }, 'cgroup.resources.devices[1].type');
    bad({ devices: [{ allow: true, type: 'c', access: 'rx' }] }, 'cgroup.resources.devices[0].access');
    bad({ devices: [{ allow: true, type: 'c', major: -2, access: 'r' }] }, 'cgroup.resources.devices[0].major');
    bad({ devices: [{ allow: 'yes', type: 'c', access: 'r' }] }, 'cgroup.resources.devices[0].allow');
    bad({ network: { priorities: [{ name: 'eth0\nlo', priority: 1 }] } }, 'cgroup.resources.network.priorities[0].name');
    bad({ network: { classID: 2 ** 32 } }, 'cgroup.resources.network.classID');
    bad({ memorySwappiness: 101 }, 'cgroup.resources.memorySwappiness');
    bad({ memoryReservation: -2n }, 'cgroup.resources.memoryReservation');
  });

  it('DeviceEmulator, a fresh cgroup (a *:* rwm) to the rules: deny everything, then allow each exception', () => {
    const target = DeviceEmulator.fromRules(withDefaultDeviceRules([denyAll, tun]));
    const fresh = DeviceEmulator.fromList('a *:* rwm\n');
    assert.deepEqual(fresh.transition(target).map((r) => `${r.allow ? 'allow' : 'deny'} ${deviceRuleString(r)}`), [
      'deny a *:* rwm', 'allow b *:* m', 'allow c *:* m', 'allow c 1:3 rwm', 'allow c 1:5 rwm', 'allow c 1:7 rwm', 'allow c 1:8 rwm',
      'allow c 1:9 rwm', 'allow c 5:0 rwm', 'allow c 5:2 rwm', 'allow c 10:200 rwm', 'allow c 136:* rwm',
    ]);
  });

  it('DeviceEmulator, to the state a cgroup already has: no write at all', () => {
    const target = DeviceEmulator.fromRules([denyAll, tun, kmsgRead]);
    const current = DeviceEmulator.fromList('c 10:200 rwm\nc 1:11 r\n');
    assert.deepEqual(current.transition(target), []);
  });

  it('DeviceEmulator, a deny carved out of an allowed wildcard is refused, naming the rule', () => {
    const rules: DeviceRule[] = [denyAll, { allow: true, type: 'c', major: 1, access: 'r' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'rw' }];
    assert.throws(() => DeviceEmulator.fromRules(rules, 'cgroup.resources.devices'),
      (e: unknown) => e instanceof ContainerSpecError && e.field === 'cgroup.resources.devices[2]');
  });

  it('createContainerCgroup v1, the rules written in order leave devices.list as runc\'s rules say', () => {
    const root = v1Tree(roots);
    const fs = withDevicesController(FAKE_FS);
    const cg = createV1(root, withDefaultDeviceRules([denyAll, tun, kmsgRead]), fs);
    assert.ok(cg);
    assert.deepEqual(cg.paths, [join(root, 'devices/outer/box')]);
    assert.equal(fs.writes[0], 'deny a *:* rwm');
    assert.ok(fs.writes.slice(1).every((w) => w.startsWith('allow ')));
    const list = fs.read(join(root, 'devices/outer/box/devices.list'));
    assert.deepEqual(list.trim().split('\n').sort(), [
      'b *:* m', 'c *:* m', 'c 1:11 r', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 10:200 rwm',
      'c 136:* rwm', 'c 5:0 rwm', 'c 5:2 rwm',
    ].sort());
  });

  it('createContainerCgroup v1, a config deny of a default device comes first: the default still allows it', () => {
    const root = v1Tree(roots);
    const fs = withDevicesController(FAKE_FS);
    createV1(root, withDefaultDeviceRules([denyAll, { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' }]), fs);
    assert.match(fs.read(join(root, 'devices/outer/box/devices.list')), /^c 1:3 rwm$/m);
  });

  it('createContainerCgroup v1, an allow-all config (privileged) leaves the cgroup allowing every device', () => {
    const root = v1Tree(roots);
    const fs = withDevicesController(FAKE_FS);
    createV1(root, withDefaultDeviceRules([allowAll]), fs);
    assert.equal(fs.read(join(root, 'devices/outer/box/devices.list')), 'a *:* rwm\n');
    assert.deepEqual(fs.writes, ['allow a *:* rwm']);
  });

  it('createContainerCgroup v1, a kernel that does not take the rules is a CgroupError naming devices.list', () => {
    const root = v1Tree(roots);
    const model = withDevicesController(FAKE_FS);
    const deaf: CgroupFs = { ...model, write: (path, data) => { if (!/devices\.(allow|deny)$/.test(path)) model.write(path, data); } };
    assert.throws(() => createV1(root, [denyAll, tun], deaf), (e: unknown) => e instanceof CgroupError && e.path.endsWith('devices.list'));
  });

  it('createContainerCgroup v1, no devices hierarchy mounted: a CgroupError for the devices controller', () => {
    const root = mkdtempSync(join(tmpdir(), 'ct-cgdev-'));
    roots.push(root);
    assert.throws(() => createV1(root, [denyAll], FAKE_FS), (e: unknown) => e instanceof CgroupError && /no devices hierarchy/.test(e.message));
  });

  it('createContainerCgroup v2, the program answers as the v1 kernel\'s devices.list does, over a grid of accesses', () => {
    const rules = withDefaultDeviceRules([denyAll, tun, kmsgRead, { allow: true, type: 'b', major: 8, access: 'r' }]);
    const program = attachedProgram(v2Tree(roots), rules);
    const v1 = v1Tree(roots);
    const fs = withDevicesController(FAKE_FS);
    createV1(v1, rules, fs);
    const list = fs.read(join(v1, 'devices/outer/box/devices.list'));
    let allowed = 0;
    for (const type of ['c', 'b'] as const) {
      for (const [major, minor] of [[1, 3], [1, 11], [1, 1], [5, 2], [10, 200], [10, 229], [136, 0], [136, 77], [8, 0], [8, 16], [4095, 1048575], [0, 0]]) {
        for (const access of ['r', 'w', 'm', 'rw', 'rwm', 'wm']) {
          const want = kernelAllows(list, type, access, major ?? 0, minor ?? 0);
          assert.equal(asks(program, type, access, major ?? 0, minor ?? 0), want, `${type} ${major}:${minor} ${access}`);
          if (want) allowed++;
        }
      }
    }
    assert.ok(allowed > 20 && allowed < 200, `a mix of answers (${allowed} allowed)`);
  });

  it('createContainerCgroup v2, a black-list (allow all, deny one) denies that device and allows the rest', () => {
    const program = attachedProgram(v2Tree(roots), [allowAll, { allow: false, type: 'c', major: 1, minor: 11, access: 'rwm' }]);
    assert.equal(asks(program, 'c', 'r', 1, 11), false);
    assert.equal(asks(program, 'c', 'rw', 1, 3), true);
    assert.equal(asks(program, 'b', 'rwm', 8, 0), true);
  });

  it('createContainerCgroup v2, no rules allowed: every access is refused', () => {
    const program = attachedProgram(v2Tree(roots), [denyAll]);
    assert.equal(asks(program, 'c', 'r', 1, 3), false);
    assert.equal(asks(program, 'c', 'm', 1, 3), false);
  });

  it('buildDeviceFilter, numbers past 2^31 compare as unsigned 32-bit', () => {
    const program = buildDeviceFilter([denyAll, { allow: true, type: 'c', major: 0xffff_fff0, minor: 0x8000_0001, access: 'r' }]);
    assert.equal(asks(program, 'c', 'r', 0xffff_fff0, 0x8000_0001), true);
    assert.equal(asks(program, 'c', 'r', 0xffff_fff0, 1), false);
  });

  it('writeV2Resources, an unprivileged caller refused the program (EPERM): one warning, no error', () => {
    const root = v2Tree(roots);
    mkdirSync(join(root, 'outer/box'));
    const warnings: string[] = [];
    const eperm: CgroupFs = { ...FAKE_FS, attachDeviceFilter: () => { throw Object.assign(new Error('bpf: EPERM'), { code: 'EPERM' }); } };
    writeV2Resources({ devices: [denyAll] }, join(root, 'outer/box'), eperm, { warn: (m) => warnings.push(m), unprivileged: true });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /device rules not applied/);
  });

  it('createContainerCgroup, an unprivileged caller: device rules alone ask for no cgroup; with a limit, no program', () => {
    const root = v2Tree(roots);
    writeFileSync(join(root, 'outer/cgroup.controllers'), 'pids');
    const attached: string[] = [];
    const fs: CgroupFs = { ...FAKE_FS, attachDeviceFilter: (dir) => { attached.push(dir); } };
    const opts = { cgroupRoot: root, ownCgroups: new Map([['', '/outer']]), cgroupFs: fs };
    const fail = (m: string): never => assert.fail(`no warning expected: ${m}`);
    assert.equal(createContainerCgroup({ name: 'a', resources: { devices: [denyAll] } }, 1000, fail, opts), undefined);
    const cg = createContainerCgroup({ name: 'b', resources: { devices: [denyAll], pids: 5 } }, 1000, fail, opts);
    assert.ok(cg);
    assert.deepEqual(attached, []);
  });

  it('createContainerCgroup v2, root refused the program: a CgroupError, nothing left behind', () => {
    const root = v2Tree(roots);
    const eperm: CgroupFs = { ...FAKE_FS, attachDeviceFilter: () => { throw Object.assign(new Error('bpf: EPERM'), { code: 'EPERM' }); } };
    assert.throws(() => createContainerCgroup({ name: 'box', resources: { devices: [denyAll] } }, 0, () => undefined, {
      cgroupRoot: root, ownCgroups: new Map([['', '/outer']]), cgroupFs: eperm,
    }), (e: unknown) => e instanceof CgroupError && e.path === join(root, 'outer/box'));
    assert.equal(FAKE_FS.exists(join(root, 'outer/box')), false);
  });
});
