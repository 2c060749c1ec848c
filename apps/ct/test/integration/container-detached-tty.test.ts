/**
 * `ct container run -d -t` (podman run -dt): the detached container gets a pty; the monitor holds its master,
 * writes what the container prints to the log and keeps the pty open until the container exits (a closed master
 * would hang the container up). `logs`, `exec` (with and without -it), `stop` and `rm` work on it. As root and
 * unprivileged.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { requireFeature } from '@ct/test-utils';
import { useImageSuite, containerDirs } from './container-run-harness.js';
import { ctBin } from './runtime-harness.js';

async function waitExited(s: ReturnType<typeof useImageSuite>, id: string): Promise<{ exitStatus?: number; status: string } | undefined> {
  for (let i = 0; i < 150; i++) {
    const ps = JSON.parse(s.ct.run(['container', 'ps', '--all', '--json']).stdout) as { id: string; exitStatus?: number; status: string }[];
    const mine = ps.find((c) => c.id === id);
    if (mine?.status === 'stopped' && mine.exitStatus !== undefined) return mine;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

/** The log's lines without the pty's carriage returns. */
function lines(log: string): string[] {
  return log.replace(/\r/g, '').split('\n').filter((l) => l !== '');
}

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(120_000);
    const s = useImageSuite('cdtty', rootless);

    it('container run -dt, the process has a pty that stays open until it exits; its output is the log', async () => {
      // `sleep` then `echo`: a master closed when run -d returned would hang the shell up (SIGHUP) before "later"
      // podman's grouped short flags (-dt as -d -t)
      const d = s.run(['-dt', 'busybox', 'sh', '-c', 'tty; stty size; echo first; sleep 2; echo later; exit 5']);
      assert.equal(d.status, 0, d.stderr);
      const id = d.stdout.trim();
      const done = await waitExited(s, id);
      assert.equal(done?.exitStatus, 5);
      const log = s.ct.run(['container', 'logs', id]).stdout;
      assert.match(log, /\r\n/, 'a pty turns \\n into \\r\\n (ONLCR)');
      const [tty, ...rest] = lines(log);
      assert.match(tty ?? '', /^\/dev\/pts\/\d+$/, log);
      // the caller had no terminal: the default 24x80 went into process.consoleSize
      assert.deepEqual(rest, ['24 80', 'first', 'later'], log);
      assert.equal(s.ct.run(['container', 'rm', id]).status, 0);
      assert.deepEqual(containerDirs(s.store), []);
    });

    it('container exec, into a running -dt container: without -t no pty (the init\'s stdio is one), with -it one of its own', function () {
      requireFeature(this, spawnSync('script', ['--version']).status === 0, 'script (util-linux) is not installed');
      const id = s.run(['-d', '-t', 'busybox', 'sleep', '60']).stdout.trim();
      try {
        const plain = s.ct.run(['container', 'exec', id, 'sh', '-c', 'readlink /proc/1/fd/0; readlink /proc/1/fd/1; tty; exit 7']);
        assert.equal(plain.status, 7, plain.stderr);
        const [stdin, stdout, own] = plain.stdout.trim().split('\n');
        assert.match(stdin ?? '', /^\/dev\/pts\/\d+$/, plain.stdout);
        assert.equal(stdout, stdin);
        assert.equal(own, 'not a tty', 'exec without -t overrides the container\'s process.terminal');
        // -it needs a terminal of ours: script(1) gives ct one
        const ctLine = [process.execPath, ctBin, '--root', s.root, 'container', 'exec', '-it', id, 'sh', '-c', 'echo "$(tty) $(readlink /proc/1/fd/0) $(stty size)"; exit 6']
          .map((a) => `'${a}'`).join(' ');
        const env = ['env', 'TMPDIR=/tmp', 'HOME=/tmp', ...(s.user !== undefined ? [`XDG_RUNTIME_DIR=${s.user.runtimeDir}`] : [])];
        const cmd = [...(s.user !== undefined ? ['runuser', '-u', 'ctci', '--'] : []), ...env, 'script', '-qec', `stty cols 91 rows 33; ${ctLine}`, '/dev/null'];
        const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000, cwd: '/' });
        assert.equal(r.status, 6, r.stderr + r.stdout);
        const m = /(\/dev\/pts\/\d+) (\/dev\/pts\/\d+) (\d+ \d+)/.exec(r.stdout);
        assert.ok(m !== null, r.stdout);
        assert.equal(m[3], '33 91', 'the exec\'d process\'s pty has our size from its start');
        assert.notEqual(m[1], m[2], 'the exec\'d process has a pty of its own');
        assert.equal(m[2], stdin);
      } finally {
        s.ct.run(['container', 'rm', '-f', id]);
      }
    });

    it('container stop and rm, a -dt container gets SIGTERM, its last output is logged, rm removes it', async () => {
      const d = s.run(['-d', '-t', 'busybox', 'sh', '-c', 'trap "echo term; exit 3" TERM; echo up; while true; do sleep 0.1; done']);
      assert.equal(d.status, 0, d.stderr);
      const id = d.stdout.trim();
      for (let i = 0; i < 50 && !lines(s.ct.run(['container', 'logs', id]).stdout).includes('up'); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(s.ct.run(['container', 'stop', '-t', '5', id]).status, 0);
      assert.equal((await waitExited(s, id))?.exitStatus, 3);
      assert.deepEqual(lines(s.ct.run(['container', 'logs', id]).stdout), ['up', 'term']);
      assert.equal(s.ct.run(['container', 'rm', id]).status, 0);
      assert.equal(s.ct.run(['container', 'ps', '--all', '--json']).stdout.includes(id), false);
      assert.deepEqual(containerDirs(s.store), []);
    });
  });
}

defineSuite('ct container run -dt @root', false);
defineSuite('ct container run -dt unprivileged @rootless', true);
