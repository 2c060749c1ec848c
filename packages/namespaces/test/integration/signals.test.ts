/**
 * Signals are never lost (issue 19 item 3): a signal the caller gets while the child is being set up is held and
 * sent once the command runs (a paused PID 1 with default dispositions would drop it; a paused child outside a pid
 * namespace would die of it), and with `init: true` runContainer resolves only once ct-init has its handlers, so a
 * SIGTERM sent right away reaches the command. Each container has its own relay, through one process listener per
 * signal.
 */
import assert from 'node:assert/strict';
import { setTimeout as settle } from 'node:timers/promises';
import { type ContainerHandle, runContainer } from '../../src/index.js';
import { guardContainers, sh, toolSpec } from './helpers.js';

/** The container's status, or 'timeout' (then it is killed) when it does not end within `ms`. */
async function statusWithin(c: ContainerHandle, ms: number): Promise<number | 'timeout'> {
  const r = await Promise.race([c.wait(), settle(ms, 'timeout' as const)]);
  if (r !== 'timeout') return r.status;
  c.kill('SIGKILL');
  await c.wait();
  return r;
}

describe('containers, signals held until the command runs', function () {
  before(function () { guardContainers(this); });

  it('runContainer, init: a SIGTERM sent as soon as it resolves reaches the command, 10 times of 10', async function () {
    this.timeout(120000);
    const statuses: (number | 'timeout')[] = [];
    for (let i = 0; i < 10; i++) {
      const c = await runContainer(toolSpec(sh('exec sleep 100'), { init: true, lockMounts: false }));
      c.kill('SIGTERM');
      statuses.push(await statusWithin(c, 10000));
    }
    assert.deepEqual(statuses, Array(10).fill(128 + 15));
  });

  it('runContainer, init: a relayed signal the caller gets during the set-up is delivered once ct-init can take it', async () => {
    const c = await runContainer(toolSpec(sh('exec sleep 100'), { init: true, lockMounts: false, relayedSignals: ['SIGUSR2'] }), {
      beforeExec: async () => {
        process.kill(process.pid, 'SIGUSR2');
        await settle(100); // Node runs the relay's handler meanwhile: the child is paused
      },
    });
    assert.equal(await statusWithin(c, 10000), 128 + 12, 'ct-init relayed SIGUSR2 to sleep');
  });

  it('runContainer, relays per container: twelve containers add one listener per signal, each gets it, none is left after', async function () {
    this.timeout(120000);
    const before = process.listenerCount('SIGUSR2');
    const containers: ContainerHandle[] = [];
    try {
      for (let i = 0; i < 12; i++) {
        containers.push(await runContainer(toolSpec(sh('trap "exit 7" USR2; while true; do sleep 0.05; done'), { lockMounts: false, relayedSignals: ['SIGUSR2'] })));
      }
      assert.equal(process.listenerCount('SIGUSR2'), before + 1);
      await settle(300);
      process.kill(process.pid, 'SIGUSR2');
      const statuses = await Promise.all(containers.map((c) => statusWithin(c, 10000)));
      // 7 when the shell had its trap, 140 when the signal came first (a loaded machine): delivered either way
      assert.ok(statuses.every((s) => s === 7 || s === 128 + 12), String(statuses));
      assert.equal(process.listenerCount('SIGUSR2'), before);
    } finally {
      for (const c of containers) c.kill('SIGKILL');
      await Promise.all(containers.map((c) => c.wait()));
    }
  });

  it('runContainer, without a pid namespace: a relayed signal during the set-up does not kill the paused child, the command gets it', async () => {
    const c = await runContainer(toolSpec(sh('trap "exit 7" USR2; while true; do sleep 0.05; done'), {
      namespaces: ['user', 'mnt', 'ipc', 'uts', 'net'], lockMounts: false, relayedSignals: ['SIGUSR2'],
    }), {
      beforeExec: async () => {
        process.kill(process.pid, 'SIGUSR2');
        await settle(100);
      },
    });
    // 7 when the shell had its trap, 140 when the signal came first: delivered either way
    assert.ok([7, 128 + 12].includes(await statusWithin(c, 10000) as number));
  });
});
