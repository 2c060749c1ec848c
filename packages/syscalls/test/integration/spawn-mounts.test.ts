import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireFeature } from '@ct/test-utils';
import { CLONE, MS } from '../../src/index.js';
import { answerIdmap, idmapWait, runCaptured, scratch, sh, tmpfsRootSteps, userNamespacesWork } from './spawn-helpers.js';

const NS = CLONE.NEWUSER | CLONE.NEWNS;

describe('spawn, mounts and roots', () => {
  let dir: string;
  let cleanup: () => void;
  before(async function () {
    requireFeature(this, await userNamespacesWork(), 'unprivileged user namespaces');
  });
  beforeEach(() => ({ dir, cleanup } = scratch('ct-spawn-mnt-')));
  afterEach(() => cleanup());

  it('spawn, mount tmpfs and write a file into it', async () => {
    const { output, status } = await runCaptured({
      namespaces: NS,
      steps: [
        idmapWait,
        { op: 'propagation', target: '/', flags: MS.PRIVATE | MS.REC },
        { op: 'mount', source: 'tmpfs', target: dir, fstype: 'tmpfs', flags: MS.NOSUID, data: 'size=1m' },
        { op: 'writeFile', path: 'hello', data: 'from the child', mode: 0o640, inRoot: dir },
        sh(`cat ${dir}/hello; echo; stat -c %a ${dir}/hello; grep " ${dir} " /proc/self/mountinfo | grep -c tmpfs`),
      ],
    }, answerIdmap);
    assert.equal(status.status, 0, output);
    assert.equal(output, 'from the child\n640\n1\n');
    assert.equal(existsSync(join(dir, 'hello')), false, 'the tmpfs stays in the child mount namespace');
  });

  it('spawn, an optional mount or remount of a missing path is skipped, a required one fails', async () => {
    const missing = join(dir, 'missing');
    const { output, status } = await runCaptured({
      namespaces: NS,
      steps: [
        idmapWait,
        { op: 'propagation', target: '/', flags: MS.PRIVATE | MS.REC },
        { op: 'mount', source: 'tmpfs', target: missing, fstype: 'tmpfs', flags: 0n, optional: true },
        { op: 'remount', target: missing, flags: MS.RDONLY, recursive: false, optional: true },
        { op: 'mount', source: missing, target: dir, flags: MS.BIND, optional: true },
        sh('echo went on'),
      ],
    }, answerIdmap);
    assert.equal(status.status, 0, output);
    assert.equal(output, 'went on\n');
    await assert.rejects(runCaptured({
      namespaces: NS,
      steps: [idmapWait, { op: 'mount', source: 'tmpfs', target: missing, fstype: 'tmpfs', flags: 0n }, sh('true')],
    }, answerIdmap), (e: unknown) => (e as { code?: string }).code === 'ENOENT');
  });

  for (const putOld of [undefined, '.old'] as const) {
    it(`spawn, pivot_root ${putOld === undefined ? '(".", ".") form' : 'with put_old'}`, async () => {
      const { output, status } = await runCaptured({
        namespaces: NS,
        steps: [
          idmapWait, ...tmpfsRootSteps(dir),
          putOld === undefined ? { op: 'pivotRoot', newRoot: dir } : { op: 'pivotRoot', newRoot: dir, putOld },
          { op: 'chdir', path: '/' },
          { op: 'exec', path: '/bin/busybox', argv: ['sh', '-c', 'ls -a /; pwd'], env: [], search: false },
        ],
      }, answerIdmap);
      assert.equal(status.status, 0, output);
      assert.deepEqual(output.trim().split('\n'), ['.', '..', 'bin', '/']);
    });
  }

  it('spawn, chmod after pivot_root needs no /proc', async () => {
    const { output, status } = await runCaptured({
      namespaces: NS,
      steps: [
        idmapWait, ...tmpfsRootSteps(dir),
        { op: 'pivotRoot', newRoot: dir },
        { op: 'chdir', path: '/' },
        { op: 'chmod', path: '/', mode: 0o711 },
        sh('ls /proc 2>&1 | head -1; stat -c %a /'),
      ],
    }, answerIdmap);
    assert.equal(status.status, 0, output);
    assert.match(output, /No such file or directory\n711\n$/);
  });

  it('spawn, remount read-only keeps the locked flags', async () => {
    const { output, status } = await runCaptured({
      namespaces: NS,
      steps: [
        idmapWait,
        { op: 'propagation', target: '/', flags: MS.PRIVATE | MS.REC },
        { op: 'mount', source: 'tmpfs', target: dir, fstype: 'tmpfs', flags: MS.NODEV | MS.NOSUID },
        { op: 'remount', target: dir, flags: MS.RDONLY, recursive: false },
        sh(`touch ${dir}/x 2>/dev/null && echo writable || echo read-only`),
      ],
    }, answerIdmap);
    assert.equal(status.status, 0, output);
    assert.equal(output, 'read-only\n');
  });

  for (const forceNoOpenat2 of [false, true]) {
    it(`spawn, inRoot confines a hostile absolute symlink (${forceNoOpenat2 ? 'walk' : 'openat2'})`, async () => {
      const root = join(dir, 'root');
      const outside = join(dir, 'outside');
      mkdirSync(join(root, 'etc'), { recursive: true });
      mkdirSync(outside);
      mkdirSync(join(root, outside), { recursive: true });  // the same path inside the root
      symlinkSync(outside, join(root, 'evil'));        // absolute: must resolve to root/<outside>
      symlinkSync('../../../../..', join(root, 'up'));  // climbs: must stop at root
      const { status } = await runCaptured({
        namespaces: NS, forceNoOpenat2,
        steps: [
          idmapWait,
          { op: 'mkdir', path: '/evil/made', mode: 0o755, inRoot: root },
          { op: 'writeFile', path: '/up/etc/hosts', data: 'x', mode: 0o644, inRoot: root },
          sh('exit 0'),
        ],
      }, answerIdmap);
      assert.equal(status.status, 0);
      assert.equal(existsSync(join(outside, 'made')), false, 'nothing created outside the root');
      assert.equal(existsSync(join(root, outside, 'made')), true);
      assert.equal(readFileSync(join(root, 'etc/hosts'), 'utf8'), 'x');
    });
  }

  it('spawn, symlink and chmod and rmdir steps inside a root', async () => {
    writeFileSync(join(dir, 'f'), '');
    mkdirSync(join(dir, 'gone'));
    const { status } = await runCaptured({
      namespaces: NS,
      steps: [
        idmapWait,
        { op: 'symlink', target: '/proc/self/fd', path: 'fdlink', inRoot: dir },
        { op: 'symlink', target: '/proc/self/fd', path: 'fdlink', inRoot: dir },  // identical link is kept
        { op: 'chmod', path: 'f', mode: 0o600, inRoot: dir },
        { op: 'rmdir', path: 'gone', inRoot: dir },
        sh('exit 0'),
      ],
    }, answerIdmap);
    assert.equal(status.status, 0);
    assert.equal(existsSync(join(dir, 'gone')), false);
  });
});
