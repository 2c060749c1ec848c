import assert from 'node:assert/strict';
import { drivePauses, pauseStep, unexpectedPause, type PauseHandlers, type PauseLabel } from '../../src/pause-protocol.js';
import { FakeSyscalls } from './fake-syscalls.js';

const exec = { op: 'exec', path: '/bin/true', argv: ['true'], env: [], search: false } as const;

/** Handlers that record the labels they were called with. */
function recording(seen: string[]): PauseHandlers {
  const h = (label: PauseLabel) => (pid: number) => { seen.push(`${label}:${pid}`); };
  return {
    'id-maps': h('id-maps'), cgroup: h('cgroup'), namespaces: h('namespaces'), 'before-pivot-root': h('before-pivot-root'), 'lock-mounts': h('lock-mounts'),
    'lock-maps': h('lock-maps'), 'before-exec': h('before-exec'), created: unexpectedPause('created'),
  };
}

describe('drivePauses', () => {
  it('drivePauses, each pause answered by its handler, then released, until exec', async () => {
    const sys = new FakeSyscalls();
    const described = [pauseStep('id-maps'), pauseStep('cgroup'), pauseStep('before-exec'), { step: exec, what: 'exec' }];
    const child = sys.spawn({ namespaces: 0, steps: described.map((d) => d.step) });
    const seen: string[] = [];
    assert.equal(await drivePauses(child, described, recording(seen)), true);
    assert.deepEqual(seen, ['id-maps:1000', 'cgroup:1000', 'before-exec:1000']);
    assert.deepEqual(sys.log, ['1000:paused:id-maps', '1000:release', '1000:paused:cgroup', '1000:release',
      '1000:paused:before-exec', '1000:release', '1000:exec']);
  });
  it('drivePauses, stops once released from the label asked for', async () => {
    const sys = new FakeSyscalls();
    const described = [pauseStep('before-exec'), { step: exec, what: 'exec' }];
    const child = sys.spawn({ namespaces: 0, steps: described.map((d) => d.step) });
    assert.equal(await drivePauses(child, described, recording([]), 'before-exec'), false);
    assert.deepEqual(sys.log, ['1000:paused:before-exec', '1000:release']);
  });
  it('drivePauses, a pause the plan should not have is an error, the child left paused', async () => {
    const sys = new FakeSyscalls();
    const described = [pauseStep('created'), { step: exec, what: 'exec' }];
    const child = sys.spawn({ namespaces: 0, steps: described.map((d) => d.step) });
    await assert.rejects(drivePauses(child, described, recording([])), /unexpected pause created/);
    assert.deepEqual(sys.log, ['1000:paused:created']);
  });
  it('drivePauses, a label outside the protocol is refused', async () => {
    const sys = new FakeSyscalls();
    const child = sys.spawn({ namespaces: 0, steps: [{ op: 'wait', label: 'whatever' }, exec] });
    await assert.rejects(drivePauses(child, [], recording([])), /unknown label "whatever"/);
  });
  it('drivePauses, a failing step becomes a NamespaceSetupError naming the step', async () => {
    const sys = new FakeSyscalls({ op: 'mount', errno: 1 });
    const described = [{ step: { op: 'mount', target: '/x', flags: 0n } as const, what: 'mount proc', object: '/proc' }, { step: exec, what: 'exec' }];
    const child = sys.spawn({ namespaces: 0, steps: described.map((d) => d.step) });
    await assert.rejects(drivePauses(child, described, recording([])), (e: unknown) => (e as Error).message === 'mount proc: /proc: EPERM');
  });
});
