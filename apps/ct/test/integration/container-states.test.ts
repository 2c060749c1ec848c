/**
 * `ct container` verbs against the states a container goes through, as root and unprivileged: `-d --rm` removed
 * by its monitor once it exits (podman's), a foreground `--keep` container's exit status in `ps --all` (table and
 * JSON), and, as root (pause needs the freezer), `stop` of a paused container refused at once, as podman does,
 * rather than hanging on frozen processes.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { containerDirs, useImageSuite } from './container-run-harness.js';

interface PsEntry { id: string; status: string; exitStatus?: number }

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(120_000);
    const s = useImageSuite('states', rootless);
    const ps = (): PsEntry[] => JSON.parse(s.ct.run(['container', 'ps', '--all', '--json']).stdout) as PsEntry[];

    it('container run -d --rm, the monitor removes the container once it exits (here: stopped)', async () => {
      const id = `drm-${process.pid}`;
      const r = s.run(['-d', '--rm', '--name', id, 'busybox', 'sleep', '60']);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(ps().some((c) => c.id === id), 'running first');
      assert.equal(s.ct.run(['container', 'stop', '-t', '1', id]).status, 0);
      for (let i = 0; i < 200 && ps().some((c) => c.id === id); i++) await new Promise((res) => setTimeout(res, 100));
      assert.equal(ps().some((c) => c.id === id), false, 'gone from ps --all');
      assert.equal(existsSync(join(s.root, '.bundles', id)), false, 'its bundle is removed');
      assert.deepEqual(containerDirs(s.store), [], 'and its store root');
    });
    it('container run -d without --rm, the stopped container stays for ps --all and logs', async () => {
      const id = `dkeep-${process.pid}`;
      assert.equal(s.run(['-d', '--name', id, 'busybox', 'sh', '-c', 'echo bye; exit 3']).status, 0);
      try {
        for (let i = 0; i < 200 && ps().find((c) => c.id === id)?.exitStatus === undefined; i++) await new Promise((res) => setTimeout(res, 100));
        assert.equal(ps().find((c) => c.id === id)?.exitStatus, 3);
        assert.equal(s.ct.run(['container', 'logs', id]).stdout, 'bye\n');
      } finally {
        s.ct.run(['container', 'rm', '-f', id]);
      }
    });
    it('container run --keep (foreground), ps --all shows its exit status, in the table and in JSON', () => {
      const id = `fgkeep-${process.pid}`;
      assert.equal(s.run(['--keep', '--name', id, 'busybox', 'sh', '-c', 'exit 7']).status, 7);
      try {
        const mine = ps().find((c) => c.id === id);
        assert.equal(mine?.status, 'stopped');
        assert.equal(mine?.exitStatus, 7);
        assert.match(s.ct.run(['container', 'ps', '--all']).stdout, new RegExp(`^${id} .*exited \\(7\\)`, 'm'));
      } finally {
        assert.equal(s.ct.run(['container', 'rm', id]).status, 0);
      }
    });
    if (!rootless) {
      it('container stop, a paused container is refused at once with what to do (podman refuses too); rm -f removes it', () => {
        const id = `pstop-${process.pid}`;
        assert.equal(s.run(['-d', '--name', id, 'busybox', 'sleep', '60']).status, 0);
        try {
          assert.equal(s.ct.run(['pause', id]).status, 0);
          const started = Date.now();
          const r = s.ct.run(['container', 'stop', '-t', '1', id], { timeoutMs: 20_000 });
          assert.notEqual(r.status, null, 'it returned (no hang)');
          assert.notEqual(r.status, 0);
          assert.ok(Date.now() - started < 15_000);
          assert.match(r.stderr, /paused/);
          assert.match(r.stderr, /resume/);
          assert.equal(ps().find((c) => c.id === id)?.status, 'paused', 'still there, still paused');
          assert.equal(s.ct.run(['container', 'rm', '-f', id], { timeoutMs: 20_000 }).status, 0);
          assert.equal(ps().some((c) => c.id === id), false);
        } finally {
          s.ct.run(['resume', id]);
          s.ct.run(['container', 'rm', '-f', id]);
        }
      });
    }
  });
}

defineSuite('ct container states @root', false);
defineSuite('ct container states unprivileged @rootless', true);
