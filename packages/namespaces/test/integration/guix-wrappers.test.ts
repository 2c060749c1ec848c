/**
 * The Guix-shaped wrappers where Guix differs from runContainer's defaults (issue 19 item 7): no /sys without a
 * net namespace (Guix's `mount-/sys?`), /etc/hosts as `guix shell -C` writes it, and `#:process-spawned-hook`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callWithContainer, runContainerGuix } from '../../src/index.js';
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

  it('runContainerGuix, one options object (the positional form stays Guix\'s)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ct-guix-root-'));
    try {
      const r = await captured(async (stdio) => {
        const c = await runContainerGuix({
          root, command: sh('cat /proc/self/uid_map; hostname'), mounts: toolMounts(), hostname: 'opts',
          populate: appletLinks(), consoleTty: null, lockMounts: false, stdio,
        });
        return (await c.wait()).status;
      });
      assert.equal(r.status, 0, r.stdout);
      const [map, host] = r.stdout.trim().split('\n');
      assert.deepEqual(map?.trim().split(/\s+/), ['0', String(process.geteuid?.()), '1'], 'host-uids 1 by default');
      assert.equal(host, 'opts');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
