import { strict as assert } from 'node:assert';
import { readFileSync, readlinkSync } from 'node:fs';
import { requireFeature } from '@ct/test-utils';
import { CLONE, SyscallError, spawn } from '../../src/index.js';
import { answerIdmap, idmapWait, runCaptured, sh, spawnCaptured, userNamespacesWork } from './spawn-helpers.js';

const KINDS: readonly [string, number][] = [
  ['user', CLONE.NEWUSER], ['mnt', CLONE.NEWNS], ['pid', CLONE.NEWPID], ['net', CLONE.NEWNET],
  ['uts', CLONE.NEWUTS], ['ipc', CLONE.NEWIPC], ['cgroup', CLONE.NEWCGROUP], ['time', CLONE.NEWTIME],
];

describe('spawn, namespaces', () => {
  before(async function () {
    requireFeature(this, await userNamespacesWork(), 'unprivileged user namespaces');
  });

  for (const [kind, flag] of KINDS) {
    it(`spawn, new ${kind} namespace`, async () => {
      const { output, status } = await runCaptured({
        namespaces: CLONE.NEWUSER | flag,
        steps: [idmapWait, sh(`readlink /proc/self/ns/${kind}`)],
      }, answerIdmap);
      assert.equal(status.status, 0, output);
      assert.match(output.trim(), new RegExp(`^${kind}:\\[\\d+\\]$`));
      assert.notEqual(output.trim(), readlinkSync(`/proc/self/ns/${kind}`));
    });
  }

  it('spawn, legacy clone(2) + pidfd_open path', async () => {
    const { output, status } = await runCaptured({
      namespaces: CLONE.NEWUSER | CLONE.NEWUTS, forceLegacyClone: true,
      steps: [idmapWait, { op: 'sethostname', name: 'legacy' }, sh('hostname; id -u')],
    }, answerIdmap);
    assert.equal(status.status, 0);
    assert.equal(output, 'legacy\n0\n');
  });

  it('spawn, id maps written at the pause point give root inside', async () => {
    const { output } = await runCaptured({
      namespaces: CLONE.NEWUSER, steps: [idmapWait, sh('id -u; id -g; cat /proc/self/uid_map')],
    }, answerIdmap);
    const [uid, gid, map] = output.split('\n');
    assert.equal(uid, '0');
    assert.equal(gid, '0');
    assert.deepEqual(map!.trim().split(/\s+/), ['0', String(process.geteuid!()), '1']);
  });

  it('spawn, pid namespace makes the program pid 1', async () => {
    const { output } = await runCaptured({
      namespaces: CLONE.NEWUSER | CLONE.NEWPID, steps: [idmapWait, sh('echo $$')],
    }, answerIdmap);
    assert.equal(output, '1\n');
  });

  it('spawn, setns step joins a net namespace held by another child', async () => {
    const holder = spawn({
      namespaces: CLONE.NEWUSER | CLONE.NEWNET,
      steps: [idmapWait, { op: 'wait', label: 'hold' }, sh('exit 0')],
    });
    try {
      assert.equal((await holder.nextEvent()).kind, 'paused');
      answerIdmap(holder, 'idmap');
      holder.release();
      assert.deepEqual(await holder.nextEvent(), { kind: 'paused', label: 'hold', step: 1 });
      const netns = readlinkSync(`/proc/${holder.pid}/ns/net`);
      const { output, status } = await runCaptured({
        namespaces: 0,
        steps: [
          { op: 'setns', path: `/proc/${holder.pid}/ns/user`, nstype: CLONE.NEWUSER },
          { op: 'setns', path: `/proc/${holder.pid}/ns/net`, nstype: CLONE.NEWNET },
          sh('readlink /proc/self/ns/net'),
        ],
      });
      assert.equal(status.status, 0, output);
      assert.equal(output.trim(), netns);
    } finally {
      holder.kill('SIGKILL');
      await holder.wait();
    }
  });

  it('spawn, forkInit after joining a pid namespace: the program runs in it, as the caller\'s child', async () => {
    const holder = spawn({
      namespaces: CLONE.NEWUSER | CLONE.NEWPID,
      steps: [idmapWait, { op: 'wait', label: 'hold' }, sh('exit 0')],
    });
    try {
      answerIdmap(holder, (await holder.nextEvent()).kind === 'paused' ? 'idmap' : '');
      holder.release();
      assert.equal((await holder.nextEvent()).kind, 'paused');
      const { child, output } = spawnCaptured({
        namespaces: 0,
        steps: [
          { op: 'setns', path: `/proc/${holder.pid}/ns/user`, nstype: CLONE.NEWUSER },
          { op: 'setns', path: `/proc/${holder.pid}/ns/pid`, nstype: CLONE.NEWPID },
          { op: 'forkInit' },
          { op: 'wait', label: 'check' },
          sh('echo $$; readlink /proc/self/ns/pid'),
        ],
      });
      assert.deepEqual(await child.nextEvent(), { kind: 'paused', label: 'check', step: 3 });
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      assert.equal(/^PPid:\s*(\d+)$/m.exec(status)?.[1], String(process.pid));
      assert.deepEqual(/^NSpid:\s*(.*)$/m.exec(status)?.[1]?.split(/\s+/).length, 2, 'a pid in ours and one in the joined namespace');
      child.release();
      assert.deepEqual(await child.nextEvent(), { kind: 'exec' });
      const [out, exit] = await Promise.all([output, child.wait()]);
      assert.equal(exit.status, 0, out);
      const [pid, ns] = out.trim().split('\n');
      assert.equal(pid, '2', 'the second process of the holder\'s pid namespace');
      assert.equal(ns, readlinkSync(`/proc/${holder.pid}/ns/pid`));
    } finally {
      holder.kill('SIGKILL');
      await holder.wait();
    }
  });

  it('spawn, unshare then forkInit: the new process is pid 1 of the new pid namespace', async () => {
    const { output, status } = await runCaptured({
      namespaces: 0, dumpableWhilePaused: process.geteuid!() !== 0,
      steps: [{ op: 'unshare', flags: CLONE.NEWUSER | CLONE.NEWPID }, { op: 'forkInit' }, idmapWait, sh('echo $$; id -u')],
    }, answerIdmap);
    assert.equal(status.status, 0, output);
    assert.equal(output, '1\n0\n');
  });

  it('spawn, a failing setns before forkInit is reported with its step', async () => {
    const child = spawn({
      namespaces: 0,
      steps: [{ op: 'setns', path: '/proc/self/ns/pid', nstype: CLONE.NEWNET }, { op: 'forkInit' }, sh('true')],
    });
    await assert.rejects(child.nextEvent(), (e: unknown) => e instanceof SyscallError && e.step === 0 && e.code === 'EINVAL');
    assert.equal((await child.wait()).status, 1);
  });
});
