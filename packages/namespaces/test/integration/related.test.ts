/**
 * The related cases of GUIX.md §2 (tests/syscalls.scm and tests/guix-environment-container.sh) and the issue's
 * list: exit codes and signals, loopback, ids through locked mounts, read-only root, /proc, init and signals,
 * lifecycle pauses and error reporting on the real kernel.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import {
  callWithContainer, type ContainerHandle, NAMESPACES, NamespaceSetupError, runContainer, WRITABLE_TMP,
} from '../../src/index.js';
import { guardContainers, probe, runCaptured, sh, toolMounts, toolSpec } from './helpers.js';

const settle = (ms: number): Promise<'timeout'> => new Promise((r) => { setTimeout(r, ms, 'timeout'); });

describe('containers, related cases', function () {
  let container: ContainerHandle | undefined;
  before(function () { guardContainers(this); });
  afterEach(async () => {
    container?.kill('SIGKILL');
    await container?.wait();
    container = undefined;
  });

  it('callWithContainer, exit 42 is kept', async () => {
    assert.equal(await callWithContainer(toolMounts(), sh('exit 42'), { consoleTty: null }), 42);
  });
  it('callWithContainer, a segfault gives more than 127', async () => {
    // PID 1 ignores signals it has no handler for, so the faulting process is the init's child.
    const status = await callWithContainer(toolMounts(), sh('/bin/busybox kill -SEGV $$'), { consoleTty: null, init: true });
    assert.equal(status, 128 + 11);
  });
  it('runContainer, killed by SIGKILL gives 137', async () => {
    const handle = await runContainer(toolSpec(sh('sleep 100')));
    handle.kill('SIGKILL');
    assert.equal((await handle.wait()).status, 137);
  });
  it('runContainer, lo is up: 127.0.0.1:12345 refuses', async () => {
    const r = await runCaptured(toolSpec(probe('connect', '127.0.0.1', '12345')));
    assert.deepEqual(r, { status: 1, stdout: 'ECONNREFUSED\n' });
  });
  it('runContainer, without loopback setup lo is down', async () => {
    const r = await runCaptured(toolSpec(probe('connect', '127.0.0.1', '12345'), { loopbackNetwork: false }));
    assert.deepEqual(r, { status: 1, stdout: 'ENETUNREACH\n' });
  });
  it('runContainer, /etc/hosts names localhost', async () => {
    const r = await runCaptured(toolSpec(sh('cat /etc/hosts; stat -c %a /etc/hosts')));
    assert.equal(r.stdout, '127.0.0.1 localhost\n::1 localhost\n444\n');
  });
  it('runContainer, inner uid equals the guest uid through locked mounts', async () => {
    const r = await runCaptured(toolSpec(probe('id'), { guestUid: 42, guestGid: 77 }));
    assert.match(r.stdout, /^uid=42 gid=77 euid=42 egid=77 /);
  });
  it('runContainer, read-only root gives EROFS, /tmp stays writable', async () => {
    const r = await runCaptured(toolSpec(sh('/bin/ct-probe mkdir /x; /bin/ct-probe mkdir /tmp/x'),
      { mounts: [WRITABLE_TMP] }));
    assert.equal(r.stdout, 'EROFS\nok\n');
  });
  it('runContainer, /proc lists only the container pids', async () => {
    const r = await runCaptured(toolSpec(probe('ls', '/proc')));
    assert.deepEqual(r.stdout.split('\n').filter((e) => /^\d+$/.test(e)), ['1']);
  });
  it('runContainer, locked mounts refuse umount with EINVAL (all namespaces)', async () => {
    const r = await runCaptured(toolSpec(probe('umount', '/bin/busybox'), { capabilities: 'all' }));
    assert.deepEqual(r, { status: 1, stdout: 'EINVAL\n' });
  });
  it('runContainer, without locking the container root may umount', async () => {
    const r = await runCaptured(toolSpec(probe('umount', '/bin/busybox'), { lockMounts: false, capabilities: 'all' }));
    assert.deepEqual(r, { status: 0, stdout: 'ok\n' });
  });
  it('runContainer, SIGTERM reaches sleep through the init', async () => {
    container = await runContainer(toolSpec(sh('exec sleep 100'), { init: true }));
    container.kill('SIGTERM'); // runContainer resolved once the init had its handlers
    const result = await Promise.race([container.wait(), settle(5000)]);
    assert.notEqual(result, 'timeout');
    assert.equal(result !== 'timeout' && result.status, 128 + 15);
  });
  it('runContainer, SIGTERM to sleep as PID 1 is lost (why init exists)', async () => {
    container = await runContainer(toolSpec(sh('exec sleep 100')));
    container.kill('SIGTERM');
    assert.equal(await Promise.race([container.wait(), settle(500)]), 'timeout');
  });
  it('runContainer, a signal the caller gets is relayed', async () => {
    container = await runContainer(toolSpec(sh('trap "exit 7" USR2; while true; do sleep 0.05; done'),
      { relayedSignals: ['SIGUSR2'] }));
    await settle(200);
    process.kill(process.pid, 'SIGUSR2');
    assert.equal((await container.wait()).status, 7);
  });
  it('runContainer, await using: the container is killed and reaped at the end of the block', async () => {
    let pid = 0;
    {
      await using c = await runContainer(toolSpec(sh('sleep 100')));
      pid = c.pid;
      assert.ok(existsSync(`/proc/${pid}`));
    }
    assert.equal(existsSync(`/proc/${pid}`), false);
  });
  it('runContainer, wait with a timeout or an AbortSignal gives up the wait and leaves the container running', async () => {
    await using c = await runContainer(toolSpec(sh('sleep 100')));
    await assert.rejects(c.wait({ timeout: 100 }), (e: unknown) => (e as { code?: string }).code === 'ETIMEDOUT');
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('stop waiting')), 100);
    await assert.rejects(c.wait({ signal: abort.signal }), /stop waiting/);
    assert.ok(existsSync(`/proc/${c.pid}`), 'still running');
    c.kill('SIGKILL');
    assert.equal((await c.wait({ timeout: 10000 })).status, 128 + 9);
  });
  it('runContainer, stdio \'pipe\': Node streams on the handle (input in, output and errors out)', async () => {
    const c = await runContainer(toolSpec(sh('read x; echo "got $x"; echo oops >&2'), { stdio: ['pipe', 'pipe', 'pipe'] }));
    const text = async (r: NodeJS.ReadableStream | undefined): Promise<string> => {
      let all = '';
      for await (const chunk of r ?? []) all += String(chunk);
      return all;
    };
    c.stdin?.end('hello\n');
    const [out, err, { status }] = await Promise.all([text(c.stdout), text(c.stderr), c.wait()]);
    assert.deepEqual({ out, err, status }, { out: 'got hello\n', err: 'oops\n', status: 0 });
  });
  it('runContainer, a time namespace when asked', async () => {
    const r = await runCaptured(toolSpec(sh('readlink /proc/self/ns/time'), { namespaces: [...NAMESPACES, 'time'] }));
    assert.match(r.stdout, /^time:\[\d+\]\n$/);
    assert.notEqual(r.stdout, `${readlinkSync('/proc/self/ns/time')}\n`);
  });
  it('runContainer, hostname', async () => {
    assert.equal((await runCaptured(toolSpec(probe('hostname'), { hostname: 'box' }))).stdout, 'box\n');
  });
  it('runContainer, lifecycle pauses on the real kernel', async () => {
    const seen: string[] = [];
    container = await runContainer(toolSpec(sh('sleep 100')), {
      afterIdMaps: (pid) => { seen.push(readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/)[0] ?? ''); },
      beforePivotRoot: () => { seen.push('pivot'); },
      beforeExec: () => { seen.push('exec'); },
    });
    assert.deepEqual(seen, ['0', 'pivot', 'exec']);
  });
  it('runContainer, a missing program fails at exec with ENOENT', async () => {
    await assert.rejects(runContainer(toolSpec({ argv: ['/bin/nope'] })), (e: unknown) =>
      e instanceof NamespaceSetupError && e.step === 'exec' && (e.cause as { code?: string }).code === 'ENOENT');
  });
  it('runContainer, a program in no format the kernel runs fails at exec with ENOEXEC (not E8)', async () => {
    await assert.rejects(runContainer(toolSpec({ argv: ['/bin/garbage'] }, {
      populate: [{ op: 'writeFile', path: '/bin/garbage', data: 'not a program\n', mode: 0o755 }],
    })), (e: unknown) => e instanceof NamespaceSetupError && e.step === 'exec' && (e.cause as { code?: string }).code === 'ENOEXEC');
  });
  it('runContainer, a failing mount names its step', async () => {
    await assert.rejects(runContainer(toolSpec(sh('true'), {
      mounts: [{ type: 'filesystem', fstype: 'no-such-fs', source: 'none', target: '/x' }] })), (e: unknown) =>
      e instanceof NamespaceSetupError && e.step === 'mount no-such-fs' && (e.cause as { code?: string }).code === 'ENODEV');
  });
});
