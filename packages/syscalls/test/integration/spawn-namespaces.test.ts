import { strict as assert } from 'node:assert';
import { readlinkSync } from 'node:fs';
import { requireFeature } from '@ct/test-utils';
import { CLONE, spawn } from '../../src/index.js';
import { answerIdmap, idmapWait, runCaptured, sh, userNamespacesWork } from './spawn-helpers.js';

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
});
