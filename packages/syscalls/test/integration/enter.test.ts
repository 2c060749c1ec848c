import { strict as assert } from 'node:assert';
import { closeSync, readFileSync, readlinkSync } from 'node:fs';
import { requireFeature } from '@ct/test-utils';
import { CLONE, SyscallError, enter, namespacesToJoin, pidfdOpen, spawn, type ChildHandle, socketpair } from '../../src/index.js';
import { answerIdmap, idmapWait, sh, userNamespacesWork } from './spawn-helpers.js';
import { Socket } from 'node:net';

const NS = CLONE.NEWUSER | CLONE.NEWUTS | CLONE.NEWPID | CLONE.NEWIPC;

/** A paused "container": its own user, uts, pid and ipc namespaces, hostname "inside". */
async function container(): Promise<ChildHandle> {
  const c = spawn({
    namespaces: NS,
    steps: [idmapWait, { op: 'sethostname', name: 'inside' }, { op: 'wait', label: 'hold' }, sh('exit 0')],
  });
  for (;;) {
    const ev = await c.nextEvent();
    if (ev.kind === 'paused' && ev.label === 'hold') return c;
    answerIdmap(c, ev.kind === 'paused' ? ev.label : '');
    c.release();
  }
}

/** Runs enter() with stdout captured. */
async function enterCaptured(target: { pid: number } | { pidfd: number }, script: string): Promise<{ out: string; status: number }> {
  const [ours, theirs] = socketpair();
  let h: ChildHandle;
  try {
    h = enter(target, NS, { fds: [{ from: theirs, to: 1 }], steps: [sh(script)] });
  } finally {
    closeSync(theirs);
  }
  const sock = new Socket({ fd: ours, readable: true, writable: false });
  const chunks: Buffer[] = [];
  sock.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => sock.on('end', r));
  assert.deepEqual(await h.nextEvent(), { kind: 'exec' });
  const status = await h.wait();
  await ended;
  return { out: Buffer.concat(chunks).toString(), status: status.status };
}

describe('enter', () => {
  let c: ChildHandle;
  before(async function () {
    requireFeature(this, await userNamespacesWork(), 'unprivileged user namespaces');
  });
  beforeEach(async () => { c = await container(); });
  afterEach(async () => {
    c.kill('SIGKILL');
    await c.wait();
  });

  it('enter, by pid: joins uts and pid namespaces and reports the exit code', async () => {
    const { out, status } = await enterCaptured({ pid: c.pid }, 'hostname; echo $$; id -u; exit 5');
    const [host, pid, uid] = out.trim().split('\n');
    assert.equal(host, 'inside');
    assert.notEqual(pid, '1');
    assert.ok(Number(pid) > 1 && Number(pid) < 100, `a pid in the container's pid namespace: ${pid}`);
    assert.equal(uid, '0');
    assert.equal(status, 5);
  });

  it('enter, by pidfd', async () => {
    const pidfd = pidfdOpen(c.pid);
    try {
      const { out } = await enterCaptured({ pidfd }, 'hostname');
      assert.equal(out, 'inside\n');
    } finally {
      closeSync(pidfd);
    }
  });

  it('enter, a signal to the handle reaches the entered program (128 + signal)', async () => {
    const h = enter({ pid: c.pid }, NS, { steps: [sh('sleep 10')] });
    assert.deepEqual(await h.nextEvent(), { kind: 'exec' });
    await new Promise((r) => setTimeout(r, 100));
    h.kill('SIGTERM');
    assert.equal((await h.wait()).status, 128 + 15);
  });

  it('enter, with a pid namespace: the program is the caller\'s own child, in the container\'s pid namespace', async () => {
    const h = enter({ pid: c.pid }, NS, { steps: [sh('sleep 10')] });
    try {
      assert.deepEqual(await h.nextEvent(), { kind: 'exec' });
      const status = readFileSync(`/proc/${h.pid}/status`, 'utf8');
      assert.equal(/^PPid:\s*(\d+)$/m.exec(status)?.[1], String(process.pid));
      assert.equal(/^NSpid:\s*(\d+)/m.exec(status)?.[1], String(h.pid), 'NSpid starts with the pid in our namespace');
      assert.equal(readlinkSync(`/proc/${h.pid}/ns/pid`), readlinkSync(`/proc/${c.pid}/ns/pid`));
    } finally {
      h.kill('SIGKILL');
      await h.wait();
    }
  });

  it('enter, without a pid or time namespace: no second process', async () => {
    const h = enter({ pid: c.pid }, CLONE.NEWUSER | CLONE.NEWUTS, { steps: [sh('sleep 10')] });
    try {
      assert.deepEqual(await h.nextEvent(), { kind: 'exec' });
      assert.equal(/^PPid:\s*(\d+)$/m.exec(readFileSync(`/proc/${h.pid}/status`, 'utf8'))?.[1], String(process.pid));
    } finally {
      h.kill('SIGKILL');
      await h.wait();
    }
  });

  it('enter, namespaces already shared are skipped', () => {
    assert.equal(namespacesToJoin(process.pid, NS), 0);
    assert.equal(namespacesToJoin(c.pid, CLONE.NEWUTS | CLONE.NEWNET) & CLONE.NEWNET, 0);
  });

  it('enter, a failing step after the join names its index', async () => {
    const h = enter({ pid: c.pid }, NS, { steps: [{ op: 'chdir', path: '/no-such-dir' }, sh('true')] });
    await assert.rejects(h.nextEvent(), (e: unknown) => e instanceof SyscallError && e.step === 0 && e.code === 'ENOENT');
    assert.equal((await h.wait()).status, 1);
  });
});
