/**
 * Namespaces joined by path, on the real kernel: a container that joins another's pid namespace runs in it (its
 * /proc lists that namespace's processes only), as containerd's CRI asks for a pod's containers; a hostname is set
 * in a joined uts namespace.
 */
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { type ContainerHandle, type NamespaceSpec, runContainer } from '../../src/index.js';
import { guardContainers, runCaptured, sh, toolSpec } from './helpers.js';

/** The numeric /proc entries and the pid namespace, seen by a shell inside (builtins only, but readlink). */
const LIST_PROC = 'cd /proc; for f in [0-9]*; do echo $f; done; readlink /proc/self/ns/pid';

async function target(): Promise<ContainerHandle> {
  // no mount locking: its inner user namespace would own only the mnt namespace, not the pid one
  return runContainer(toolSpec(sh('exec sleep 60'), { capabilities: 'all', lockMounts: false }));
}

function joinedRun(pid: number, namespaces: readonly NamespaceSpec[]): ReturnType<typeof runCaptured> {
  return runCaptured(toolSpec(sh(LIST_PROC), { namespaces, capabilities: 'all', lockMounts: false }));
}

describe('containers, namespaces joined by path', function () {
  let t: ContainerHandle | undefined;
  before(function () { guardContainers(this); });
  afterEach(async () => {
    t?.kill('SIGKILL');
    await t?.wait();
    t = undefined;
  });

  it('runContainer, a pid namespace joined by path (with its user namespace): /proc lists only its processes', async () => {
    t = await target();
    const r = await joinedRun(t.pid, [
      { kind: 'user', path: `/proc/${t.pid}/ns/user` }, { kind: 'pid', path: `/proc/${t.pid}/ns/pid` }, 'mnt',
    ]);
    assert.equal(r.status, 0, r.stdout);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.at(-1), readlinkSync(`/proc/${t.pid}/ns/pid`), 'the pid namespace is the target\'s');
    assert.deepEqual(lines.slice(0, -1), ['1', '2'], 'the target\'s init and our shell, nothing of the host');
  });

  it('runContainer, a uts namespace joined by path gets the hostname', async () => {
    t = await target();
    const r = await runCaptured(toolSpec(sh('hostname'), {
      namespaces: [{ kind: 'user', path: `/proc/${t.pid}/ns/user` }, { kind: 'uts', path: `/proc/${t.pid}/ns/uts` }, 'mnt'],
      hostname: 'joined-host', capabilities: 'all', lockMounts: false,
    }));
    assert.equal(r.stdout, 'joined-host\n');
  });
});

describe('containers, a pid namespace joined by path without a user namespace @root', function () {
  before(function () { guardContainers(this); });

  it('runContainer, the process runs in the joined pid namespace, the caller\'s child', async () => {
    const t = await runContainer(toolSpec(sh('exec sleep 60'), { namespaces: ['mnt', 'pid'], capabilities: 'all' }));
    try {
      const r = await joinedRun(t.pid, [{ kind: 'pid', path: `/proc/${t.pid}/ns/pid` }, 'mnt']);
      assert.equal(r.status, 0, r.stdout);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.at(-1), readlinkSync(`/proc/${t.pid}/ns/pid`));
      assert.deepEqual(lines.slice(0, -1), ['1', '2']);
    } finally {
      t.kill('SIGKILL');
      await t.wait();
    }
  });
});
