/**
 * Where the confinement steps land in the child plan (runc's order), how the fields are validated, capability
 * planning for root and non-root guests, and rlimit clamping from a fake /proc.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildChildPlan, type ChildPlanContext } from '../../src/child-plan.js';
import { planIdMaps } from '../../src/id-map.js';
import { type ContainerSpec, withDefaults } from '../../src/spec.js';
import {
  capabilityBit, clampRlimits, ContainerSpecError, CLONE_FLAGS, NAMESPACES, planCapabilities, readRlimitHost,
  resolveCapabilities, RLIM_INFINITY,
} from '../../src/index.js';

const base = (extra: Partial<ContainerSpec> = {}) => withDefaults({ command: { argv: ['/bin/x'] }, ...extra });
const ctx = (spec: ReturnType<typeof base>, over: Partial<ChildPlanContext> = {}): ChildPlanContext => ({
  idMaps: planIdMaps(spec, { euid: 0, egid: 0, subuid: [], subgid: [], newidmapAvailable: false }),
  euid: 0, egid: 0, rootDir: '/r', sourceIsDirectory: () => true, hostDevices: [], pathKind: () => 'file',
  pauseAfterIdMaps: false, pauseBeforePivotRoot: false, pauseBeforeExec: false, execFifoFd: 9, ...over,
});
const ops = (spec: ReturnType<typeof base>, over: Partial<ChildPlanContext> = {}) =>
  buildChildPlan(spec, ctx(spec, over)).plan.steps.map((s) => (s.op === 'wait' ? `wait:${s.label}` : s.op));
const SECCOMP = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] } as const;

describe('confinement in the child plan', () => {
  it('buildChildPlan, runc order: oom_score_adj first, masks after pivot_root, attributes, caps after the id switch, nnp, fifo, seccomp, exec', () => {
    const steps = ops(base({
      maskedPaths: ['/proc/kcore'], readonlyPaths: ['/proc/sys'], oomScoreAdj: 1, umask: 0o22,
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1n, hard: 1n }], capabilities: ['CAP_KILL'], noNewPrivileges: true,
      seccomp: SECCOMP, execFifo: '/run/fifo',
    }));
    const at = (op: string): number => {
      const i = steps.indexOf(op);
      assert.ok(i >= 0, op);
      return i;
    };
    const order = ['wait:id-maps', 'sessionKeyring', 'oomScoreAdj', 'pivotRoot', 'mount', 'rlimit', 'umask', 'chdir', 'setresuid', 'capabilities', 'noNewPrivs',
      'wait:created', 'waitFifo', 'closeFrom', 'seccomp', 'exec'];
    const positions = order.map((op) => (op === 'mount' ? steps.indexOf('mount', at('pivotRoot')) : at(op)));
    assert.ok(at('oomScoreAdj') < steps.indexOf('mount'), 'oom_score_adj through the host /proc, before any mount');
    assert.deepEqual([...positions].sort((a, b) => a - b), positions, steps.join(' '));
    assert.equal(steps.at(-2), 'seccomp');
  });

  it('buildChildPlan, default capabilities: dropped by root or in a new user namespace, moot for an unprivileged caller without one', () => {
    const capsOps = (spec: ReturnType<typeof base>, euid: number) =>
      buildChildPlan(spec, ctx(spec, { euid, egid: euid, idMaps: undefined })).plan.steps.filter((s) => s.op === 'capabilities').length;
    const noUserNs = { namespaces: [], root: { kind: 'host' } } as const;
    assert.equal(capsOps(base({ ...noUserNs, guestUid: 1000, guestGid: 1000 }), 1000), 0);
    assert.equal(capsOps(base({ ...noUserNs, guestUid: 1000, guestGid: 1000, capabilities: ['CAP_KILL'] }), 1000), 1, 'explicit: kept (and refused by the kernel)');
    assert.equal(capsOps(base(noUserNs), 0), 1, 'root drops them');
    assert.equal(capsOps(base({}), 0), 1);
  });

  it('buildChildPlan, session keyring: a new anonymous one by default, named, or none with false', () => {
    const keyringSteps = (spec: ReturnType<typeof base>) => buildChildPlan(spec, ctx(spec)).plan.steps.filter((s) => s.op === 'sessionKeyring');
    assert.deepEqual(keyringSteps(base({})), [{ op: 'sessionKeyring', perm: 0x3f130008 }]);
    assert.deepEqual(keyringSteps(base({ sessionKeyring: '_ses.box', namespaces: ['mnt', 'pid'] })), [{ op: 'sessionKeyring', name: '_ses.box', perm: 0x3f1b0000 }]);
    assert.deepEqual(keyringSteps(base({ sessionKeyring: false })), []);
  });

  it('buildChildPlan, without no_new_privs seccomp is loaded before the capabilities are dropped', () => {
    const steps = ops(base({ capabilities: ['CAP_KILL'], seccomp: SECCOMP }));
    assert.ok(steps.indexOf('seccomp') < steps.indexOf('capabilities'));
    assert.ok(steps.indexOf('seccomp') > steps.indexOf('pivotRoot'));
  });

  it('buildChildPlan, the exec fifo is passed above the other fds and opened through /proc/self/fd', () => {
    const spec = base({ execFifo: '/run/fifo', extraFds: [{ from: 7, to: 5 }] });
    const { plan } = buildChildPlan(spec, ctx(spec));
    assert.deepEqual(plan.fds?.at(-1), { from: 9, to: 6 });
    assert.deepEqual(plan.steps.find((s) => s.op === 'waitFifo'), { op: 'waitFifo', path: '/proc/self/fd/6' });
  });

  it('buildChildPlan, time offsets: no CLONE_NEWTIME, unshare and timens_offsets in the child', () => {
    const spec = base({ namespaces: [...NAMESPACES, 'time'], timeOffsets: { boottime: { secs: 10 }, monotonic: { secs: -5, nanosecs: 7 } } });
    const { plan } = buildChildPlan(spec, ctx(spec));
    assert.equal(plan.namespaces & CLONE_FLAGS.time, 0);
    const i = plan.steps.findIndex((s) => s.op === 'unshare' && s.flags === CLONE_FLAGS.time);
    assert.deepEqual(plan.steps[i + 1], { op: 'writeProcSelf', file: 'timens_offsets', data: 'monotonic -5 7\nboottime 10 0\n' });
  });

  it('buildChildPlan, masked file → /dev/null bind, directory → read-only tmpfs, missing → nothing, all in the root', () => {
    const spec = base({ maskedPaths: ['/a', '/d', '/gone'] });
    const kinds: Record<string, 'file' | 'directory'> = { '/a': 'file', '/d': 'directory' };
    const { plan } = buildChildPlan(spec, ctx(spec, { pathKind: (p) => kinds[p] }));
    const masks = plan.steps.filter((s) => s.op === 'mount' && ['/a', '/d', '/gone'].includes(s.target));
    assert.deepEqual(masks.map((s) => s.op === 'mount' && [s.target, s.source, s.fstype ?? '', s.inRoot]), [
      ['/a', '/dev/null', '', '/'], ['/d', 'tmpfs', 'tmpfs', '/'],
    ]);
  });

  it('buildChildPlan, noPivotRoot moves the root and chroots', () => {
    const steps = ops(base({ noPivotRoot: true }));
    assert.equal(steps.includes('pivotRoot'), false);
    const i = steps.indexOf('chroot');
    assert.deepEqual(steps.slice(i - 2, i + 2), ['chdir', 'mount', 'chroot', 'chdir']);
  });

  it('buildChildPlan, supplementary groups need setgroups: refused with a single-id map', () => {
    const spec = base({ additionalGids: [5] });
    const maps = planIdMaps(spec, { euid: 1000, egid: 1000, subuid: [], subgid: [], newidmapAvailable: false });
    assert.throws(() => buildChildPlan(spec, ctx(spec, { idMaps: maps, euid: 1000, egid: 1000 })),
      (e: unknown) => e instanceof ContainerSpecError && e.field === 'additionalGids');
  });

  describe('validation names the field', () => {
    const bad: [string, Partial<ContainerSpec>][] = [
      ['capabilities[1]', { capabilities: ['CAP_KILL', 'CAP_NOPE' as 'CAP_KILL'] }],
      ['capabilities.ambient', { capabilities: { bounding: [], effective: [], permitted: [], inheritable: [], ambient: ['CAP_KILL'] } }],
      ['capabilities.effective', { capabilities: { bounding: [], effective: ['CAP_KILL'], permitted: [], inheritable: [], ambient: [] } }],
      ['umask', { umask: 0o1000 }],
      ['additionalGids[0]', { additionalGids: [-1] }],
      ['oomScoreAdj', { oomScoreAdj: 1001 }],
      ['rlimits[0].type', { rlimits: [{ type: 'RLIMIT_X' as 'RLIMIT_AS', soft: 1n, hard: 1n }] }],
      ['rlimits[0].soft', { rlimits: [{ type: 'RLIMIT_AS', soft: 2n, hard: 1n }] }],
      ['rlimits[0].hard', { rlimits: [{ type: 'RLIMIT_AS', soft: 1n, hard: 1 as unknown as bigint }] }],
      ['domainname', { domainname: 'x', namespaces: ['user', 'mnt'] }],
      ['timeOffsets', { timeOffsets: { boottime: { secs: 1 } } }],
      ['timeOffsets.boottime.nanosecs', { namespaces: [...NAMESPACES, 'time'], timeOffsets: { boottime: { secs: 1, nanosecs: 1e9 } } }],
      ['maskedPaths[0]', { maskedPaths: ['proc/kcore'] }],
      ['readonlyPaths[0]', { readonlyPaths: ['/proc/../etc'] }],
      ['seccomp.syscalls[0].action', { seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOTIFY' as 'SCMP_ACT_LOG' }] } }],
      ['execFifo', { execFifo: 'relative' }],
      ['noPivotRoot', { noPivotRoot: true, namespaces: ['user'] }],
      ['execWrapper.path', { execWrapper: { path: 'x', argv: ['x'] } }],
      ['mounts[0].propagation', { mounts: [{ type: 'bind', source: '/a', target: '/b', propagation: 'bogus' as 'shared' }] }],
      ['rootPropagation', { rootPropagation: 'bogus' as 'shared' }],
      ['devices', { namespaces: ['user'], devices: [{ path: '/dev/x', type: 'c', major: 1, minor: 1 }] }],
      ['devices[0].type', { devices: [{ path: '/dev/x', type: 'x' as 'c', major: 1, minor: 1 }] }],
      ['devices[0].path', { devices: [{ path: 'dev/x', type: 'c', major: 1, minor: 1 }] }],
    ];
    for (const [field, extra] of bad) {
      it(`withDefaults, ${field}`, () => {
        assert.throws(() => base(extra), (e: unknown) => e instanceof ContainerSpecError && e.field === field);
      });
    }
  });

  it('planCapabilities, a non-root guest: drop and keepcaps before the switch, final sets after', () => {
    const masks = resolveCapabilities({ bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: [], ambient: [] });
    const plan = planCapabilities(masks, 1000, true);
    assert.deepEqual(plan.before.map((p) => p.step.op), ['capabilities', 'keepCaps']);
    const first = plan.before[0]?.step;
    assert.ok(first?.op === 'capabilities');
    assert.equal(first.bounding, capabilityBit('', 'CAP_KILL'));
    assert.ok((first.permitted & capabilityBit('', 'CAP_SETUID')) !== 0n);
    const last = plan.after[0]?.step;
    assert.ok(last?.op === 'capabilities');
    assert.equal(last.permitted, capabilityBit('', 'CAP_KILL'));
  });

  it('readRlimitHost and clampRlimits, a fake /proc without CAP_SYS_RESOURCE', () => {
    const proc = mkdtempSync(join(tmpdir(), 'ct-proc-'));
    try {
      mkdirSync(join(proc, 'self'));
      writeFileSync(join(proc, 'self/limits'), [
        'Limit                     Soft Limit           Hard Limit           Units     ',
        'Max cpu time              unlimited            unlimited            seconds   ',
        'Max file size             unlimited            unlimited            bytes     ',
        'Max data size             unlimited            unlimited            bytes     ',
        'Max stack size            8388608              unlimited            bytes     ',
        'Max core file size        0                    unlimited            bytes     ',
        'Max resident set          unlimited            unlimited            bytes     ',
        'Max processes             63000                63000                processes ',
        'Max open files            1024                 20000                files     ', ''].join('\n'));
      writeFileSync(join(proc, 'self/status'), 'Name:\tnode\nCapEff:\t000001fffeffffff\n');
      const host = readRlimitHost(proc);
      assert.equal(host.canRaise, false);
      assert.equal(host.hardLimit('RLIMIT_NOFILE'), 20000n);
      assert.equal(host.hardLimit('RLIMIT_NPROC'), 63000n);
      const warnings: string[] = [];
      const out = clampRlimits([
        { type: 'RLIMIT_NOFILE', soft: 30000n, hard: RLIM_INFINITY }, { type: 'RLIMIT_NPROC', soft: 10n, hard: 100n },
      ], host, (m) => warnings.push(m));
      assert.deepEqual(out, [{ type: 'RLIMIT_NOFILE', soft: 20000n, hard: 20000n }, { type: 'RLIMIT_NPROC', soft: 10n, hard: 100n }]);
      assert.equal(warnings.length, 1);
    } finally {
      rmSync(proc, { recursive: true, force: true });
    }
  });
});
