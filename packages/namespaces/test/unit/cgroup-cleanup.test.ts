/**
 * Finding a container's cgroup by its placement alone, on fake trees: every v1 hierarchy (and a v2 mount beside
 * them) for a name, a relative and an absolute path; the v2 root; only what exists found; removal of what was made
 * (no process inside), the named empty parents with it, and nothing of a neighbour's.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CgroupFs, createContainerCgroup, findContainerCgroups, NODE_CGROUP_FS, plannedCgroupDirs, removeContainerCgroups,
} from '../../src/index.js';

/** node:fs, with rmdir as cgroupfs's: the interface files go with the directory, a child cgroup makes it EBUSY. */
const FAKE_FS: CgroupFs = {
  ...NODE_CGROUP_FS,
  killTask(pid) { throw new Error(`test: a fake cgroupfs would SIGKILL host pid ${pid}`); },
  rmdir(path) {
    if (readdirSync(path, { withFileTypes: true }).some((e) => e.isDirectory())) throw Object.assign(new Error(`EBUSY: ${path}`), { code: 'EBUSY' });
    rmSync(path, { recursive: true });
  },
};

/** A v1 layout: pids, memory, freezer, a named systemd hierarchy and a v2 mount at unified; the caller in /outer. */
function v1Tree(roots: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'ct-cgclean-'));
  roots.push(root);
  for (const h of ['pids', 'memory', 'freezer', 'systemd', 'unified']) {
    mkdirSync(join(root, h, 'outer'), { recursive: true });
    writeFileSync(join(root, h, 'cgroup.procs'), '');
  }
  writeFileSync(join(root, 'unified', 'cgroup.controllers'), '');
  writeFileSync(join(root, 'unified', 'outer', 'cgroup.controllers'), '');
  writeFileSync(join(root, 'unified', 'outer', 'cgroup.subtree_control'), '');
  return root;
}
const own = new Map([['pids', '/outer'], ['memory', '/outer'], ['freezer', '/outer'], ['name=systemd', '/outer'], ['', '/outer']]);

describe('cgroup cleanup by placement (fake cgroupfs)', () => {
  const roots: string[] = [];
  afterEach(() => { for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true }); });

  it('plannedCgroupDirs v1, a name: one directory per hierarchy below the caller\'s cgroup, the v2 mount included', () => {
    const root = v1Tree(roots);
    assert.deepEqual(plannedCgroupDirs({ name: 'ct-abc' }, { cgroupRoot: root, ownCgroups: own, cgroupFs: FAKE_FS }), {
      paths: ['freezer', 'memory', 'pids', 'systemd', 'unified'].map((h) => join(root, h, 'outer', 'ct-abc')), parents: [],
    });
  });

  it('plannedCgroupDirs v1, an absolute path starts at each hierarchy\'s root, a relative one below the caller', () => {
    const root = v1Tree(roots);
    const opts = { cgroupRoot: root, ownCgroups: own, cgroupFs: FAKE_FS };
    assert.equal(plannedCgroupDirs({ path: '/k8s/pod/c1' }, opts).paths[0], join(root, 'freezer/k8s/pod/c1'));
    assert.equal(plannedCgroupDirs({ path: 'pod/c1' }, opts).paths[1], join(root, 'memory/outer/pod/c1'));
  });

  it('plannedCgroupDirs v1, the missing parents of a nested path, deepest first; one that exists is not listed', () => {
    const root = v1Tree(roots);
    mkdirSync(join(root, 'pids/k8s'));
    const { parents } = plannedCgroupDirs({ path: '/k8s/pod/c1' }, { cgroupRoot: root, ownCgroups: own, cgroupFs: FAKE_FS });
    assert.deepEqual(parents.filter((p) => p.includes('/pids/') || p.includes('/memory/')),
      [join(root, 'memory/k8s/pod'), join(root, 'memory/k8s'), join(root, 'pids/k8s/pod')]);
  });

  it('plannedCgroupDirs, the plan made before create names exactly what create makes (the hybrid v2 mount included)', () => {
    const root = v1Tree(roots);
    const opts = { cgroupRoot: root, ownCgroups: own, cgroupFs: FAKE_FS };
    const plan = plannedCgroupDirs({ path: 'a/b' }, opts);
    const made = createContainerCgroup({ path: 'a/b', resources: {}, allControllers: true }, 0, () => undefined, { ...opts, cgroupVersion: 'v1' });
    assert.ok(made);
    assert.deepEqual([...made.paths].sort(), [...plan.paths].sort());
    assert.ok(made.paths.includes(join(root, 'unified/outer/a/b')), 'runc joins the hybrid layout\'s v2 mount too');
    assert.deepEqual([...made.parents].sort(), [...plan.parents].sort());
  });

  it('createContainerCgroup v1 hybrid, the v2 mount only with allControllers; place writes its cgroup.procs, remove takes it', async () => {
    const root = v1Tree(roots);
    const opts = { cgroupRoot: root, ownCgroups: own, cgroupFs: FAKE_FS, cgroupVersion: 'v1' as const };
    const limitsOnly = createContainerCgroup({ name: 'c1', resources: { pids: 5 } }, 0, () => undefined, opts);
    assert.deepEqual(limitsOnly?.paths, [join(root, 'pids/outer/c1')]);
    await limitsOnly?.remove();
    const made = createContainerCgroup({ path: '/c2', resources: {}, allControllers: true }, 0, () => undefined, opts);
    assert.ok(made);
    const v2 = join(root, 'unified/c2');
    assert.ok(made.paths.includes(v2), made.paths.join(' '));
    made.place(4242);
    assert.equal(readFileSync(join(v2, 'cgroup.procs'), 'utf8'), '4242');
    writeFileSync(join(v2, 'cgroup.procs'), '');
    await made.remove();
    assert.equal(existsSync(v2), false);
  });

  it('plannedCgroupDirs v2 root: the one directory', () => {
    const root = mkdtempSync(join(tmpdir(), 'ct-cgclean2-'));
    roots.push(root);
    writeFileSync(join(root, 'cgroup.controllers'), 'pids');
    assert.deepEqual(plannedCgroupDirs({ name: 'ct-x' }, { cgroupRoot: root, ownCgroups: new Map([['', '/a/b']]), cgroupFs: FAKE_FS }).paths, [join(root, 'a/b/ct-x')]);
  });

  it('plannedCgroupDirs, a name that is not one component is refused', () => {
    const root = v1Tree(roots);
    assert.throws(() => plannedCgroupDirs({ name: '../x' }, { cgroupRoot: root, ownCgroups: own, cgroupFs: FAKE_FS }));
    assert.throws(() => plannedCgroupDirs({ name: 'a/b' }, { cgroupRoot: root, ownCgroups: own, cgroupFs: FAKE_FS }));
  });

  it('removeContainerCgroups, what createContainerCgroup made is found and removed, named empty parents too, a neighbour kept', async () => {
    const root = v1Tree(roots);
    const opts = { cgroupRoot: root, ownCgroups: own, cgroupFs: FAKE_FS };
    const made = createContainerCgroup({ path: 'pod/c1', resources: { pids: 10 }, allControllers: true }, 0, () => undefined, { ...opts, cgroupVersion: 'v1' });
    assert.ok(made);
    mkdirSync(join(root, 'pids/outer/pod/c2'));
    writeFileSync(join(root, 'pids/outer/pod/c2/cgroup.procs'), '');
    assert.deepEqual(findContainerCgroups({ path: 'pod/c1' }, opts), made.paths);
    const removed = await removeContainerCgroups({ path: 'pod/c1' }, { ...opts, parents: made.parents });
    assert.deepEqual(removed, made.paths);
    for (const d of made.paths) assert.equal(existsSync(d), false, d);
    assert.equal(existsSync(join(root, 'pids/outer/pod/c2')), true, 'the neighbour stays');
    assert.equal(existsSync(join(root, 'pids/outer/pod')), true, 'its parent is still in use');
    assert.equal(existsSync(join(root, 'memory/outer/pod')), false, 'an empty parent named is removed');
    assert.deepEqual(await removeContainerCgroups({ path: 'pod/c1' }, opts), [], 'nothing left to find');
  });
});
