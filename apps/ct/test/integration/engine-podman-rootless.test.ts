/**
 * Rootless podman driving ct: run by the unprivileged test user (the suite is tagged @nonroot, so it runs in the
 * unprivileged pass, as ctci), podman makes a user namespace from the user's /etc/subuid range (newuidmap) and
 * runs ct in it, where ct is euid 0. Private store (vfs), run root, tmp dir, XDG_RUNTIME_DIR and ct state root
 * under one temp dir (engine-podman-session.ts). Checked: run, run -t, a non-zero exit, a missing binary (127),
 * run -d with ps, logs, exec (a missing program: 127), stop, kill and rm, and podman's default seccomp profile.
 * No cgroups here (pause, unpause and update are in the root suite). Afterwards nothing may be left, podman's pause
 * process included.
 * Man pages: podman(1), podman-run(1), newuidmap(1), subuid(5), user_namespaces(7).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature, testImage } from '@ct/test-utils';
import { PodmanSession, podmanImage, podmanRunFlags } from './engine-podman-session.js';

/** Whether /etc/subuid gives the caller a range (rootless podman needs one). */
function hasSubuids(): boolean {
  try {
    return readFileSync('/etc/subuid', 'utf8').split('\n').some((line) => line.startsWith(`${userInfo().username}:`));
  } catch {
    return false;
  }
}

describe('podman engine rootless, ct as OCI runtime in podman\'s user namespace @nonroot', function () {
  this.timeout(150_000);
  let session: PodmanSession | undefined;

  const podman = (args: readonly string[]) => {
    assert.ok(session !== undefined);
    return session.podman(args);
  };
  const run = (command: readonly string[], flags: readonly string[] = []) =>
    podman(['run', '--rm', ...podmanRunFlags, ...flags, podmanImage, ...command]);

  before(function () {
    this.timeout(120_000);
    requireFeature(this, !isRoot(), 'runs as the unprivileged user (the unprivileged pass)');
    requireFeature(this, spawnSync('podman', ['--version']).status === 0, 'podman is not installed');
    requireFeature(this, spawnSync('newuidmap').error === undefined, 'newuidmap (uidmap) is not installed');
    requireFeature(this, hasSubuids(), 'no /etc/subuid range for this user');
    const image = testImage('busybox');
    requireFeature(this, existsSync(join(image, 'index.json')), 'busybox test image not built');
    session = new PodmanSession(true);
    session.pull(image);
  });

  after(function () {
    this.timeout(120_000);
    if (session === undefined) return;
    const left = session.teardown();
    assert.deepEqual(left.processes, [], 'processes left behind');
    assert.deepEqual(left.mounts, [], 'mounts left behind');
    assert.equal(left.pauseProcess, false, 'podman\'s pause process left behind');
  });

  it('podman run, ct is root in the user namespace; output and a non-zero exit status come back', function () {
    const r = run(['sh', '-c', 'id -u; cat /proc/self/uid_map; exit 3']);
    assert.equal(r.status, 3, r.stderr);
    const [uid, ...map] = r.stdout.trim().split('\n');
    assert.equal(uid, '0');
    // podman maps 0 to the caller and 1.. to the sub-uid range: the container is not the host's root.
    const first = map[0]?.trim().split(/\s+/).map(Number);
    assert.deepEqual(first, [0, process.getuid?.(), 1]);
  });

  it('podman run, a missing binary gives exit 127 and names it', function () {
    const r = run(['nosuchbin']);
    assert.equal(r.status, 127, r.stderr);
    // refused at create, as runc and crun refuse it (podman maps "executable file not found" to 127)
    assert.match(r.stdout + r.stderr, /exec: \\?"nosuchbin\\?": executable file not found in \$PATH/);
  });

  it('podman run -t, the command sees a terminal', function () {
    const r = podman(['run', '--rm', '-t', ...podmanRunFlags, podmanImage, 'sh', '-c', 'test -t 0 && test -t 1 && echo tty']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'tty\r\n');
  });

  it('podman run, podman\'s default seccomp profile is applied (swapoff refused with EPERM)', function () {
    const script = 'swapoff /nonexistent 2>&1; grep "^Seccomp:" /proc/self/status';
    const confined = run(['sh', '-c', script], ['--cap-add', 'SYS_ADMIN']);
    assert.equal(confined.status, 0, confined.stderr);
    assert.match(confined.stdout, /swapoff: \/nonexistent: Operation not permitted\nSeccomp:\s+2\n/);
    const unconfined = run(['sh', '-c', 'grep "^Seccomp:" /proc/self/status'], ['--security-opt', 'seccomp=unconfined']);
    assert.match(unconfined.stdout, /Seccomp:\s+0\n/, unconfined.stderr);
  });

  it('podman run -d, ps, logs, exec, stop, kill and rm drive the container', function () {
    const started = podman(['run', '-d', '--name', 'rl', ...podmanRunFlags, podmanImage,
      'sh', '-c', 'echo ready; trap "exit 7" TERM; while true; do sleep 0.1; done']);
    assert.equal(started.status, 0, started.stderr);
    try {
      assert.equal(session?.status('rl'), 'running');
      const listed = podman(['ps', '--format', '{{.Names}}']);
      assert.equal(listed.stdout.trim(), 'rl', listed.stderr);
      assert.equal(podman(['logs', 'rl']).stdout, 'ready\n');
      const exec = podman(['exec', 'rl', 'sh', '-c', 'echo in-exec; exit 4']);
      assert.equal(exec.status, 4, exec.stderr);
      assert.equal(exec.stdout, 'in-exec\n');
      const missing = podman(['exec', 'rl', 'nosuchbin']);
      assert.equal(missing.status, 127, missing.stderr);
      assert.match(missing.stdout + missing.stderr, /nosuchbin/);
      const stopped = podman(['stop', '-t', '10', 'rl']);
      assert.equal(stopped.status, 0, stopped.stderr);
      assert.equal(podman(['inspect', '--format', '{{.State.ExitCode}}', 'rl']).stdout.trim(), '7');
      assert.equal(podman(['start', 'rl']).status, 0);
      assert.equal(session?.status('rl'), 'running');
      assert.equal(podman(['kill', 'rl']).status, 0);
      assert.equal(podman(['wait', 'rl']).stdout.trim(), '137');
      const removed = podman(['rm', 'rl']);
      assert.equal(removed.status, 0, removed.stderr);
      assert.equal(podman(['ps', '-aq']).stdout.trim(), '');
    } finally {
      podman(['rm', '-f', '-t', '0', 'rl']);
    }
  });
});
