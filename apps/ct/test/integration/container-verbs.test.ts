/**
 * podman's container verbs beyond run/ps/logs/stop/rm (issue 26), as root and unprivileged: `container ls`
 * (ps's alias), `ps --format` templates and `-q`, the image's name in ps, `inspect` (podman's field names, a
 * template), `kill` (SIGKILL by default, a stopped one refused with 125), `wait` (the exit status, also of one that
 * has not exited yet), `logs --tail` and `-f`, `prune` (the stopped ones only, with their roots).
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { testImage } from '@ct/test-utils';
import { join } from 'node:path';
import { containerDirs, useImageSuite } from './container-run-harness.js';
import { ctBin } from './runtime-harness.js';

interface PsEntry { id: string; status: string; exitStatus?: number }

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(120_000);
    const s = useImageSuite('verbs', rootless);
    const ps = (): PsEntry[] => JSON.parse(s.ct.run(['container', 'ps', '--all', '--json']).stdout) as PsEntry[];
    const exited = async (id: string): Promise<PsEntry | undefined> => {
      for (let i = 0; i < 200; i++) {
        const mine = ps().find((c) => c.id === id);
        if (mine?.exitStatus !== undefined) return mine;
        await new Promise((r) => setTimeout(r, 100));
      }
      return undefined;
    };

    it('container ls, ps --format and -q: podman\'s alias, template fields and ids; the image as it was named', () => {
      const id = `ls-${process.pid}`;
      assert.equal(s.run(['-d', '--name', id, 'busybox', 'sleep', '60']).status, 0);
      try {
        const ls = s.ct.run(['container', 'ls']);
        assert.equal(ls.status, 0, ls.stderr);
        // The two listings are taken a moment apart: "9 seconds ago" then "10 seconds ago" widens the column.
        const ago = (t: string): string => t.replace(/(Less than a second|About a minute|\d+ \w+) ago/gm, 'AGO').replace(/ +/g, ' ');
        assert.deepEqual(ago(ls.stdout), ago(s.ct.run(['container', 'ps']).stdout));
        assert.match(ls.stdout, new RegExp(`^${id} +busybox +sleep 60 +running +(\\d+ seconds?|Less than a second|About a minute) ago`, 'm'), 'the image by the name run was given; the time as podman says it');
        const f = s.ct.run(['container', 'ps', '--format', '{{.ID}} {{.Names}} {{.Image}} {{.State}} {{json .Command}}']);
        assert.equal(f.stdout, `${id} ${id} busybox running "sleep 60"\n`, f.stderr);
        assert.equal(s.ct.run(['container', 'ps', '-q']).stdout, `${id}\n`);
        // --storage-root (which run needs) is taken by ps too: the containers whose root is in that store
        assert.equal(s.ct.run(['container', 'ps', '-q', '--storage-root', s.store]).stdout, `${id}\n`);
        assert.equal(s.ct.run(['container', 'ps', '-q', '--storage-root', `${s.store}-other`]).stdout, '');
        const bad = s.ct.run(['container', 'ps', '--format', '{{range .}}x{{end}}']);
        assert.equal(bad.status, 125);
        assert.match(bad.stderr, /^Error: .*--format.*\{\{range \.\}\} is not supported/m);
      } finally {
        s.ct.run(['container', 'rm', '-f', id]);
      }
    });

    it('container kill, SIGKILL by default (137), -s for another; wait prints the status; a stopped one is refused with 125', async () => {
      const id = `kill-${process.pid}`;
      assert.equal(s.run(['-d', '--name', id, 'busybox', 'sh', '-c', 'trap "exit 9" USR1; while true; do sleep 0.1; done']).status, 0);
      try {
        // wait started before the exit: it returns once there is a status
        const waiting = new Promise<{ code: number | null; out: string }>((resolve) => {
          const argv = [ctBin, '--root', s.root, 'container', 'wait', id];
          const child = s.user === undefined
            ? spawn(process.execPath, argv)
            : spawn('runuser', ['-u', 'ctci', '--', 'env', `XDG_RUNTIME_DIR=${s.user.runtimeDir}`, process.execPath, ...argv]);
          let out = '';
          child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
          child.on('close', (code) => resolve({ code, out }));
        });
        await new Promise((r) => setTimeout(r, 1000));
        const k = s.ct.run(['container', 'kill', '-s', 'USR1', id]);
        assert.equal(k.status, 0, k.stderr);
        assert.equal(k.stdout, `${id}\n`);
        assert.deepEqual(await waiting, { code: 0, out: '9\n' });
        const again = s.ct.run(['container', 'kill', id]);
        assert.equal(again.status, 125);
        assert.match(again.stderr, new RegExp(`^Error: container kill: ${id}: the container is not running`, 'm'));
        assert.equal(s.ct.run(['container', 'wait', id]).stdout, '9\n', 'wait of a stopped one answers at once');
      } finally {
        s.ct.run(['container', 'rm', '-f', id]);
      }
      const id2 = `kill9-${process.pid}`;
      assert.equal(s.run(['-d', '--name', id2, 'busybox', 'sleep', '60']).status, 0);
      try {
        assert.equal(s.ct.run(['container', 'kill', id2]).status, 0);
        assert.equal((await exited(id2))?.exitStatus, 137, 'SIGKILL: 128 + 9');
      } finally {
        s.ct.run(['container', 'rm', '-f', id2]);
      }
      assert.equal(s.ct.run(['container', 'wait', `nosuch-${process.pid}`]).status, 125);
    });

    it('container inspect, podman\'s fields for a running and an exited container; --format templates', async () => {
      const id = `insp-${process.pid}`;
      assert.equal(s.run(['-d', '--name', id, '-e', 'FOO=bar', '-w', '/tmp', 'busybox', 'sh', '-c', 'sleep 2; exit 3']).status, 0);
      try {
        const running = JSON.parse(s.ct.run(['container', 'inspect', id]).stdout) as {
          Id: string; ImageName: string; Image: string; Path: string; Args: string[];
          State: { Status: string; Running: boolean; Pid: number }; Config: { Env: string[]; WorkingDir: string };
        }[];
        assert.equal(running.length, 1);
        const r = running[0]!;
        assert.equal(r['Id'], id);
        assert.equal(r['ImageName'], 'busybox');
        assert.match(r['Image'], /^[0-9a-f]{64}$/, 'ct\'s image id: its digest\'s hex digits (ImageDigest the digest)');
        assert.equal(r['Path'], 'sh');
        assert.deepEqual(r['Args'], ['-c', 'sleep 2; exit 3']);
        assert.equal(r['State'].Status, 'running');
        assert.equal(r['State'].Running, true);
        assert.ok(r['State'].Pid > 0);
        assert.ok((r['Config'].Env as string[]).includes('FOO=bar'));
        assert.equal(r['Config'].WorkingDir, '/tmp');
        assert.equal((await exited(id))?.exitStatus, 3);
        const t = s.ct.run(['container', 'inspect', '--format', '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}} {{.Config.WorkingDir}}', id]);
        assert.equal(t.stdout, 'exited 3 false /tmp\n', t.stderr);
        const none = s.ct.run(['container', 'inspect', `nosuch-${process.pid}`]);
        assert.equal(none.status, 125);
        assert.match(none.stderr, /^Error: no container named "nosuch-\d+"/m);
      } finally {
        s.ct.run(['container', 'rm', '-f', id]);
      }
    });

    it('container logs --tail N and -f: the last lines; following until the container exits', () => {
      const id = `logs-${process.pid}`;
      assert.equal(s.run(['-d', '--name', id, 'busybox', 'sh', '-c', 'echo one; echo two; echo three; sleep 2; echo four; exit 0']).status, 0);
      try {
        const follow = s.ct.run(['container', 'logs', '-f', id], { timeoutMs: 60_000 });
        assert.equal(follow.status, 0, follow.stderr);
        assert.equal(follow.stdout, 'one\ntwo\nthree\nfour\n', 'all of it, also what came after logs started');
        assert.equal(s.ct.run(['container', 'logs', '--tail', '2', id]).stdout, 'three\nfour\n');
        assert.equal(s.ct.run(['container', 'logs', '--tail', '0', id]).stdout, '');
        assert.equal(s.ct.run(['container', 'logs', '--tail', '-1', id]).stdout, 'one\ntwo\nthree\nfour\n');
      } finally {
        s.ct.run(['container', 'rm', '-f', id]);
      }
    });

    it('container prune, the stopped containers and their roots go; a running one stays', async () => {
      const done = `prune-done-${process.pid}`;
      const live = `prune-live-${process.pid}`;
      assert.equal(s.run(['--keep', '--name', done, 'busybox', 'true']).status, 0);
      assert.equal(s.run(['-d', '--name', live, 'busybox', 'sleep', '60']).status, 0);
      try {
        const p = s.ct.run(['container', 'prune']);
        assert.equal(p.status, 0, p.stderr);
        assert.equal(p.stdout, `${done}\n`);
        assert.deepEqual(ps().map((c) => c.id), [live]);
        assert.deepEqual(containerDirs(s.store), [live]);
      } finally {
        s.ct.run(['container', 'rm', '-f', live]);
        s.ct.run(['container', 'rm', '-f', done]);
      }
      assert.deepEqual(containerDirs(s.store), []);
    });

    it('container top and stats: the processes as the container sees them; pids (and memory as root) in use', () => {
      const id = `top-${process.pid}`;
      assert.equal(s.run(['-d', '--name', id, '-u', '1000', '--memory', '64m', 'busybox', 'sh', '-c', 'sleep 60 & sleep 61 & wait']).status, 0);
      try {
        let top = s.ct.run(['container', 'top', id]);
        for (let i = 0; i < 50 && top.stdout.split('\n').length < 5; i++) top = s.ct.run(['container', 'top', id]);
        assert.equal(top.status, 0, top.stderr);
        assert.deepEqual(top.stdout.split('\n').map((l) => l.split(/\s{2,}/)), [
          ['USER', 'PID', 'PPID', 'COMMAND'], ['1000', '1', '0', 'sh -c sleep 60 & sleep 61 & wait'], ['1000', '2', '1', 'sleep 60'],
          ['1000', '3', '1', 'sleep 61'], [''],
        ]);
        const stats = JSON.parse(s.ct.run(['container', 'stats', '--no-stream', '--json', id]).stdout) as { id: string; pids: { current: number }; memory?: { usage: { limit: number } } }[];
        assert.equal(stats[0]?.id, id);
        assert.equal(stats[0]?.pids.current, 3);
        // unprivileged: no cgroup of its own on this machine, so no memory figures (pids from its pid namespace)
        if (!rootless) assert.equal(stats[0]?.memory?.usage.limit, 64 * 1024 * 1024);
        assert.match(s.ct.run(['container', 'stats', id]).stdout, new RegExp(`^${id} .* 3$`, 'm'));
      } finally {
        s.ct.run(['container', 'rm', '-f', id]);
      }
      const stopped = s.ct.run(['container', 'top', id]);
      assert.equal(stopped.status, 125);
    });

    it('container start and restart: a stopped container runs again on the root it had; rm and stop take several', async () => {
      const id = `start-${process.pid}`;
      const script = 'echo run >> /count; wc -l < /count; exit 3';
      assert.equal(s.run(['--keep', '--name', id, 'busybox', 'sh', '-c', script]).status, 3);
      const other = `start2-${process.pid}`;
      try {
        const st = s.ct.run(['container', 'start', id]);
        assert.equal(st.status, 0, st.stderr);
        assert.equal(st.stdout, `${id}\n`);
        assert.equal(s.ct.run(['container', 'wait', id]).stdout, '3\n');
        // the foreground --keep run's output is logged too (as podman's): the log goes on over the starts
        assert.equal(s.ct.run(['container', 'logs', id]).stdout, '1\n2\n', 'the second run, on the first one\'s files');
        assert.equal(s.ct.run(['container', 'restart', id]).status, 0);
        assert.equal(s.ct.run(['container', 'wait', id]).stdout, '3\n');
        assert.equal(s.ct.run(['container', 'logs', id]).stdout, '1\n2\n3\n');
        // restart of a running one: its stop signal first
        assert.equal(s.run(['-d', '--name', other, 'busybox', 'sh', '-c', 'echo up; trap "echo term; exit 4" TERM; while true; do sleep 0.1; done']).status, 0);
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(s.ct.run(['container', 'restart', '-t', '10', other]).status, 0);
        for (let i = 0; i < 50 && !s.ct.run(['container', 'logs', other]).stdout.endsWith('up\nterm\nup\n'); i++) await new Promise((r) => setTimeout(r, 100));
        assert.equal(s.ct.run(['container', 'logs', other]).stdout, 'up\nterm\nup\n');
        assert.equal(ps().find((c) => c.id === other)?.status, 'running');
        const stop = s.ct.run(['container', 'stop', id, other]);
        assert.equal(stop.status, 0, stop.stderr);
        assert.equal(stop.stdout, `${id}\n${other}\n`);
      } finally {
        assert.equal(s.ct.run(['container', 'rm', '-f', id, other]).status, 0);
      }
      assert.deepEqual(containerDirs(s.store), []);
    });

    it('container run --cidfile, the id in the file; a file that exists is refused (125) before anything is made', () => {
      const file = join(s.root, '..', `cid-${process.pid}`);
      const id = `cid-${process.pid}`;
      const r = s.run(['--cidfile', file, '--name', id, 'busybox', 'true']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(s.ct.run(['container', 'ps', '-a', '-q']).stdout, '', 'removed as it exited');
      const again = s.run(['--cidfile', file, 'busybox', 'true']);
      assert.equal(again.status, 125);
      assert.match(again.stderr, new RegExp(`^Error: container run: --cidfile ${file}: the file exists`, 'm'));
      assert.deepEqual(containerDirs(s.store), []);
      assert.equal(readFileSync(file, 'utf8'), id);
    });

    it('container run --stop-signal, --stop-timeout and --label: container stop uses them; inspect shows them', async () => {
      const id = `stopsig-${process.pid}`;
      const r = s.run(['-d', '--name', id, '--stop-signal', 'USR1', '--stop-timeout', '30', '-l', 'tier=web', '--label', 'bare',
        'busybox', 'sh', '-c', 'trap "exit 5" USR1; trap "exit 6" TERM; while true; do sleep 0.1; done']);
      assert.equal(r.status, 0, r.stderr);
      try {
        const t = s.ct.run(['container', 'inspect', '--format', '{{json .Config.Labels}} {{.Config.StopSignal}} {{.Config.StopTimeout}}', id]);
        assert.equal(t.stdout, '{"tier":"web","bare":""} 10 30\n', t.stderr);
        await new Promise((res) => setTimeout(res, 500));
        assert.equal(s.ct.run(['container', 'stop', id]).status, 0);
        assert.equal((await exited(id))?.exitStatus, 5, 'its --stop-signal, not SIGTERM');
      } finally {
        s.ct.run(['container', 'rm', '-f', id]);
      }
      // the --stop-timeout: a process that ignores the signal is killed after it, not after 10 s
      const id2 = `stoptime-${process.pid}`;
      assert.equal(s.run(['-d', '--name', id2, '--stop-timeout', '1', 'busybox', 'sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']).status, 0);
      try {
        await new Promise((res) => setTimeout(res, 500));
        const started = Date.now();
        assert.equal(s.ct.run(['container', 'stop', id2]).status, 0);
        assert.ok(Date.now() - started < 8000, `stopped after ${Date.now() - started} ms`);
        assert.equal((await exited(id2))?.exitStatus, 137);
      } finally {
        s.ct.run(['container', 'rm', '-f', id2]);
      }
      const bad = s.run(['--stop-signal', 'SIGNOPE', 'busybox', 'true']);
      assert.equal(bad.status, 125);
      assert.match(bad.stderr, /--stop-signal SIGNOPE: not a signal/);
    });

    it('container run --restart always: restarted after an exit (RestartCount 1); after container stop it stays stopped; start resets the count', async () => {
      const inspect = (id: string): string => s.ct.run(['container', 'inspect', '--format', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}', id]).stdout.trim();
      const id = `always-${process.pid}`;
      // the first run exits 1, the second stays up
      const script = 'trap "exit 0" TERM; echo up; [ -e /ran ] || { touch /ran; exit 1; }; sleep 600 & wait';
      assert.equal(s.run(['-d', '--name', id, '--restart', 'always', 'busybox', 'sh', '-c', script]).status, 0);
      try {
        for (let i = 0; i < 300 && inspect(id) !== '1 running 0'; i++) await new Promise((r) => setTimeout(r, 100));
        assert.equal(inspect(id), '1 running 0');
        assert.equal(s.ct.run(['container', 'stop', id]).status, 0);
        assert.equal(inspect(id), '1 exited 0');
        // a restart would come within its first delay (100 ms) and a create
        await new Promise((r) => setTimeout(r, 1000));
        assert.equal(inspect(id), '1 exited 0', 'not restarted after container stop');
        assert.equal(s.ct.run(['container', 'logs', id]).stdout, 'up\nup\n');
        // a start by the user runs it again with the count back at 0 (podman's)
        assert.equal(s.ct.run(['container', 'start', id]).status, 0);
        assert.equal(inspect(id), '0 running 0');
      } finally {
        assert.equal(s.ct.run(['container', 'rm', '-f', id]).status, 0);
      }
      assert.deepEqual(containerDirs(s.store), []);
    });

    it('container run --restart whose restart fails: the container stays, exited with its error and RestartCount; its name in use; start, wait, rm', () => {
      const id = `rfail-${process.pid}`;
      const inspect = (): string => s.ct.run(['container', 'inspect', '--format', '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}} {{.State.Error}}', id]).stdout.trim();
      // the first run removes its shell: the restart's create finds no program to run
      const r = s.run(['--name', id, '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'rm -f /bin/sh /bin/busybox; exit 3']);
      assert.equal(r.status, 3, r.stderr);
      try {
        assert.deepEqual(ps().filter((c) => c.id === id).map((c) => [c.status, c.exitStatus]), [['stopped', 3]]);
        assert.match(inspect(), /^exited 3 1 .*executable file not found/);
        const again = s.run(['--name', id, 'busybox', 'true']);
        assert.equal(again.status, 125);
        assert.match(again.stderr, /is in use by a container/);
        // a start that fails the same way leaves it as it was (its count reset, as podman's start resets it)
        assert.equal(s.ct.run(['container', 'start', id]).status, 125);
        assert.match(inspect(), /^exited 3 0 .*executable file not found/);
        assert.equal(s.ct.run(['container', 'wait', id]).stdout, '3\n');
      } finally {
        assert.equal(s.ct.run(['container', 'rm', id]).status, 0);
      }
      assert.deepEqual(containerDirs(s.store), []);
      assert.deepEqual(ps().filter((c) => c.id === id), []);
    });

    it('container run --rm --keep, refused as a conflict (125) naming both', () => {
      const r = s.run(['--rm', '--keep', 'busybox', 'true']);
      assert.equal(r.status, 125);
      assert.match(r.stderr, /^Error: the --rm and --keep options conflict/m);
    });
  });
}

describe('ct docker and podman habits', function () {
  it('ct run IMAGE CMD (docker\'s habit) says to use ct container run; ct run IMAGE without a bundle says it too', () => {
    const r = spawnSync(process.execPath, [ctBin, 'run', 'busybox', 'sh'], { encoding: 'utf8', cwd: '/' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /to run an image: ct container run busybox sh/);
    const one = spawnSync(process.execPath, [ctBin, '--root', '/tmp/ct-habit-nonexistent', 'run', 'busybox'], { encoding: 'utf8', cwd: '/' });
    assert.equal(one.status, 1);
    assert.match(one.stderr, /config\.json.*no such file|no such file.*config\.json/);
    assert.match(one.stderr, /to run an image: ct container run busybox/);
  });
  it('ct images and ct rmi, podman\'s aliases of image ls and image rm', () => {
    const store = mkdtempSync(join(tmpdir(), 'ct-habit-'));
    try {
      const ct = (args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [ctBin, ...args, '--storage-root', store], { encoding: 'utf8', cwd: '/' });
      assert.equal(ct(['image', 'import', testImage('busybox')]).status, 0);
      const images = ct(['images', '--json']);
      assert.equal(images.status, 0, String(images.stderr));
      assert.equal(images.stdout, ct(['image', 'ls', '--json']).stdout);
      assert.match(String(ct(['images']).stdout), /busybox/);
      const rmi = ct(['rmi', 'busybox']);
      assert.equal(rmi.status, 0, String(rmi.stderr));
      assert.deepEqual(JSON.parse(String(ct(['image', 'ls', '--json']).stdout)), []);
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });
});

defineSuite('ct container verbs @root', false);
defineSuite('ct container verbs unprivileged @rootless', true);
