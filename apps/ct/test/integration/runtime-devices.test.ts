/**
 * linux.resources.devices through `ct create/run` beside runc, as root on cgroup v1: the same config.json gives the
 * same devices.list in both (deny-all and a few allowed devices, no resources at all, allow-all), and from inside the
 * container a device node linux.devices made but the rules deny cannot be opened (EPERM), while one they allow for
 * reading opens for reading only, with the same messages as under runc. On a fake cgroup v2 tree (CT_CGROUP_ROOT), the
 * cgroup gets the device program built from the same rules. Before this, ct's containers got `a *:* rwm` whatever
 * config.json said.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature, tempDir } from '@ct/test-utils';
import { buildDeviceFilter, type DeviceRule, withDefaultDeviceRules } from '@ct/namespaces';
import { FAKE_DEVICE_PROGRAM_FILE, specTemplate } from '@ct/runtime';
import { makeBundleDir, readConfig, removeBundle, Runtime, writeConfig } from './runtime-harness.js';

type Json = Record<string, unknown>;

/** The devices.list of `pid`'s v1 devices cgroup. */
function devicesList(pid: number): string[] {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1] === 'devices');
  assert.ok(line !== undefined, `no devices line in /proc/${pid}/cgroup`);
  return readFileSync(join('/sys/fs/cgroup/devices', line.split(':')[2] ?? '', 'devices.list'), 'utf8').trim().split('\n').sort();
}

/** A node whose open needs no capability (its ioctls do): what the rules allow is what opens. */
const loopControl = { path: '/dev/loop-control', type: 'c', major: 10, minor: 237, fileMode: 0o600 };
/** Open /dev/loop-control for reading, then for writing: "ok" or the shell's message for each. */
const OPENS = 'for w in "<" ">"; do if e=$(eval ": $w /dev/loop-control" 2>&1); then echo ok; else echo "$e"; fi; done';

/**
 * runc before 1.2 also allowed tun/tap (c 10:200 rwm) by default; runc 1.2 dropped it, and ct follows 1.2. An
 * older runc's list is compared without that rule.
 */
function withoutOldTunDefault(list: string[] | undefined): string[] {
  const version = /runc version (\d+)\.(\d+)/.exec(spawnSync('runc', ['--version'], { encoding: 'utf8' }).stdout);
  const old = version !== null && Number(version[1]) === 1 && Number(version[2]) < 2;
  return (list ?? []).filter((l) => !old || l !== 'c 10:200 rwm');
}

describe('ct device cgroup beside runc @root', function () {
  const runcPresent = spawnSync('runc', ['--version']).status === 0;
  let bundle = '';
  let base: Json = {};
  const stateRoot = tempDir('ct-devices-');
  const runtimes = [new Runtime('ct', join(stateRoot, 'ct')), new Runtime('runc', join(stateRoot, 'runc'))];
  const ids: string[] = [];

  before(async function () {
    requireFeature(this, isRoot() && existsSync('/sys/fs/cgroup/devices/cgroup.procs'), 'root and a cgroup v1 devices hierarchy');
    requireFeature(this, runcPresent, 'runc installed (tools/dev/setup.sh)');
    bundle = await makeBundleDir(join(tmpdir(), 'ct-devices'));
    writeConfig(bundle, ['sleep', '30'], specTemplate({}) as Json);
    base = readConfig(bundle);
  });
  after(() => {
    for (const rt of runtimes) rt.cleanup(ids);
    removeBundle(bundle);
  });

  /** config.json = the template with linux.resources set to `resources` (deleted when undefined), args `args`. */
  function configure(resources: Json | undefined, args: string[], devices: Json[] = []): void {
    const c = structuredClone(base);
    const l = c['linux'] as Json;
    if (resources === undefined) delete l['resources'];
    else l['resources'] = resources;
    l['devices'] = devices;
    writeConfig(bundle, args, c);
  }

  /** devices.list of a created container, under each runtime (ct first), deleted after. */
  function listsOf(name: string): string[][] {
    return runtimes.map((rt) => {
      const id = `${name}-${rt.name}-${process.pid}`;
      ids.push(id);
      const r = rt.run(['create', '--bundle', bundle, id]);
      assert.equal(r.status, 0, `${rt.name} create: ${r.stderr}`);
      try {
        return devicesList(rt.state(id)?.['pid'] as number);
      } finally {
        assert.equal(rt.run(['delete', '--force', id]).status, 0);
      }
    });
  }

  it('create, deny-all then a few allowed devices: the same devices.list as runc (its default rules after the config\'s)', () => {
    configure({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 11, access: 'r' }] }, ['sleep', '30']);
    const [ct, runc] = listsOf('devlist');
    assert.deepEqual(ct, runc);
    assert.ok(ct?.includes('c 10:200 rwm') && ct.includes('c 1:11 r') && !ct.includes('a *:* rwm'), ct?.join(', '));
  });

  it('create, no linux.resources at all: runc\'s default rules alone, as runc', () => {
    configure(undefined, ['sleep', '30']);
    const [ct, runc] = listsOf('devnone');
    assert.deepEqual(ct, withoutOldTunDefault(runc));
    assert.ok(!ct?.includes('a *:* rwm'), 'not every device');
  });

  it('create, an allow-all rule (a privileged container): a *:* rwm, as runc', () => {
    configure({ devices: [{ allow: true, access: 'rwm' }] }, ['sleep', '30']);
    const [ct, runc] = listsOf('devall');
    assert.deepEqual(ct, ['a *:* rwm']);
    assert.deepEqual(runc, ct);
  });

  it('run, a node linux.devices makes that the rules deny: EPERM inside; allowed for reading: reading only; as runc', () => {
    const outputs = [
      { devices: [{ allow: false, access: 'rwm' }] },
      { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 237, access: 'r' }] },
    ].map((resources, n) => {
      configure(resources, ['sh', '-c', OPENS], [loopControl]);
      return runtimes.map((rt) => {
        const id = `devrun${n}-${rt.name}-${process.pid}`;
        ids.push(id);
        const r = rt.run(['run', '--bundle', bundle, id]);
        assert.equal(r.status, 0, `${rt.name}: ${r.stderr}`);
        return r.stdout.trim().split('\n');
      });
    });
    const [[ctDenied, runcDenied], [ctRead, runcRead]] = outputs as [[string[], string[]], [string[], string[]]];
    assert.deepEqual(ctDenied, runcDenied);
    assert.ok(ctDenied.length === 2 && ctDenied.every((l) => /Operation not permitted/.test(l)), ctDenied.join(' | '));
    assert.deepEqual(ctRead, runcRead);
    assert.equal(ctRead[0], 'ok');
    assert.match(ctRead[1] ?? '', /Operation not permitted/);
  });
});

describe('ct device program on cgroup v2 (fake cgroupfs) @root', () => {
  it('create, the cgroup gets the program built from config.json\'s rules followed by runc\'s defaults', async function () {
    requireFeature(this, isRoot(), 'needs root (the container itself is real)');
    // a fake delegated unified hierarchy (CT_CGROUP_ROOT, test-only): the program lands in a file there
    const root = tempDir('ct-fake-cgroup2-');
    const parent = join(root, /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/');
    mkdirSync(parent, { recursive: true });
    for (const dir of new Set([root, parent])) {
      writeFileSync(join(dir, 'cgroup.controllers'), 'pids\n');
      writeFileSync(join(dir, 'cgroup.subtree_control'), '');
    }
    const bundle = await makeBundleDir(join(tmpdir(), 'ct-devices-v2'));
    const ct = new Runtime('ct', tempDir('ct-devices-v2-'));
    const id = `devv2-${process.pid}`;
    const saved = process.env['CT_CGROUP_ROOT'];
    process.env['CT_CGROUP_ROOT'] = root;
    const rules: DeviceRule[] = [{ allow: false, type: 'a', access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 200, access: 'rw' }];
    try {
      writeConfig(bundle, ['sleep', '30'], specTemplate({}) as Json);
      const c = readConfig(bundle);
      (c['linux'] as Json)['resources'] = { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 200, access: 'rw' }] };
      writeConfig(bundle, ['sleep', '30'], c);
      const r = ct.run(['create', '--bundle', bundle, id]);
      assert.equal(r.status, 0, r.stderr);
      const program = readFileSync(join(parent, id, FAKE_DEVICE_PROGRAM_FILE));
      assert.deepEqual(new Uint8Array(program), buildDeviceFilter(withDefaultDeviceRules(rules)));
    } finally {
      if (saved === undefined) delete process.env['CT_CGROUP_ROOT'];
      else process.env['CT_CGROUP_ROOT'] = saved;
      ct.cleanup([id]);
      removeBundle(bundle);
      rmSync(root, { recursive: true, force: true });
    }
  });
});
