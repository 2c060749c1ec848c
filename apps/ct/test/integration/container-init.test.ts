/**
 * `ct container run --init`: ct-init (@ct/namespaces) bound read-only at /run/ct-init is PID 1 and forks the
 * command, relays `container stop`'s SIGTERM to it, reaps orphans, and exits with the command's status. As root
 * and unprivileged.
 */
import { strict as assert } from 'node:assert';
import { containerDirs, useImageSuite } from './container-run-harness.js';

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(120_000);
    const s = useImageSuite('cinit', rootless);

    it('container run --init, PID 1 is ct-init (read-only) and the command runs as pid 2 or more', () => {
      const r = s.run(['--init', 'busybox', 'sh', '-c', 'echo "$$"; tr "\\0" " " < /proc/1/cmdline; echo; echo x > /run/ct-init || echo refused']);
      assert.equal(r.status, 0, r.stderr);
      const [pid, init, write] = r.stdout.split('\n');
      assert.ok(Number(pid) >= 2, `the command's pid: ${pid}`);
      assert.match(init!, /^\/run\/ct-init -- sh -c /);
      assert.match(write!, /refused/);
    });
    it('container run without --init, the command is PID 1', () => {
      const r = s.run(['busybox', 'sh', '-c', 'echo "$$"']);
      assert.equal(r.stdout, '1\n', r.stderr);
    });
    it('container run --init, the exit code and a killing signal come back as the command\'s', () => {
      assert.equal(s.run(['--init', 'busybox', 'sh', '-c', 'exit 7']).status, 7);
      assert.equal(s.run(['--init', 'busybox', 'sh', '-c', 'kill -KILL $$']).status, 137);
    });
    it('container run --init, an orphan re-parented to PID 1 is reaped', () => {
      // the inner sh exits at once: its sleep becomes ct-init's child, a zombie once it ends unless init reaps it
      const script = 'sh -c "sleep 0.2 & echo \\$!" > /tmp/orphan; sleep 1; o=$(cat /tmp/orphan); '
        + 'if [ -e /proc/$o ]; then grep "^State\\|^PPid" /proc/$o/status; else echo reaped; fi';
      const r = s.run(['--init', 'busybox', 'sh', '-c', script]);
      assert.equal(r.stdout, 'reaped\n', r.stderr);
      const alive = s.run(['--init', 'busybox', 'sh', '-c', 'sh -c "sleep 5 & echo \\$!" > /tmp/o; sleep 0.3; grep ^PPid /proc/$(cat /tmp/o)/status']);
      assert.equal(alive.stdout, 'PPid:\t1\n', 'the orphan is ct-init\'s child');
    });
    it('container stop on an --init container, SIGTERM reaches the command; its exit status is recorded', async () => {
      const d = s.run(['-d', '--init', 'busybox', 'sh', '-c', 'trap "echo term; exit 3" TERM; echo up; while true; do sleep 0.1; done']);
      assert.equal(d.status, 0, d.stderr);
      const id = d.stdout.trim();
      for (let i = 0; i < 50 && s.ct.run(['container', 'logs', id]).stdout !== 'up\n'; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(s.ct.run(['container', 'stop', '-t', '5', id]).status, 0);
      const ps = JSON.parse(s.ct.run(['container', 'ps', '--all', '--json']).stdout) as { id: string; exitStatus?: number }[];
      assert.equal(ps.find((c) => c.id === id)?.exitStatus, 3, 'exit 3 from the trap, not 143 from SIGKILL or a dropped signal');
      assert.equal(s.ct.run(['container', 'logs', id]).stdout, 'up\nterm\n');
      assert.equal(s.ct.run(['container', 'rm', id]).status, 0);
      assert.deepEqual(containerDirs(s.store), []);
    });
  });
}

defineSuite('ct container run --init @root', false);
defineSuite('ct container run --init unprivileged @rootless', true);
