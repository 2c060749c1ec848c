import assert from 'node:assert/strict';
import { buildChildPlan, type ChildPlanContext } from '../../src/child-plan.js';
import { planIdMaps } from '../../src/id-map.js';
import { CLONE_FLAGS } from '../../src/namespaces.js';
import { type ContainerSpec, withDefaults } from '../../src/spec.js';

const spec = (extra: Partial<ContainerSpec>) =>
  withDefaults({ command: { argv: ['true'] }, root: { kind: 'rootfs', path: '/r' }, lockMounts: false, ...extra });
const plan = (s: ReturnType<typeof spec>, euid = 0, over: Partial<ChildPlanContext> = {}) => {
  const ctx: ChildPlanContext = {
    idMaps: s.namespaces.some((n) => n.kind === 'user' && n.path === undefined)
      ? planIdMaps(s, { euid, egid: euid, subuid: [], subgid: [], newidmapAvailable: false }) : undefined,
    euid, egid: euid, rootDir: '/r', sourceIsDirectory: () => true, hostDevices: [],
    pauseAfterIdMaps: false, pauseBeforePivotRoot: false, pauseBeforeExec: false, ...over,
  };
  return buildChildPlan(s, ctx).plan;
};
const ops = (p: ReturnType<typeof plan>) => p.steps.map((s) => (s.op === 'setns' ? `setns:${s.path}` : s.op));

describe('planNamespaces', () => {
  it('planNamespaces, only new namespaces: the clone makes them all, no setns, no fork', () => {
    const p = plan(spec({ namespaces: ['mnt', 'pid', 'uts'] }));
    assert.equal(p.namespaces, CLONE_FLAGS.mnt | CLONE_FLAGS.pid | CLONE_FLAGS.uts);
    assert.ok(!p.steps.some((s) => s.op === 'setns' || s.op === 'forkInit' || s.op === 'unshare'));
  });
  it('planNamespaces, a pid namespace joined by path: setns, unshare the new ones, then forkInit, all first', () => {
    const p = plan(spec({ namespaces: ['mnt', 'uts', { kind: 'pid', path: '/proc/7/ns/pid' }, { kind: 'net', path: '/proc/7/ns/net' }] }));
    assert.equal(p.namespaces, 0, 'nothing made by the clone: the joins come first');
    assert.deepEqual(ops(p).slice(0, 4), ['setns:/proc/7/ns/net', 'setns:/proc/7/ns/pid', 'unshare', 'forkInit']);
    assert.deepEqual(p.steps[2], { op: 'unshare', flags: CLONE_FLAGS.mnt | CLONE_FLAGS.uts });
  });
  it('planNamespaces, joins in runc\'s order: user first, mnt after the others', () => {
    const p = plan(spec({
      namespaces: [{ kind: 'mnt', path: '/m' }, { kind: 'ipc', path: '/i' }, { kind: 'user', path: '/u' }, { kind: 'cgroup', path: '/c' }],
    }));
    assert.deepEqual(ops(p).slice(0, 4), ['setns:/u', 'setns:/i', 'setns:/m', 'setns:/c']);
    assert.ok(!ops(p).includes('forkInit'), 'no pid namespace of its own: no fork');
  });
  it('planNamespaces, a new pid namespace beside a joined one is unshared and forked into', () => {
    const p = plan(spec({ namespaces: ['mnt', 'pid', { kind: 'ipc', path: '/i' }] }));
    assert.deepEqual(ops(p).slice(0, 3), ['setns:/i', 'unshare', 'forkInit']);
    assert.deepEqual(p.steps[1], { op: 'unshare', flags: CLONE_FLAGS.mnt | CLONE_FLAGS.pid });
  });
  it('planNamespaces, a new user namespace made by unshare: dumpable while paused for an unprivileged caller', () => {
    const p = plan(spec({ namespaces: ['user', 'mnt', { kind: 'net', path: '/n' }] }), 1000);
    assert.equal(p.dumpableWhilePaused, true);
    assert.deepEqual(ops(p).slice(0, 3), ['setns:/n', 'unshare', 'wait']);
  });
  it('planNamespaces, the parent-death signal is set after the fork (it is not inherited)', () => {
    const p = plan(spec({ namespaces: ['mnt', { kind: 'pid', path: '/p' }], killOnParentDeath: true }));
    assert.deepEqual(ops(p).slice(0, 4), ['setns:/p', 'unshare', 'forkInit', 'pdeathsig']);
  });
  it('planNamespaces, a new cgroup namespace is unshared after the cgroup pause, also for a cgroup the caller made', () => {
    const p = plan(spec({ namespaces: ['mnt', 'cgroup'] }), 0, { pauseForCgroup: true });
    assert.equal(p.namespaces & CLONE_FLAGS.cgroup, 0, 'not made by the clone: its root would be the creator\'s cgroup');
    const at = p.steps.findIndex((s) => s.op === 'wait' && s.label === 'cgroup');
    assert.deepEqual(p.steps[at + 1], { op: 'unshare', flags: CLONE_FLAGS.cgroup });
  });
});
