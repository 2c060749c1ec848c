/**
 * `signal` and `timeout` on the calls that wait and own their process (issue 19): callWithContainer, evalInContainer,
 * containerExcursion(Value) and containerExcursionEvalWith give up when told, and kill and reap what they started
 * before they reject (with the abort's reason, or a CtError ETIMEDOUT); an abort before the call starts nothing.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import {
  callWithContainer, containerExcursion, containerExcursionEvalWith, containerExcursionValue, CtError, evalInContainer,
  runContainer,
} from '../../src/index.js';
import { BUSYBOX, guardContainers, sh, toolMounts, toolSpec } from './helpers.js';

const timedOut = (e: unknown): boolean => e instanceof CtError && e.code === 'ETIMEDOUT';

describe('waits with a signal or a timeout', function () {
  this.timeout(60000);
  before(function () { guardContainers(this); });

  it('callWithContainer, timeout: the container is killed and reaped, the call rejects ETIMEDOUT', async () => {
    let pid = 0;
    await assert.rejects(callWithContainer(toolMounts(), [BUSYBOX, 'sleep', '100'], {
      consoleTty: null, timeout: 500, processSpawnedHook: (p) => { pid = p; },
    }), timedOut);
    assert.ok(pid > 0);
    assert.equal(existsSync(`/proc/${pid}`), false, 'PID 1 reaped');
  });

  it('callWithContainer, signal: an abort kills the container and rejects with its reason; aborted before, nothing starts', async () => {
    const controller = new AbortController();
    const reason = new Error('enough');
    let pid = 0;
    setTimeout(() => controller.abort(reason), 300);
    await assert.rejects(callWithContainer(toolMounts(), [BUSYBOX, 'sleep', '100'], {
      consoleTty: null, signal: controller.signal, processSpawnedHook: (p) => { pid = p; },
    }), (e: unknown) => e === reason);
    assert.equal(existsSync(`/proc/${pid}`), false, 'PID 1 reaped');
    let started = false;
    await assert.rejects(callWithContainer(toolMounts(), [BUSYBOX, 'true'], {
      consoleTty: null, signal: AbortSignal.abort(reason), processSpawnedHook: () => { started = true; },
    }), (e: unknown) => e === reason);
    assert.equal(started, false);
    await assert.rejects(callWithContainer([], [BUSYBOX, 'true'], { timeout: -1 }), (e: unknown) => e instanceof CtError && e.code === 'EINVAL');
  });

  it('evalInContainer, timeout: a function that never settles is given up, ETIMEDOUT', async () => {
    await assert.rejects(evalInContainer(() => new Promise<never>(() => { setInterval(() => undefined, 1000); }), { timeout: 1500 }), timedOut);
  });

  describe('excursions', () => {
    const sleepers = async (pid: number): Promise<string | undefined> =>
      containerExcursionValue(pid, sh('n=0; for p in /proc/[0-9]*; do [ "$(cat $p/comm)" = sleep ] && n=$((n + 1)); done; echo $n'));

    it('containerExcursion(Value), timeout or abort: the command is killed in the container, the call rejects', async () => {
      await using container = await runContainer(toolSpec(sh('exec sleep 100'), { lockMounts: false }));
      await assert.rejects(containerExcursion(container.pid, sh('exec sleep 100'), { timeout: 500 }), timedOut);
      assert.equal(await sleepers(container.pid), '1\n', 'only the container\'s own sleep is left');
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('stop')), 300);
      await assert.rejects(containerExcursionValue(container.pid, sh('exec sleep 100'), { signal: controller.signal }), /stop/);
      assert.equal(await sleepers(container.pid), '1\n');
    });

    it('containerExcursionEvalWith, timeout: the node process is killed, ETIMEDOUT', async () => {
      await using container = await runContainer(toolSpec(sh('exec sleep 100'), { lockMounts: false }));
      const forever = (): Promise<never> => new Promise<never>(() => { setInterval(() => undefined, 1000); });
      await assert.rejects(containerExcursionEvalWith(container.pid, forever, [], { timeout: 1500 }), timedOut);
    });
  });
});
