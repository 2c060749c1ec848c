/**
 * cgroup v2 against a fake cgroupfs the test builds (a temp dir with cgroup.controllers, cgroup.subtree_control,
 * cgroup.procs; its rmdir removes the interface files as the kernel does), v1 file layout on a fake hierarchy,
 * version detection, the unprivileged warning, and runContainer placing the child at the cgroup pause.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CgroupError, type CgroupFs, ContainerSpecError, createContainerCgroup, detectCgroupVersion,
  NODE_CGROUP_FS, runContainer, sharesToWeight, CLONE_FLAGS,
} from '../../src/index.js';
import { FakeSyscalls } from './fake-syscalls.js';

/** node:fs, except that rmdir removes the (fake) interface files first. */
/** The fake kernel's pids that removals SIGKILLed (they are not the host's: never signalled for real). */
const killedTasks: number[] = [];
const FAKE_FS: CgroupFs = { ...NODE_CGROUP_FS, rmdir: (path) => rmSync(path, { recursive: true }), killTask: (pid) => { killedTasks.push(pid); } };

function fakeV2(controllers: string, subtree = ''): string {
  const root = mkdtempSync(join(tmpdir(), 'ct-cgv2-'));
  const parent = join(root, 'user.slice', 'me');
  mkdirSync(parent, { recursive: true });
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids');
  writeFileSync(join(parent, 'cgroup.controllers'), controllers);
  writeFileSync(join(parent, 'cgroup.subtree_control'), subtree);
  writeFileSync(join(parent, 'cgroup.procs'), '');
  return root;
}
const own = new Map([['', '/user.slice/me']]);

describe('cgroups (fake cgroupfs)', () => {
  const roots: string[] = [];
  afterEach(() => { for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true }); });

  it('detectCgroupVersion, cgroup.controllers at the root means v2', () => {
    const root = fakeV2('pids');
    roots.push(root);
    assert.equal(detectCgroupVersion(root), 'v2');
    assert.equal(detectCgroupVersion(join(root, 'user.slice')), 'v1');
  });

  it('createContainerCgroup v2, enables delegated controllers and writes the limits', () => {
    const root = fakeV2('cpu memory pids', 'pids');
    roots.push(root);
    const cg = createContainerCgroup({ name: 'box', resources: { pids: 7, memory: 1n << 30n, memorySwap: 3n << 29n, cpu: { quota: 20000, period: 100000 }, cpuShares: 1024 } },
      0, () => assert.fail('no warning expected'), { cgroupRoot: root, ownCgroups: own, cgroupFs: FAKE_FS });
    assert.ok(cg);
    const dir = join(root, 'user.slice/me/box');
    assert.deepEqual(cg.paths, [dir]);
    assert.equal(readFileSync(join(root, 'user.slice/me/cgroup.subtree_control'), 'utf8'), '+memory +cpu');
    assert.equal(readFileSync(join(dir, 'pids.max'), 'utf8'), '7');
    assert.equal(readFileSync(join(dir, 'memory.max'), 'utf8'), String(1 << 30));
    assert.equal(readFileSync(join(dir, 'memory.swap.max'), 'utf8'), String(1 << 29));
    assert.equal(readFileSync(join(dir, 'cpu.max'), 'utf8'), '20000 100000');
    assert.equal(readFileSync(join(dir, 'cpu.weight'), 'utf8'), String(sharesToWeight(1024)));
    cg.place(4242);
    assert.equal(readFileSync(join(dir, 'cgroup.procs'), 'utf8'), '4242');
  });

  it('sharesToWeight, runc\'s conversion end points', () => {
    assert.equal(sharesToWeight(2), 1);
    assert.equal(sharesToWeight(262144), 10000);
    assert.equal(sharesToWeight(1024), 39);
  });

  it('createContainerCgroup v2, a controller not delegated is a CgroupError for root', () => {
    const root = fakeV2('pids');
    roots.push(root);
    assert.throws(() => createContainerCgroup({ resources: { memory: 1n << 20n } }, 0, () => undefined, { cgroupRoot: root, ownCgroups: own, cgroupFs: FAKE_FS }),
      (e: unknown) => e instanceof CgroupError && e.path.endsWith('user.slice/me/cgroup.controllers'));
  });

  it('createContainerCgroup v2, unprivileged without delegation: undefined and one warning', () => {
    const root = fakeV2('pids');
    roots.push(root);
    const warnings: string[] = [];
    const cg = createContainerCgroup({ resources: { memory: 1n << 20n } }, 1000, (m) => warnings.push(m), { cgroupRoot: root, ownCgroups: own, cgroupFs: FAKE_FS });
    assert.equal(cg, undefined);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /no delegated cgroup v2 subtree/);
  });

  it('createContainerCgroup v2, unprivileged in a cgroup with processes (EBUSY): one warning naming the fix', () => {
    const root = fakeV2('pids');
    roots.push(root);
    const busy: CgroupFs = { ...FAKE_FS, write: (path, data) => {
      if (path.endsWith('cgroup.subtree_control')) throw Object.assign(new Error('busy'), { code: 'EBUSY' });
      NODE_CGROUP_FS.write(path, data);
    } };
    const warnings: string[] = [];
    assert.equal(createContainerCgroup({ resources: { pids: 2 } }, 1000, (m) => warnings.push(m), { cgroupRoot: root, ownCgroups: own, cgroupFs: busy }), undefined);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /leaf cgroup/);
    assert.throws(() => createContainerCgroup({ resources: { pids: 2 } }, 0, () => undefined, { cgroupRoot: root, ownCgroups: own, cgroupFs: busy }),
      (e: unknown) => e instanceof CgroupError && (e.cause as { code?: string }).code === 'EBUSY');
  });

  it('ContainerCgroup v2, killAll writes cgroup.kill and remove deletes the directory', async () => {
    const root = fakeV2('pids', 'pids');
    roots.push(root);
    const cg = createContainerCgroup({ name: 'k', resources: { pids: 3 } }, 0, () => undefined, { cgroupRoot: root, ownCgroups: own, cgroupFs: FAKE_FS });
    assert.ok(cg);
    const dir = join(root, 'user.slice/me/k');
    writeFileSync(join(dir, 'cgroup.kill'), '0');
    cg.killAll();
    assert.equal(readFileSync(join(dir, 'cgroup.kill'), 'utf8'), '1');
    await cg.remove();
    assert.equal(existsSync(dir), false);
  });

  it('createContainerCgroup v1, one directory per controller below the caller\'s cgroup', () => {
    const root = mkdtempSync(join(tmpdir(), 'ct-cgv1-'));
    roots.push(root);
    for (const c of ['pids', 'memory', 'cpu']) {
      mkdirSync(join(root, c, 'outer'), { recursive: true });
      writeFileSync(join(root, c, 'cgroup.procs'), '');
    }
    const cg = createContainerCgroup({ name: 'b', resources: { pids: 9, memory: 1n << 24n, cpu: { quota: 5000, period: 10000 } } }, 0, () => undefined, {
      cgroupRoot: root, cgroupVersion: 'v1', ownCgroups: new Map([['pids', '/outer'], ['memory', '/outer'], ['cpu', '/outer']]), cgroupFs: FAKE_FS,
    });
    assert.ok(cg);
    assert.deepEqual(cg.paths, ['pids', 'memory', 'cpu'].map((c) => join(root, c, 'outer', 'b')));
    assert.equal(readFileSync(join(root, 'pids/outer/b/pids.max'), 'utf8'), '9');
    assert.equal(readFileSync(join(root, 'memory/outer/b/memory.limit_in_bytes'), 'utf8'), String(1 << 24));
    assert.equal(readFileSync(join(root, 'cpu/outer/b/cpu.cfs_period_us'), 'utf8'), '10000');
    assert.equal(readFileSync(join(root, 'cpu/outer/b/cpu.cfs_quota_us'), 'utf8'), '5000');
  });

  it('validateCgroupSpec, errors name the field', async () => {
    await assert.rejects(runContainer({ command: { argv: ['/x'] }, cgroup: { resources: { pids: 0 } } }),
      (e: unknown) => e instanceof ContainerSpecError && e.field === 'cgroup.resources.pids');
    await assert.rejects(runContainer({ command: { argv: ['/x'] }, cgroup: { name: '../up', resources: {} } }),
      (e: unknown) => e instanceof ContainerSpecError && e.field === 'cgroup.name');
    await assert.rejects(runContainer({ command: { argv: ['/x'] }, cgroup: { resources: { memory: 1n << 20n, memorySwap: 1n << 19n } } }),
      (e: unknown) => e instanceof ContainerSpecError && e.field === 'cgroup.resources.memorySwap');
  });

  it('runContainer (fake kernel), places the child at the cgroup pause, unshares the cgroup ns after, removes on exit', async () => {
    const root = fakeV2('pids', 'pids');
    roots.push(root);
    const sys = new FakeSyscalls();
    const handle = await runContainer({ command: { argv: ['/bin/true'] }, namespaces: ['cgroup', 'uts'], consoleTty: null, cgroup: { name: 'c', resources: { pids: 4 } } }, {}, {
      syscalls: sys, cgroupRoot: root, ownCgroups: own, cgroupFs: FAKE_FS, euid: 0, egid: 0,
    });
    const plan = sys.calls[0]?.plan;
    assert.ok(plan);
    assert.equal(plan.namespaces & CLONE_FLAGS.cgroup, 0, 'not made by the clone');
    const ops = plan.steps.map((s) => (s.op === 'wait' ? `wait:${s.label}` : s.op));
    const at = ops.indexOf('wait:cgroup');
    assert.ok(at >= 0);
    assert.deepEqual(plan.steps[at + 1], { op: 'unshare', flags: CLONE_FLAGS.cgroup });
    assert.equal(readFileSync(join(root, 'user.slice/me/c/cgroup.procs'), 'utf8'), String(handle.pid));
    handle.kill();
    await handle.wait();
    assert.equal(existsSync(join(root, 'user.slice/me/c')), false);
    assert.ok(killedTasks.includes(handle.pid), 'the removal killed the tasks its cgroup.procs listed (through the CgroupFs)');
  });
});
