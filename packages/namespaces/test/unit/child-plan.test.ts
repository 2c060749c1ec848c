import assert from 'node:assert/strict';
import { buildChildPlan, type ChildPlanContext } from '../../src/child-plan.js';
import { planIdMaps } from '../../src/id-map.js';
import { type ContainerSpec, withDefaults } from '../../src/spec.js';

const base = (extra: Partial<ContainerSpec> = {}) =>
  withDefaults({ command: { argv: ['sleep', '1'], env: { PATH: '/bin' } }, ...extra });
const ctx = (spec: ReturnType<typeof base>, over: Partial<ChildPlanContext> = {}): ChildPlanContext => ({
  idMaps: planIdMaps(spec, { euid: 0, egid: 0, subuid: [], subgid: [], newidmapAvailable: false }),
  euid: 0, egid: 0, rootDir: '/r', sourceIsDirectory: () => true, hostDevices: [],
  pauseAfterIdMaps: false, pauseBeforePivotRoot: false, pauseBeforeExec: false, ...over,
});
const ops = (spec: ReturnType<typeof base>, over: Partial<ChildPlanContext> = {}) =>
  buildChildPlan(spec, ctx(spec, over)).plan.steps.map((s) => (s.op === 'wait' ? `wait:${s.label}` : s.op));

describe('buildChildPlan', () => {
  it('buildChildPlan, waits for the id maps first', () => {
    assert.equal(ops(base())[0], 'wait:id-maps');
  });
  it('buildChildPlan, the namespaces pause comes after the id maps, the cgroup placement and the deferred namespaces, before any mount', () => {
    const steps = ops(base({ namespaces: ['user', 'mnt', 'pid', 'net', 'cgroup'], cgroup: { path: 'ct-1', resources: {} } }), { pauseAfterNamespaces: true });
    const at = steps.indexOf('wait:namespaces');
    assert.ok(at > steps.indexOf('wait:id-maps') && at > steps.indexOf('wait:cgroup') && at > steps.lastIndexOf('unshare', at), steps.join(' '));
    assert.ok(at < steps.indexOf('propagation') && at < steps.indexOf('mount'), steps.join(' '));
    assert.equal(ops(base()).includes('wait:namespaces'), false);
  });
  it('buildChildPlan, mount locking: pause, unshare user+mnt, pause, after the read-only root', () => {
    const steps = ops(base());
    const i = steps.indexOf('unshare');
    assert.deepEqual(steps.slice(i - 2, i + 2), ['remount', 'wait:lock-mounts', 'unshare', 'wait:lock-maps']);
    const plan = buildChildPlan(base(), ctx(base())).plan;
    assert.deepEqual(plan.steps[plan.steps.findIndex((s) => s.op === 'unshare')], { op: 'unshare', flags: 0x10020000 });
  });
  it('buildChildPlan, the command is PID 1 and searched in PATH', () => {
    const plan = buildChildPlan(base(), ctx(base())).plan;
    assert.deepEqual(plan.steps.at(-1), { op: 'exec', path: 'sleep', argv: ['sleep', '1'], env: ['PATH=/bin'], search: true });
    assert.deepEqual(plan.fds, [{ from: 0, to: 0 }, { from: 1, to: 1 }, { from: 2, to: 2 }]);
  });
  it('buildChildPlan, init execs our program from the container /dev', () => {
    const spec = base({ init: true });
    const plan = buildChildPlan(spec, ctx(spec, { initPath: '/opt/ct-init' })).plan;
    assert.deepEqual(plan.steps.at(-1), {
      op: 'exec', path: '/dev/.ct-init', argv: ['ct-init', '--', 'sleep', '1'], env: ['PATH=/bin'], search: false,
    });
  });
  it('buildChildPlan, root with a base becomes container root before mounting', () => {
    const spec = base({ hostIdBase: 100000 });
    const steps = ops(spec);
    assert.deepEqual(steps.slice(0, 4), ['wait:id-maps', 'setgroups', 'setresgid', 'setresuid']);
  });
  it('buildChildPlan, guest ids set last, parent-death signal set again after them', () => {
    const spec = base({ killOnParentDeath: true, guestUid: 42, guestGid: 77, capabilities: 'all' });
    const steps = ops(spec);
    assert.equal(steps[0], 'pdeathsig');
    assert.deepEqual(steps.slice(-5), ['setgroups', 'setresgid', 'setresuid', 'pdeathsig', 'exec']);
  });
  it('buildChildPlan, hostname with a new uts namespace', () => {
    const plan = buildChildPlan(base({ hostname: 'test-container' }), ctx(base())).plan;
    assert.ok(plan.steps.some((s) => s.op === 'sethostname' && s.name === 'test-container'));
  });
  it('buildChildPlan, extra fds are passed', () => {
    const spec = base({ extraFds: [{ from: 9, to: 3 }] });
    assert.deepEqual(buildChildPlan(spec, ctx(spec)).plan.fds?.at(-1), { from: 9, to: 3 });
  });
  it('buildChildPlan, devices as root: mknod without a user namespace, bound from the host in a joined one (runc)', () => {
    const devices = [{ path: '/dev/fuse', type: 'c' as const, major: 10, minor: 229 }];
    const own = base({ namespaces: ['mnt', 'pid'], devices });
    assert.ok(ops(own, { idMaps: undefined }).includes('mknod'));
    const joined = base({ namespaces: [{ kind: 'user', path: '/proc/1/ns/user' }, 'mnt', 'pid'], devices });
    assert.ok(!ops(joined, { idMaps: undefined }).includes('mknod'), 'a joined user namespace cannot mknod');
  });
});
