import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLONE, SyscallError } from '@ct/syscalls';
import { runContainer, type RunOptions } from '../../src/run-container.js';
import { NamespaceSetupError } from '../../src/errors.js';
import { callWithContainer } from '../../src/call-with-container.js';
import { FakeSyscalls } from './fake-syscalls.js';

describe('runContainer (fake kernel)', () => {
  let procRoot: string;
  let options: RunOptions & { syscalls: FakeSyscalls };
  beforeEach(() => {
    procRoot = mkdtempSync(join(tmpdir(), 'ct-proc-'));
    mkdirSync(join(procRoot, '1000'));
    options = { syscalls: new FakeSyscalls(), procRoot, euid: 1001, egid: 1001, newuidmap: '/nonexistent', newgidmap: '/nonexistent' };
  });
  afterEach(() => rmSync(procRoot, { recursive: true, force: true }));
  const cmd = { argv: ['/bin/true'] };

  it('runContainer, writes the id maps at the first pause, then releases', async () => {
    let seen = '';
    const handle = await runContainer({ command: cmd, consoleTty: null, lockMounts: false }, {
      afterIdMaps: (pid) => { seen = readFileSync(join(procRoot, String(pid), 'uid_map'), 'utf8'); },
    }, options);
    assert.equal(handle.pid, 1000);
    assert.equal(seen, '0 1001 1\n');
    assert.equal(readFileSync(join(procRoot, '1000', 'setgroups'), 'utf8'), 'deny');
    assert.deepEqual(options.syscalls.log, ['1000:paused:id-maps', '1000:release', '1000:exec']);
    assert.equal(options.syscalls.calls[0]?.plan.namespaces, 0x7e020000);
  });
  it('runContainer, lifecycle hooks run in order while the child waits', async () => {
    const order: string[] = [];
    await runContainer({ command: cmd, consoleTty: null, lockMounts: false }, {
      afterIdMaps: () => { order.push('afterIdMaps'); },
      onNamespaces: (pid) => { order.push(`onNamespaces ${pid} ${options.syscalls.log.at(-1)}`); },
      beforePivotRoot: () => { order.push('beforePivotRoot'); },
      beforeExec: () => { order.push(`beforeExec ${options.syscalls.log.at(-1)}`); },
    }, options);
    assert.deepEqual(order, ['afterIdMaps', 'onNamespaces 1000 1000:paused:namespaces', 'beforePivotRoot', 'beforeExec 1000:paused:before-exec']);
  });
  it('runContainer, a child failure names the step, object and errno', async () => {
    options = { ...options, syscalls: new FakeSyscalls({ op: 'mount', errno: 1, nth: 1 }) };
    await assert.rejects(runContainer({ command: cmd, consoleTty: null }, {}, options), (e: unknown) => {
      assert.ok(e instanceof NamespaceSetupError);
      assert.equal(e.step, 'mount proc');
      assert.equal(e.pid, 1000);
      assert.equal(e.message, 'mount proc: /proc: EPERM');
      return true;
    });
  });
  it('runContainer, a missing bind source fails in the caller with ENOENT', async () => {
    await assert.rejects(
      runContainer({ command: cmd, mounts: [{ type: 'bind', source: '/does-not-exist', target: '/foo' }] }, {}, options),
      (e: unknown) => (e as { code: string; path: string }).code === 'ENOENT' && (e as { path: string }).path === '/does-not-exist',
    );
    assert.equal(options.syscalls.calls.length, 0);
  });
  it('runContainer, locked mounts: a helper in the outer user ns writes the inner maps after the unshare', async () => {
    await runContainer({ command: cmd, consoleTty: null }, {}, options);
    const helper = options.syscalls.calls[1];
    assert.equal(helper?.kind, 'enter');
    assert.equal(helper.target, 1000);
    assert.equal(helper.namespaces, CLONE.NEWUSER);
    assert.deepEqual(helper.plan.steps.slice(1, 3).map((s) => s.op === 'writeFile' && [s.path, s.data]), [
      [`${procRoot}/1000/uid_map`, '0 0 1\n'], [`${procRoot}/1000/gid_map`, '0 0 1\n'],
    ]);
    const log = options.syscalls.log;
    assert.ok(log.indexOf('1001:paused:inner-maps') < log.indexOf('1000:paused:lock-maps'));
    assert.ok(log.indexOf('1000:paused:lock-maps') < log.indexOf('1001:release'));
  });
  it('runContainer, the temporary root dir is removed after exit', async () => {
    const handle = await runContainer({ command: cmd, consoleTty: null, lockMounts: false }, {}, options);
    assert.ok(handle.rootDir !== undefined && existsSync(handle.rootDir));
    options.syscalls.exit(1000, 42);
    assert.equal((await handle.wait()).status, 42);
    assert.equal(existsSync(handle.rootDir), false);
  });
  it('runContainer, relays a signal the caller receives', async () => {
    const before = process.listenerCount('SIGUSR2');
    const handle = await runContainer({ command: cmd, consoleTty: null, lockMounts: false, relayedSignals: ['SIGUSR2'] }, {}, options);
    process.emit('SIGUSR2', 'SIGUSR2');
    assert.ok(options.syscalls.log.includes('1000:kill:SIGUSR2'));
    options.syscalls.exit(1000, 0);
    await handle.wait();
    assert.equal(process.listenerCount('SIGUSR2'), before);
  });
  it('callWithContainer, returns the exit status', async () => {
    const pending = callWithContainer([], ['/bin/sh'], { consoleTty: null, lockMounts: false }, options);
    setTimeout(() => options.syscalls.exit(1000, 42), 10);
    assert.equal(await pending, 42);
    const steps = options.syscalls.calls[0]?.plan.steps ?? [];
    assert.deepEqual(steps[0], { op: 'pdeathsig', signal: 9 });
  });
});

describe('runContainer (fake kernel), clone failures', () => {
  it('runContainer, a failed clone is a NamespaceSetupError at step clone', async () => {
    const syscalls = new FakeSyscalls();
    syscalls.spawn = () => { throw new SyscallError('clone3', 1); };
    await assert.rejects(runContainer({ command: { argv: ['/bin/true'] }, consoleTty: null }, {},
      { syscalls, euid: 1001, egid: 1001, newuidmap: '/nonexistent', newgidmap: '/nonexistent' }),
    (e: unknown) => e instanceof NamespaceSetupError && e.step === 'clone' && (e.cause as SyscallError).code === 'EPERM');
  });
});
