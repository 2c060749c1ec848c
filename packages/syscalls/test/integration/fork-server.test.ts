import { strict as assert } from 'node:assert';
import { readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { CtError, SyscallError, spawn, type ChildHandle, type Step } from '../../src/index.js';
import { forkServerPid } from '../../src/fork-server.js';
import { BUSYBOX, runCaptured, sh } from './spawn-helpers.js';

/** Runs fn with CT_FORK_SERVER set to `mode`, then restores it. */
async function withMode<T>(mode: '0' | '1', fn: () => Promise<T>): Promise<T> {
  const saved = process.env.CT_FORK_SERVER;
  process.env.CT_FORK_SERVER = mode;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.CT_FORK_SERVER;
    else process.env.CT_FORK_SERVER = saved;
  }
}

const paused: Step[] = [{ op: 'wait', label: 'look' }, sh('exit 7')];

/** Spawns a child paused before its exec (dumpable, so its /proc files can be read unprivileged too). */
async function spawnPaused(): Promise<ChildHandle> {
  const child = spawn({ namespaces: 0, steps: paused, dumpableWhilePaused: true });
  const ev = await child.nextEvent();
  assert.equal(ev.kind, 'paused');
  return child;
}

function parentOf(pid: number): number {
  return Number(/^PPid:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

describe('fork server (CT_FORK_SERVER)', () => {
  it('fork server, the child is cloned from ct-forkserver, not from the Node image', async () => {
    await withMode('1', async () => {
      const child = await spawnPaused();
      try {
        assert.equal(basename(readlinkSync(`/proc/${child.pid}/exe`)), 'ct-forkserver');
      } finally {
        child.release();
        await child.wait();
      }
    });
  });

  it('fork server, the child is this process\'s own child (CLONE_PARENT): parent, pidfd wait and exit status', async () => {
    await withMode('1', async () => {
      const child = await spawnPaused();
      assert.equal(parentOf(child.pid), process.pid);
      assert.notEqual(forkServerPid(), undefined);
      assert.notEqual(forkServerPid(), child.pid);
      child.release();
      assert.deepEqual(await child.wait(), { code: 7, signal: null, status: 7 });
    });
  });

  it('fork server, CT_FORK_SERVER=0 clones the Node process directly', async () => {
    await withMode('0', async () => {
      const child = await spawnPaused();
      try {
        assert.equal(readlinkSync(`/proc/${child.pid}/exe`), readlinkSync('/proc/self/exe'));
      } finally {
        child.release();
        await child.wait();
      }
    });
  });

  it('fork server, the program ignores exactly the signals a direct clone\'s would (glibc\'s reserved ones too)', async () => {
    // posix_spawn leaves glibc's reserved signals (32, 33) ignored in the server when this process handles them;
    // an ignored signal stays ignored through execve, so the server must take this process's SigIgn
    const script = 'while read k v; do [ "$k" = SigIgn: ] && echo $v; done < /proc/self/status; true';
    const ignored = async (mode: '0' | '1'): Promise<string> => withMode(mode, async () => {
      const { output, status } = await runCaptured({ namespaces: 0, steps: [sh(script)] });
      assert.equal(status.code, 0);
      return output;
    });
    const [server, direct] = [await ignored('1'), await ignored('0')];
    assert.match(direct, /^[0-9a-f]{16}\n$/);
    assert.equal(server, direct);
  });

  it('fork server, a failing step comes back with its index, syscall and errno as from a direct clone', async () => {
    const plan = { namespaces: 0, steps: [{ op: 'chdir', path: '/nonexistent-ct-fork-server' } as Step, sh('true')] };
    const failure = async (mode: '0' | '1'): Promise<SyscallError> => withMode(mode, async () => {
      const child = spawn(plan);
      const e: unknown = await child.nextEvent().then(() => undefined, (err: unknown) => err);
      await child.wait();
      assert.ok(e instanceof SyscallError, String(e));
      return e;
    });
    const [server, direct] = [await failure('1'), await failure('0')];
    assert.deepEqual([server.step, server.syscall, server.code], [0, 'chdir', 'ENOENT']);
    assert.deepEqual([server.step, server.syscall, server.code], [direct.step, direct.syscall, direct.code]);
  });

  it('fork server, the fd map and the output reach the child', async () => {
    await withMode('1', async () => {
      const { output, status } = await runCaptured({ namespaces: 0, steps: [sh('echo out; echo err >&2')] });
      assert.equal(status.status, 0);
      assert.equal(output.split('\n').sort().join(' ').trim(), 'err out');
    });
  });

  it('fork server, a killed server is replaced by a new one on a later spawn', async () => {
    await withMode('1', async () => {
      const first = await spawnPaused();
      first.release();
      await first.wait();
      const old = forkServerPid();
      assert.ok(old !== undefined);
      process.kill(old, 'SIGKILL');
      for (let i = 0; i < 200 && forkServerPid() === old; i++) await new Promise((r) => setTimeout(r, 10));
      const { status } = await runCaptured({ namespaces: 0, steps: [sh('exit 3')] });
      assert.equal(status.status, 3);
      const now = forkServerPid();
      assert.ok(now !== undefined && now !== old, `server ${String(now)} after ${old}`);
    });
  });

  it('fork server, an exec that fails is reported as from a direct clone', async () => {
    await withMode('1', async () => {
      const child = spawn({ namespaces: 0, steps: [{ op: 'exec', path: `${BUSYBOX}-missing`, argv: ['x'], env: [], search: false }] });
      const e: unknown = await child.nextEvent().then(() => undefined, (err: unknown) => err);
      await child.wait();
      assert.ok(e instanceof CtError);
      assert.equal((e as SyscallError).code, 'ENOENT');
    });
  });
});
