import { strict as assert } from 'node:assert';
import { readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import { CLONE, MS, S, mknodat, AT, type ChildHandle, type Step, spawn } from '../../src/index.js';
import { answerIdmap, idmapWait, scratch, sh, spawnCaptured, tmpfsRootSteps, userNamespacesWork } from './spawn-helpers.js';

/** A child that holds a network namespace (paused), as a pod sandbox does. */
async function netHolder(withUser: boolean): Promise<ChildHandle> {
  const holder = spawn({
    namespaces: CLONE.NEWNET | (withUser ? CLONE.NEWUSER : 0),
    steps: [...(withUser ? [idmapWait] : []), { op: 'wait', label: 'hold' }, sh('exit 0')],
  });
  for (;;) {
    const ev = await holder.nextEvent();
    assert.equal(ev.kind, 'paused');
    if (ev.kind === 'paused' && ev.label === 'hold') return holder;
    answerIdmap(holder, ev.label);
    holder.release();
  }
}

/**
 * The create/start shape: namespaces, hooks paused before pivot_root, a joined network namespace, a tmpfs root,
 * pivot_root, then a FIFO the "start" side opens before exec.
 */
async function runCreateShaped(
  dir: string, prefix: Step[], namespaces: number, netStep: Step[], netns: string,
): Promise<void> {
  const root = join(dir, 'root');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(root);
  const fifo = join(dir, 'exec.fifo');
  mknodat(AT.FDCWD, fifo, S.IFIFO | 0o600);
  const { child, output } = spawnCaptured({
    namespaces,
    dumpableWhilePaused: true,  // lets the test read /proc/PID/ns/net at the pause
    steps: [
      ...prefix,
      ...netStep,
      { op: 'sethostname', name: 'created' },
      ...tmpfsRootSteps(root),
      { op: 'touch', path: 'exec.fifo', mode: 0o600, inRoot: root },
      { op: 'mount', source: fifo, target: 'exec.fifo', flags: MS.BIND, inRoot: root },
      { op: 'wait', label: 'createRuntime' },
      { op: 'pivotRoot', newRoot: root },
      { op: 'wait', label: 'createContainer' },
      { op: 'waitFifo', path: '/exec.fifo' },
      { op: 'exec', path: '/bin/busybox', argv: ['sh', '-c', 'hostname; ls /'], env: [], search: false },
    ],
  });
  const seen: string[] = [];
  for (;;) {
    const ev = await child.nextEvent();
    if (ev.kind !== 'paused') break;
    seen.push(ev.label);
    if (ev.label === 'createRuntime') assert.equal(readlinkSync(`/proc/${child.pid}/ns/net`), netns);
    answerIdmap(child, ev.label);
    child.release();
    if (ev.label === 'createContainer') {
      // "start": open the FIFO for reading; the child writes one byte and then execs.
      assert.equal(await readFile(fifo, 'utf8'), '0');
    }
  }
  assert.deepEqual(seen.filter((l) => l !== 'idmap'), ['createRuntime', 'createContainer']);
  const [out, status] = await Promise.all([output, child.wait()]);
  assert.equal(status.status, 0, out);
  const lines = out.trim().split('\n');
  assert.equal(lines[0], 'created');
  assert.deepEqual(lines.slice(-2), ['bin', 'exec.fifo']);
}

describe('spawn, an OCI create-shaped plan', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = scratch('ct-create-')));
  afterEach(() => cleanup());

  it('spawn, create-shaped plan in the net namespace of a holder (rootless shape)', async function () {
    requireFeature(this, await userNamespacesWork(), 'unprivileged user namespaces');
    const holder = await netHolder(true);
    try {
      const netns = readlinkSync(`/proc/${holder.pid}/ns/net`);
      // Joining a net ns needs CAP_SYS_ADMIN over its owner: join the holder's user ns first, then unshare the rest.
      await runCreateShaped(dir, [
        { op: 'setns', path: `/proc/${holder.pid}/ns/user`, nstype: CLONE.NEWUSER },
        { op: 'setns', path: `/proc/${holder.pid}/ns/net`, nstype: CLONE.NEWNET },
        { op: 'unshare', flags: CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWIPC },
      ], 0, [], netns);
    } finally {
      holder.kill('SIGKILL');
      await holder.wait();
    }
  });
});

describe('spawn, an OCI create-shaped plan @root', () => {
  let dir: string;
  let cleanup: () => void;
  before(function () {
    if (!isRoot()) this.skip();
  });
  beforeEach(() => ({ dir, cleanup } = scratch('ct-create-root-')));
  afterEach(() => cleanup());

  it('spawn, create-shaped plan with new mnt/pid/uts/ipc namespaces and a joined net namespace', async () => {
    const holder = await netHolder(false);
    try {
      const netns = readlinkSync(`/proc/${holder.pid}/ns/net`);
      assert.notEqual(netns, readlinkSync('/proc/self/ns/net'));
      await runCreateShaped(dir, [], CLONE.NEWNS | CLONE.NEWPID | CLONE.NEWUTS | CLONE.NEWIPC,
        [{ op: 'setns', path: `/proc/${holder.pid}/ns/net`, nstype: CLONE.NEWNET }], netns);
    } finally {
      holder.kill('SIGKILL');
      await holder.wait();
    }
  });
});
