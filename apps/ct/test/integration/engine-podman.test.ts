/**
 * podman (Debian's package, with conmon) driving ct as its OCI runtime, as root: a private podman store, run root,
 * tmp dir and ct state root under one temp dir (engine-podman-session.ts), the busybox test image pulled from its
 * OCI layout (no network). Checked: run (output, exit status), run -d with ps, logs, exec, pause, unpause,
 * update, stop, kill and rm, run -t, a missing binary (exit 127), and podman's default seccomp profile applied by
 * ct. Afterwards nothing may be left: no process naming the temp dir, no mount under it. The rootless suite is
 * engine-podman-rootless.test.ts; see apps/ct/ENGINES.md. Man pages: podman-run(1), podman-exec(1),
 * podman-update(1), conmon(8).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, requireFeature, testImage } from '@ct/test-utils';
import { PodmanSession, podmanImage, podmanRunFlags } from './engine-podman-session.js';

const podmanPresent = spawnSync('podman', ['--version']).status === 0;

describe('podman engine, ct as OCI runtime @root', function () {
  this.timeout(120_000);
  let session: PodmanSession | undefined;

  /** podman on the private store. */
  const podman = (args: readonly string[]) => {
    assert.ok(session !== undefined);
    return session.podman(args);
  };
  const status = (name: string): string => session?.status(name) ?? '';

  /** `podman run --rm` with this machine's flags (podman's default seccomp profile applies). */
  const run = (command: readonly string[], flags: readonly string[] = []) =>
    podman(['run', '--rm', ...podmanRunFlags, ...flags, podmanImage, ...command]);

  /** cpu.shares of the container's cpu cgroup, read on the host from its init's /proc/PID/cgroup. */
  function cpuShares(name: string): string {
    const pid = podman(['inspect', '--format', '{{.State.Pid}}', name]).stdout.trim();
    const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /^\d+:([^:]*,)?cpu(,[^:]*)?:/.test(l));
    assert.ok(line !== undefined, `no cpu cgroup for pid ${pid}`);
    const path = line.split(':')[2] ?? '';
    return readFileSync(`/sys/fs/cgroup/cpu${path}/cpu.shares`, 'utf8').trim();
  }

  before(function () {
    requireFeature(this, isRoot(), 'needs root');
    requireFeature(this, podmanPresent, 'podman is not installed');
    const image = testImage('busybox');
    requireFeature(this, existsSync(join(image, 'index.json')), 'busybox test image not built');
    session = new PodmanSession(false);
    session.pull(image);
  });

  after(function () {
    if (session === undefined) return;
    const left = session.teardown();
    assert.deepEqual(left.processes, [], 'processes left behind');
    assert.deepEqual(left.mounts, [], 'mounts left behind');
  });

  it('podman run, prints the command output', function () {
    const r = run(['echo', 'hi']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n');
  });

  it('podman run, keeps a non-zero exit status', function () {
    const r = run(['sh', '-c', 'echo out; exit 3']);
    assert.equal(r.status, 3, r.stderr);
    assert.equal(r.stdout, 'out\n');
  });

  it('podman run, a missing binary gives exit 127 and names it', function () {
    const r = run(['nosuchbin']);
    assert.equal(r.status, 127, r.stderr);
    // refused at create, as runc and crun refuse it (podman maps "executable file not found" to 127)
    assert.match(r.stdout + r.stderr, /exec: \\?"nosuchbin\\?": executable file not found in \$PATH/);
  });

  it('podman run, podman\'s default seccomp profile is applied (swapoff refused with EPERM)', function () {
    // The profile refuses swapoff with EPERM whatever the capabilities; without it, CAP_SYS_ADMIN lets the kernel
    // look the path up (ENOENT). Seccomp: 2 is filter mode.
    const script = 'swapoff /nonexistent 2>&1; grep "^Seccomp:" /proc/self/status';
    const confined = run(['sh', '-c', script], ['--cap-add', 'SYS_ADMIN']);
    assert.equal(confined.status, 0, confined.stderr);
    assert.match(confined.stdout, /swapoff: \/nonexistent: Operation not permitted\nSeccomp:\s+2\n/);
    const unconfined = run(['sh', '-c', script], ['--cap-add', 'SYS_ADMIN', '--security-opt', 'seccomp=unconfined']);
    assert.equal(unconfined.status, 0, unconfined.stderr);
    assert.match(unconfined.stdout, /swapoff: \/nonexistent: No such file or directory\nSeccomp:\s+0\n/);
  });

  it('podman run -d, ps, logs, exec, pause, unpause, update, kill and rm drive the container', function () {
    const command = ['sh', '-c', 'echo ready; exec sleep 100'];
    const started = podman(['run', '-d', '--name', 'lifecycle', ...podmanRunFlags, podmanImage, ...command]);
    assert.equal(started.status, 0, started.stderr);
    try {
      assert.equal(status('lifecycle'), 'running');
      const listed = podman(['ps', '--format', '{{.Names}}']);
      assert.equal(listed.stdout.trim(), 'lifecycle', listed.stderr);
      const logs = podman(['logs', 'lifecycle']);
      assert.equal(logs.stdout, 'ready\n', logs.stderr);
      // The exec'd process outlives ct exec here; a process that ends at once is a test of its own below.
      const exec = podman(['exec', 'lifecycle', 'sh', '-c', 'sleep 1; echo in-exec; exit 4']);
      assert.equal(exec.status, 4, exec.stderr);
      assert.equal(exec.stdout, 'in-exec\n');
      assert.equal(podman(['pause', 'lifecycle']).status, 0);
      assert.equal(status('lifecycle'), 'paused');
      assert.equal(podman(['unpause', 'lifecycle']).status, 0);
      assert.equal(status('lifecycle'), 'running');
      const updated = podman(['update', '--cpu-shares', '512', 'lifecycle']);
      assert.equal(updated.status, 0, updated.stderr);
      assert.equal(cpuShares('lifecycle'), '512');
      const killed = podman(['kill', 'lifecycle']);
      assert.equal(killed.status, 0, killed.stderr);
      assert.equal(podman(['wait', 'lifecycle']).stdout.trim(), '137');
      assert.equal(status('lifecycle'), 'exited');
    } finally {
      const removed = podman(['rm', '-f', 'lifecycle']);
      assert.equal(removed.status, 0, removed.stderr);
    }
  });

  // conmon learns the pid from `ct exec --detach`'s pid file only after ct exits: ct holds the process before execve
  // until then (a process that ended earlier was reaped unknown and podman reported 255).
  it('podman exec, the status of a process that ends at once comes back', function () {
    const started = podman(['run', '-d', '--name', 'quick', ...podmanRunFlags, podmanImage, 'sleep', '100']);
    assert.equal(started.status, 0, started.stderr);
    try {
      const exec = podman(['exec', 'quick', 'sh', '-c', 'echo fast; exit 4']);
      assert.equal(exec.status, 4, exec.stderr);
      assert.equal(exec.stdout, 'fast\n');
    } finally {
      podman(['rm', '-f', '-t', '0', 'quick']);
    }
  });

  // ct exec --detach looks the program up in the container before it hands the pid over (as runc), so the failure is
  // exec's own and podman reports 127.
  it('podman exec, a missing program gives exit 127 and names it', function () {
    const started = podman(['run', '-d', '--name', 'missing', ...podmanRunFlags, podmanImage, 'sleep', '100']);
    assert.equal(started.status, 0, started.stderr);
    try {
      const exec = podman(['exec', 'missing', 'nosuchbin']);
      assert.equal(exec.status, 127, exec.stderr);
      assert.match(exec.stdout + exec.stderr, /nosuchbin/);
    } finally {
      podman(['rm', '-f', '-t', '0', 'missing']);
    }
  });

  it('podman stop, ends the container with SIGTERM; its exit status is kept', function () {
    const started = podman(['run', '-d', '--name', 'stopped', ...podmanRunFlags, podmanImage,
      'sh', '-c', 'trap "exit 7" TERM; while true; do sleep 0.1; done']);
    assert.equal(started.status, 0, started.stderr);
    try {
      const stopped = podman(['stop', '-t', '10', 'stopped']);
      assert.equal(stopped.status, 0, stopped.stderr);
      assert.equal(status('stopped'), 'exited');
      assert.equal(podman(['inspect', '--format', '{{.State.ExitCode}}', 'stopped']).stdout.trim(), '7');
    } finally {
      podman(['rm', '-f', '-t', '0', 'stopped']);
    }
  });

  it('podman run -t, the command sees a terminal', function () {
    const r = podman(['run', '--rm', '-t', ...podmanRunFlags, podmanImage, 'sh', '-c', 'test -t 0 && test -t 1 && echo tty']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'tty\r\n');
  });

  it('podman run, leaves no container behind with --rm', function () {
    const r = podman(['ps', '-aq']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '');
  });
});
