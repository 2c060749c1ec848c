import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@ct/test-utils';
import { enterContainer } from '../../src/enter-container.js';
import { ContainerSpecError } from '../../src/errors.js';
import { CLONE_FLAGS } from '../../src/namespaces.js';
import type { Step } from '../../src/internal/syscalls-port.js';
import { FakeSyscalls } from './fake-syscalls.js';

const ops = (steps: readonly Step[]) => steps.map((s) => (s.op === 'wait' ? `wait:${s.label}` : s.op));

/** A fake /proc where process 42's user namespace says `setgroups`. */
function procRoot(setgroups: 'allow' | 'deny'): string {
  const root = tempDir('ct-enter-proc-');
  mkdirSync(join(root, '42'));
  writeFileSync(join(root, '42', 'setgroups'), `${setgroups}\n`);
  return root;
}
const rlimitHost = { hardLimit: () => 1n << 20n, canRaise: false };

describe('enterContainer', () => {
  it('enterContainer, runc exec\'s order: cgroup pause, keyring, rlimits, capabilities around the ids, umask, no_new_privs, cwd, seccomp last', async () => {
    const sys = new FakeSyscalls();
    const cg = tempDir('ct-enter-cg-');
    const entered = await enterContainer(42, {
      command: { argv: ['sh', '-c', 'true'], env: { PATH: '/bin' }, cwd: '/work' }, uid: 1000, gid: 1000, additionalGids: [10],
      capabilities: ['CAP_KILL'], noNewPrivileges: true, umask: 0o22, sessionKeyring: '_ses.c1',
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 64n, hard: 64n }],
      seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] },
    }, { syscalls: sys, procRoot: procRoot('allow'), cgroupDirs: [cg], rlimitHost });
    const call = sys.calls[0]!;
    assert.equal(call.kind, 'enter');
    assert.equal(call.target, 42);
    assert.equal((call.namespaces ?? 0) & CLONE_FLAGS.pid, CLONE_FLAGS.pid);
    assert.deepEqual(ops(call.plan.steps), [
      'wait:cgroup', 'sessionKeyring', 'rlimit', 'capabilities', 'keepCaps', 'setgroups', 'setresgid', 'setresuid',
      'capabilities', 'keepCaps', 'umask', 'noNewPrivs', 'chdir', 'seccomp', 'exec',
    ]);
    assert.deepEqual(call.plan.steps.at(-1), { op: 'exec', path: 'sh', argv: ['sh', '-c', 'true'], env: ['PATH=/bin'], search: true });
    assert.equal(readFileSync(join(cg, 'cgroup.procs'), 'utf8'), String(entered.pid), 'placed at the cgroup pause');
  });
  it('enterContainer, setup runs at the first pause, after the cgroup placement, before the process\'s own steps', async () => {
    const sys = new FakeSyscalls();
    const cg = tempDir('ct-enter-cg-');
    const seen: string[] = [];
    await enterContainer(42, { command: { argv: ['true'] } }, {
      syscalls: sys, procRoot: procRoot('allow'), cgroupDirs: [cg],
      setup: (pid) => { seen.push(`setup ${pid} after ${readFileSync(join(cg, 'cgroup.procs'), 'utf8')}`); },
    });
    assert.deepEqual(seen, ['setup 1000 after 1000']);
    assert.equal(ops(sys.calls[0]!.plan.steps)[0], 'wait:cgroup');
  });
  it('enterContainer, a hook: the caller\'s ids and capabilities kept, its path exec\'d with its own argv[0]', async () => {
    const sys = new FakeSyscalls();
    await enterContainer(42, { command: { argv: ['hook-name', 'x'] }, path: '/usr/bin/hook', search: false }, { syscalls: sys, procRoot: procRoot('allow') });
    assert.deepEqual(ops(sys.calls[0]!.plan.steps), ['chdir', 'exec']);
    assert.deepEqual(sys.calls[0]!.plan.steps.at(-1), { op: 'exec', path: '/usr/bin/hook', argv: ['hook-name', 'x'], env: [], search: false });
  });
  it('enterContainer, detached: the parent-death signal cleared first, released from the last pause, not waited for', async () => {
    const sys = new FakeSyscalls();
    const seen: number[] = [];
    await enterContainer(42, { command: { argv: ['/bin/true'] } }, {
      syscalls: sys, procRoot: procRoot('allow'), detach: true, beforeExec: (pid) => { seen.push(pid); },
    });
    assert.deepEqual(ops(sys.calls[0]!.plan.steps), ['pdeathsig', 'chdir', 'wait:before-exec', 'exec']);
    assert.deepEqual(seen, [1000]);
    assert.deepEqual(sys.log, ['1000:paused:before-exec', '1000:release'], 'the exec is not awaited');
  });
  it('enterContainer, supplementary groups where the container denies setgroups: ContainerSpecError naming additionalGids', async () => {
    await assert.rejects(enterContainer(42, { command: { argv: ['true'] }, uid: 0, gid: 0, additionalGids: [5] },
      { syscalls: new FakeSyscalls(), procRoot: procRoot('deny') }), (e: unknown) => e instanceof ContainerSpecError && e.field === 'additionalGids');
    const sys = new FakeSyscalls();
    await enterContainer(42, { command: { argv: ['true'] }, uid: 0, gid: 0 }, { syscalls: sys, procRoot: procRoot('deny') });
    assert.ok(!sys.calls[0]!.plan.steps.some((s) => s.op === 'setgroups'), 'no setgroups where it is denied');
  });
  it('enterContainer, a failing step is a NamespaceSetupError naming it, and the process is killed', async () => {
    const sys = new FakeSyscalls({ op: 'chdir', errno: 2, kind: 'enter' });
    await assert.rejects(enterContainer(42, { command: { argv: ['true'], cwd: '/nope' } }, { syscalls: sys, procRoot: procRoot('allow') }),
      (e: unknown) => (e as Error).message === 'chdir: /nope: ENOENT');
  });
});
