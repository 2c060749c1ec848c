import { strict as assert } from 'node:assert';
import { existsSync, openSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import { AT, CLONE, CtError, S, SyscallError, mknodat, spawn, MS } from '../../src/index.js';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCaptured, scratch, sh, spawnCaptured, BUSYBOX } from './spawn-helpers.js';

const INDEX = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/** Runs a script in a separate Node (with tsx) that spawns a detached sleeper; returns the sleeper's pid. */
function spawnInOtherNode(pdeathsig: boolean): { pid: number; ms: number } {
  const steps = [
    ...(pdeathsig ? [{ op: 'pdeathsig', signal: 9 }] : []),
    { op: 'exec', path: '/bin/busybox', argv: ['sleep', '30'], env: [], search: false },
  ];
  const script = `import { spawn } from ${JSON.stringify(INDEX)};
const c = spawn({ namespaces: 0, steps: ${JSON.stringify(steps)} });
await c.nextEvent();
c.unref();
console.log(c.pid);`;
  const t0 = Date.now();
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8', timeout: 20000,
  });
  return { pid: Number(out.trim()), ms: Date.now() - t0 };
}

/** Whether pid is alive (not gone, not a zombie). */
function alive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function exec(path: string, argv: string[], search = false, env: string[] = []): { op: 'exec'; path: string; argv: string[]; env: string[]; search: boolean } {
  return { op: 'exec', path, argv, env, search };
}

/** Asserts that nextEvent rejects with a SyscallError of this step/op/code/syscall. */
async function expectStepError(p: Promise<unknown>, step: number, stepOp: string, code: string, syscall?: string): Promise<SyscallError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SyscallError, String(e));
    assert.equal(e.step, step);
    assert.equal(e.stepOp, stepOp);
    assert.equal(e.code, code);
    if (syscall !== undefined) assert.equal(e.syscall, syscall);
    return e;
  }
  assert.fail('expected the step to fail');
}

describe('spawn, exec and step errors', () => {
  it('spawn, exec /bin/true reports exec then exit 0', async () => {
    const c = spawn({ namespaces: 0, steps: [exec('/bin/true', ['true'])] });
    assert.deepEqual(await c.nextEvent(), { kind: 'exec' });
    assert.deepEqual(await c.wait(), { code: 0, signal: null, status: 0 });
  });

  it('spawn, a missing program is ENOENT from step exec', async () => {
    const c = spawn({ namespaces: 0, steps: [{ op: 'umask', mask: 0o22 }, exec('/nonexistent/prog', ['prog'])] });
    const e = await expectStepError(c.nextEvent(), 1, 'exec', 'ENOENT', 'execve');
    assert.equal(e.path, '/nonexistent/prog');
    assert.equal((await c.wait()).status, 1);
  });

  it('spawn, a program exiting 127 is an exec followed by status 127', async () => {
    const c = spawn({ namespaces: 0, steps: [sh('exit 127')] });
    assert.deepEqual(await c.nextEvent(), { kind: 'exec' });
    assert.equal((await c.wait()).code, 127);
  });

  it('spawn, PATH search finds a program by name', async () => {
    const { output, status } = await runCaptured({ namespaces: 0, steps: [exec('busybox', ['echo', 'found'], true, ['PATH=/nope:/bin'])] });
    assert.equal(status.status, 0);
    assert.equal(output, 'found\n');
  });

  it('spawn, PATH search for a missing name is ENOENT', async () => {
    const c = spawn({ namespaces: 0, steps: [exec('no-such-program-ct', ['x'], true, ['PATH=/bin:/usr/bin'])] });
    await expectStepError(c.nextEvent(), 0, 'exec', 'ENOENT', 'execve');
    await c.wait();
  });

  it('spawn, a failing chdir names its step and errno', async () => {
    const c = spawn({ namespaces: 0, steps: [{ op: 'umask', mask: 0 }, { op: 'chdir', path: '/nonexistent-ct' }, sh('true')] });
    const e = await expectStepError(c.nextEvent(), 1, 'chdir', 'ENOENT', 'chdir');
    assert.equal(e.path, '/nonexistent-ct');
    await c.wait();
  });

  it('spawn, an invalid setns type is EINVAL at its step', async () => {
    const c = spawn({ namespaces: 0, steps: [{ op: 'setns', path: '/proc/self/ns/uts', nstype: CLONE.NEWNET }, sh('true')] });
    await expectStepError(c.nextEvent(), 0, 'setns', 'EINVAL', 'setns');
    await c.wait();
  });

  it('spawn, a failing mount is reported at its step (EPERM unprivileged, ENODEV as root)', async () => {
    const root = process.geteuid!() === 0;
    const c = spawn({
      namespaces: root ? CLONE.NEWNS : 0,
      steps: [
        { op: 'propagation', target: '/', flags: MS.PRIVATE | MS.REC },
        { op: 'mount', source: 'none', target: '/tmp', fstype: root ? 'no-such-fs-ct' : 'tmpfs', flags: 0n },
        sh('true'),
      ],
    });
    await expectStepError(c.nextEvent(), root ? 1 : 0, root ? 'mount' : 'propagation', root ? 'ENODEV' : 'EPERM', 'mount');
    await c.wait();
  });

  it('spawn, a parent-side open failure is reported before the clone', () => {
    assert.throws(() => spawn({ namespaces: 0, steps: [{ op: 'setns', path: '/nonexistent-ns', nstype: 0 }, sh('true')] }),
      (e: unknown) => e instanceof SyscallError && e.code === 'ENOENT' && e.step === 0 && e.stepOp === 'setns');
  });

  it('spawn, pause and release at a wait step', async () => {
    const c = spawn({ namespaces: 0, steps: [{ op: 'wait', label: 'first' }, { op: 'wait', label: 'second' }, sh('true')] });
    assert.throws(() => { c.release(); c.release(); }, (e: unknown) => e instanceof CtError && e.code === 'ENOTPAUSED');
    const e1 = await c.nextEvent();
    assert.deepEqual(e1, { kind: 'paused', label: 'first', step: 0 });
    c.release();
    assert.deepEqual(await c.nextEvent(), { kind: 'paused', label: 'second', step: 1 });
    c.release();
    assert.deepEqual(await c.nextEvent(), { kind: 'exec' });
    await assert.rejects(c.nextEvent(), (e: unknown) => e instanceof CtError && e.code === 'ECHILDDONE');
    assert.equal((await c.wait()).status, 0);
  });

  it('spawn, kill through the pidfd while paused', async () => {
    const c = spawn({ namespaces: 0, steps: [{ op: 'wait', label: 'hold' }, sh('true')] });
    await c.nextEvent();
    c.kill('SIGTERM');
    assert.deepEqual(await c.wait(), { code: null, signal: 15, status: 143 });
    await assert.rejects(c.nextEvent(), (e: unknown) => e instanceof CtError && e.code === 'ECHILDEXITED');
    c.kill('SIGTERM');  // after the exit: ignored
  });

  it('spawn, no zombie and no pidfd left after wait', async () => {
    const c = spawn({ namespaces: 0, steps: [sh('exit 3')] });
    await c.wait();
    assert.equal(existsSync(`/proc/${c.pid}`), false, 'reaped');
    assert.throws(() => closeSync(c.pidfd), { code: 'EBADF' });
  });

  it('spawn, only the mapped fds reach the program', async () => {
    const extra = openSync('/dev/null', 'r');
    const unrelated = openSync('/dev/null', 'r');  // not in the fd map: must not reach the program
    try {
      const { output } = await runCaptured({
        namespaces: 0, fds: [{ from: extra, to: 0 }], steps: [exec(BUSYBOX, ['ls', '/proc/self/fd'])],
      });
      // 0 (mapped), 1 and 2 (captured), and the fd ls opens for the listing (3).
      assert.deepEqual(output.trim().split('\n').sort(), ['0', '1', '2', '3']);
    } finally {
      closeSync(extra);
      closeSync(unrelated);
    }
  });

  it('spawn, fd map moves a parent fd onto a child number', async () => {
    const fd = openSync('/proc/self/cmdline', 'r');  // the parent's own cmdline, read through fd 7
    try {
      const { output } = await runCaptured({ namespaces: 0, fds: [{ from: fd, to: 7 }], steps: [sh('cat <&7')] });
      assert.ok(output.includes('node'), output);
    } finally {
      closeSync(fd);
    }
  });

  it('spawn, the parent stays responsive while a child waits', async () => {
    const c = spawn({ namespaces: 0, steps: [sh('sleep 0.3')] });
    const started = Date.now();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    await c.wait();
    clearInterval(timer);
    assert.ok(ticks >= 10, `event loop ran ${ticks} ticks in ${Date.now() - started} ms`);
  });

  it('spawn, the child is not dumpable before exec', async () => {
    const c = spawn({ namespaces: 0, steps: [{ op: 'wait', label: 'look' }, sh('true')] });
    await c.nextEvent();
    // /proc/PID/environ of a non-dumpable process is root-owned: EACCES for others, and its owner is uid 0.
    const { statSync } = await import('node:fs');
    assert.equal(statSync(`/proc/${c.pid}/environ`).uid, 0);
    c.release();
    await c.nextEvent();
    await c.wait();
  });

  it('spawn, mount flags above bit 31 stay bigint', () => {
    assert.equal(typeof MS.LAZYTIME, 'bigint');
  });

  it('spawn, leaves no fds behind in the parent', async () => {
    const before = readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 5; i++) {
      const { child, output } = spawnCaptured({ namespaces: 0, steps: [sh('true')] });
      await child.nextEvent();
      await Promise.all([child.wait(), output]);
    }
    await new Promise((r) => setImmediate(r));
    assert.equal(readdirSync('/proc/self/fd').length, before);
  });

  it('spawn, unref lets the parent exit while the child runs', () => {
    const { pid, ms } = spawnInOtherNode(false);
    try {
      assert.ok(ms < 15000, `the parent exited after ${ms} ms`);
      assert.equal(alive(pid), true, 'the detached child outlives its parent');
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });

  it('spawn, pdeathsig kills the child when the parent exits', async () => {
    const { pid } = spawnInOtherNode(true);
    for (let i = 0; i < 250 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(alive(pid), false);
  });

  it('spawn, refused on a worker thread', async () => {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(new URL('../fixtures/spawn-in-worker.mjs', import.meta.url));
    const msg = await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    await w.terminate();
    assert.equal(msg, 'ENOTMAINTHREAD');
  });

  it('spawn, a bad fd in the fd map fails in setup (step -1)', async () => {
    const c = spawn({ namespaces: 0, fds: [{ from: 999_999, to: 5 }], steps: [sh('true')] });
    const e = await expectStepError(c.nextEvent(), -1, 'setup', 'EBADF', 'fcntl');
    assert.equal(e.path, undefined);
    assert.equal((await c.wait()).status, 1);
  });

  it('spawn, a child killed while blocked in a step (not paused) is ECHILDEXITED, not exec', async () => {
    const { dir, cleanup } = scratch('ct-fifo-');
    try {
      const fifo = join(dir, 'fifo');
      mknodat(AT.FDCWD, fifo, S.IFIFO | 0o600);
      const c = spawn({ namespaces: 0, steps: [{ op: 'waitFifo', path: fifo }, sh('true')] });
      await new Promise((r) => setTimeout(r, 100));
      c.kill('SIGKILL');
      await assert.rejects(c.nextEvent(), (e: unknown) => e instanceof CtError && e.code === 'ECHILDEXITED');
      assert.equal((await c.wait()).signal, 9);
    } finally {
      cleanup();
    }
  });
});
