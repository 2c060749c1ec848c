/**
 * Nested cgroup paths (CgroupSpec.path, the runtime-spec's cgroupsPath) on fake cgroupfs trees that behave as the
 * kernel does where it matters: mkdir fills in the interface files (v2: cgroup.controllers from the parent's
 * subtree_control; v1 cpuset: empty cpus and mems), rmdir removes them but fails with EBUSY while a child cgroup is
 * left. Checked: parents made from each hierarchy's root (absolute) or below the caller's cgroup (relative), cpuset
 * copied down, v2 controllers enabled level by level, and removal of the empty parents ct made, and only those.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import {
  type CgroupFs, cgroupPathComponents, ContainerSpecError, createContainerCgroup, NODE_CGROUP_FS, openContainerCgroup,
  validateCgroupSpec,
} from '../../src/index.js';

/** mkdir as cgroupfs: interface files appear (v2 controllers from the parent's subtree_control, v1 cpuset empty). */
const KERNEL_FS: CgroupFs = {
  ...NODE_CGROUP_FS,
  killTask(pid) { throw new Error(`test: a fake cgroupfs would SIGKILL host pid ${pid}`); },
  mkdir(path) {
    mkdirSync(path);
    writeFileSync(join(path, 'cgroup.procs'), '');
    const parent = dirname(path);
    if (existsSync(join(parent, 'cgroup.subtree_control'))) {
      writeFileSync(join(path, 'cgroup.controllers'), readFileSync(join(parent, 'cgroup.subtree_control'), 'utf8').replace(/\+/g, ''));
      writeFileSync(join(path, 'cgroup.subtree_control'), '');
    }
    if (existsSync(join(parent, 'cpuset.cpus'))) for (const f of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(join(path, f), '');
  },
  rmdir(path) {
    if (!existsSync(path)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    if (readdirSync(path, { withFileTypes: true }).some((e) => e.isDirectory())) throw Object.assign(new Error(`EBUSY: ${path}`), { code: 'EBUSY' });
    rmSync(path, { recursive: true });
  },
};

function hierarchy(root: string, name: string, files: Record<string, string> = {}): void {
  mkdirSync(join(root, name, 'user', 'me'), { recursive: true });
  for (const dir of [join(root, name), join(root, name, 'user'), join(root, name, 'user', 'me')]) {
    writeFileSync(join(dir, 'cgroup.procs'), '');
    for (const [f, v] of Object.entries(files)) writeFileSync(join(dir, f), v);
  }
}

function fakeV1(): string {
  const root = mkdtempSync(join(tmpdir(), 'ct-cgnest1-'));
  hierarchy(root, 'pids');
  hierarchy(root, 'cpuset', { 'cpuset.cpus': '0-1', 'cpuset.mems': '0' });
  return root;
}

function fakeV2(): string {
  const root = mkdtempSync(join(tmpdir(), 'ct-cgnest2-'));
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids');
  writeFileSync(join(root, 'cgroup.subtree_control'), '');
  writeFileSync(join(root, 'cgroup.procs'), '');
  return root;
}

const own = new Map([['pids', '/user/me'], ['cpuset', '/user/me'], ['', '/']]);
const noWarn = (): never => assert.fail('no warning expected');

describe('cgroup nesting (fake cgroupfs)', () => {
  const roots: string[] = [];
  afterEach(() => { for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true }); });

  it('createContainerCgroup v1 path, absolute: nested from each hierarchy\'s root, cpuset copied down, parents recorded', () => {
    const root = fakeV1();
    roots.push(root);
    const cg = createContainerCgroup({ path: '/t/a/b', resources: { pids: 9 }, allControllers: true }, 0, noWarn,
      { cgroupRoot: root, cgroupVersion: 'v1', ownCgroups: own, cgroupFs: KERNEL_FS });
    assert.ok(cg);
    assert.deepEqual(cg.paths, [join(root, 'cpuset/t/a/b'), join(root, 'pids/t/a/b')]);
    assert.deepEqual(cg.parents, [join(root, 'cpuset/t/a'), join(root, 'cpuset/t'), join(root, 'pids/t/a'), join(root, 'pids/t')]);
    assert.equal(readFileSync(join(root, 'pids/t/a/b/pids.max'), 'utf8'), '9');
    for (const level of ['t', 't/a', 't/a/b']) {
      assert.equal(readFileSync(join(root, 'cpuset', level, 'cpuset.cpus'), 'utf8'), '0-1', level);
      assert.equal(readFileSync(join(root, 'cpuset', level, 'cpuset.mems'), 'utf8'), '0', level);
    }
  });

  it('createContainerCgroup v1 path, relative: nested below the caller\'s cgroup', () => {
    const root = fakeV1();
    roots.push(root);
    const cg = createContainerCgroup({ path: 'x/y', resources: { pids: 3 } }, 0, noWarn,
      { cgroupRoot: root, cgroupVersion: 'v1', ownCgroups: own, cgroupFs: KERNEL_FS });
    assert.deepEqual(cg?.paths, [join(root, 'pids/user/me/x/y')]);
    assert.deepEqual(cg?.parents, [join(root, 'pids/user/me/x')]);
  });

  it('ContainerCgroup v1 remove, takes the empty parents it made and keeps those in use or found', async () => {
    const root = fakeV1();
    roots.push(root);
    mkdirSync(join(root, 'pids/shared'));
    const opts = { cgroupRoot: root, cgroupVersion: 'v1' as const, ownCgroups: own, cgroupFs: KERNEL_FS };
    const first = createContainerCgroup({ path: '/shared/ns/c1', resources: { pids: 5 } }, 0, noWarn, opts);
    const second = createContainerCgroup({ path: '/shared/ns/c2', resources: { pids: 5 } }, 0, noWarn, opts);
    assert.deepEqual(first?.parents, [join(root, 'pids/shared/ns')]);
    assert.deepEqual(second?.parents, []);
    // reopened from the record, as a later `delete` does
    await openContainerCgroup(first?.paths ?? [], { ...opts, parents: first?.parents ?? [] }).remove();
    assert.equal(existsSync(join(root, 'pids/shared/ns/c1')), false);
    assert.equal(existsSync(join(root, 'pids/shared/ns')), true, 'still holds c2');
    await second?.remove();
    assert.equal(existsSync(join(root, 'pids/shared/ns/c2')), false);
    assert.equal(existsSync(join(root, 'pids/shared/ns')), true, 'not made by the second container');
    assert.equal(existsSync(join(root, 'pids/shared')), true, 'found, not made');
  });

  it('createContainerCgroup v2 path: controllers enabled at each level, parents removed with the cgroup', async () => {
    const root = fakeV2();
    roots.push(root);
    const cg = createContainerCgroup({ path: '/k8s/pod/c', resources: { pids: 4, memory: 1n << 24n } }, 0, noWarn,
      { cgroupRoot: root, ownCgroups: own, cgroupFs: KERNEL_FS });
    assert.ok(cg);
    assert.deepEqual(cg.paths, [join(root, 'k8s/pod/c')]);
    assert.deepEqual(cg.parents, [join(root, 'k8s/pod'), join(root, 'k8s')]);
    for (const level of ['', 'k8s', 'k8s/pod']) assert.equal(readFileSync(join(root, level, 'cgroup.subtree_control'), 'utf8'), '+pids +memory', level || '/');
    assert.equal(readFileSync(join(root, 'k8s/pod/c/memory.max'), 'utf8'), String(1 << 24));
    await cg.remove();
    assert.equal(existsSync(join(root, 'k8s')), false);
    assert.equal(existsSync(join(root, 'cgroup.procs')), true);
  });

  it('createContainerCgroup v2 path, a failed limit removes the leaf and the parents made', () => {
    const root = fakeV2();
    roots.push(root);
    const failing: CgroupFs = { ...KERNEL_FS, write: (p, d) => { if (basename(p) === 'pids.max') throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' }); KERNEL_FS.write(p, d); } };
    assert.throws(() => createContainerCgroup({ path: '/a/b', resources: { pids: 4 } }, 0, noWarn, { cgroupRoot: root, ownCgroups: own, cgroupFs: failing }),
      (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'CGROUP');
    assert.equal(existsSync(join(root, 'a')), false);
  });

  it('validateCgroupSpec path, errors name the field', () => {
    for (const path of ['/', '/a/../b', 'a/./b', '/a b']) {
      assert.throws(() => validateCgroupSpec({ path, resources: {} }), (e: unknown) => e instanceof ContainerSpecError && e.field === 'cgroup.path', path);
    }
    assert.throws(() => validateCgroupSpec({ path: '/a', name: 'b', resources: {} }), (e: unknown) => e instanceof ContainerSpecError && e.field === 'cgroup.path');
    assert.deepEqual(cgroupPathComponents('//default//c1/'), ['default', 'c1']);
  });
});
