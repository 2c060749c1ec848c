/**
 * The Guix-shaped wrappers where Guix differs from runContainer's defaults (issue 19 item 7): no /sys without a
 * net namespace (Guix's `mount-/sys?`), /etc/hosts as `guix shell -C` writes it, and `#:process-spawned-hook`.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { callWithContainer } from '../../src/index.js';
import { appletLinks, captured, guardContainers, runCaptured, sh, toolMounts, toolSpec } from './helpers.js';

const NO_NET = ['user', 'ipc', 'uts', 'pid', 'mnt'] as const;

describe('Guix wrappers', function () {
  before(function () { guardContainers(this); });

  it('callWithContainer, without a net namespace: no /sys, as Guix; runContainer binds the host\'s read-only', async () => {
    const script = 'test -e /sys && echo sys || echo none';
    const guix = await captured((stdio) => callWithContainer(toolMounts(), sh(script), {
      namespaces: NO_NET, populate: appletLinks(), consoleTty: null, stdio,
    }));
    assert.deepEqual(guix, { status: 0, stdout: 'none\n' });
    const ct = await runCaptured(toolSpec(sh(script), { namespaces: NO_NET }));
    assert.deepEqual(ct, { status: 0, stdout: 'sys\n' });
  });

  it('callWithContainer, /etc/hosts as guix shell -C writes it (one line); runContainer writes ct\'s two', async () => {
    const guix = await captured((stdio) => callWithContainer(toolMounts(), sh('cat /etc/hosts'), {
      populate: appletLinks(), consoleTty: null, stdio,
    }));
    assert.deepEqual(guix, { status: 0, stdout: '127.0.0.1 localhost\n' });
    assert.equal((await runCaptured(toolSpec(sh('cat /etc/hosts')))).stdout, '127.0.0.1 localhost\n::1 localhost\n');
  });

  it('callWithContainer, processSpawnedHook gets the pid of the running container, before the wait', async () => {
    const seen: boolean[] = [];
    const r = await captured((stdio) => callWithContainer(toolMounts(), sh('echo ran'), {
      populate: appletLinks(), consoleTty: null, stdio,
      processSpawnedHook: (pid) => { seen.push(existsSync(`/proc/${pid}`)); },
    }));
    assert.deepEqual(r, { status: 0, stdout: 'ran\n' });
    assert.deepEqual(seen, [true]);
  });

  it('callWithContainer, a processSpawnedHook that throws kills the container and the error comes back', async () => {
    let pid = 0;
    await assert.rejects(callWithContainer(toolMounts(), sh('sleep 100'), {
      populate: appletLinks(), consoleTty: null,
      processSpawnedHook: (p) => { pid = p; throw new Error('hook failed'); },
    }), /hook failed/);
    assert.ok(pid > 0);
    assert.equal(existsSync(`/proc/${pid}`), false, 'the container was killed and reaped');
  });
});
