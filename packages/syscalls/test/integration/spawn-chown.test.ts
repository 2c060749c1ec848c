import { strict as assert } from 'node:assert';
import { lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireFeature } from '@ct/test-utils';
import { CLONE, SyscallError } from '../../src/index.js';
import { answerIdmap, idmapWait, runCaptured, scratch, sh, spawnCaptured, userNamespacesWork } from './spawn-helpers.js';

describe('spawn, chown step', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = scratch('ct-spawn-chown-')));
  afterEach(() => cleanup());

  it('spawn, chown to an unmapped uid is EINVAL from fchownat at its step', async function () {
    requireFeature(this, await userNamespacesWork(), 'unprivileged user namespaces');
    writeFileSync(join(dir, 'f'), 'x');
    const { child } = spawnCaptured({
      namespaces: CLONE.NEWUSER,
      steps: [idmapWait, { op: 'chown', path: '/f', uid: 4242, gid: 0, inRoot: dir }, sh('true')],
    });
    let err: unknown;
    for (;;) {
      try {
        const ev = await child.nextEvent();
        if (ev.kind !== 'paused') break;
        answerIdmap(child, ev.label);
        child.release();
      } catch (e) { err = e; break; }
    }
    await child.wait();
    assert.ok(err instanceof SyscallError, String(err));
    assert.equal(err.code, 'EINVAL');
    assert.equal(err.syscall, 'fchownat');
    assert.equal(err.step, 1);
  });
});

describe('spawn, chown step @root', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = scratch('ct-spawn-chown-')));
  afterEach(() => cleanup());

  it('spawn, chown sets owners inside the root and never follows a final symlink', async () => {
    mkdirSync(join(dir, 'root'));
    writeFileSync(join(dir, 'root', 'dev-node'), '');
    writeFileSync(join(dir, 'victim'), 'host file');
    symlinkSync(join(dir, 'victim'), join(dir, 'root', 'link'));
    const { status, output } = await runCaptured({
      namespaces: 0,
      steps: [
        { op: 'chown', path: '/dev-node', uid: 1234, gid: 5678, inRoot: join(dir, 'root') },
        { op: 'chown', path: '/link', uid: 4321, gid: 8765, inRoot: join(dir, 'root') },
        sh('true'),
      ],
    }, answerIdmap);
    assert.equal(status.status, 0, output);
    const node = lstatSync(join(dir, 'root', 'dev-node'));
    assert.deepEqual([node.uid, node.gid], [1234, 5678]);
    const link = lstatSync(join(dir, 'root', 'link'));
    assert.deepEqual([link.uid, link.gid], [4321, 8765]);
    const victim = lstatSync(join(dir, 'victim'));
    assert.deepEqual([victim.uid, victim.gid], [0, 0]);
  });
});
