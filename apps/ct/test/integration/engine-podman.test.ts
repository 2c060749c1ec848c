/**
 * podman (Debian's package, with conmon) driving ct as its OCI runtime: a private podman store, run root, tmp dir
 * and ct state root under one temp dir, the busybox test image pulled from its OCI layout (no network), and
 * `podman run` checked for output and exit status. Afterwards nothing may be left: no process naming the temp
 * dir, no mount under it. See apps/ct/ENGINES.md for the command line and what does not work yet (seccomp is
 * turned off here because ct's BPF for podman's default profile exceeds BPF_MAXINSNS). Man pages: podman-run(1),
 * podman-system-reset(1), conmon(8).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, requireFeature, testImage } from '@ct/test-utils';
import { mountsUnder, processesUnder, runBounded, writeCtWrapper, type EngineRun } from './engine-harness.js';

const podmanPresent = spawnSync('podman', ['--version']).status === 0;
const imageRef = 'localhost/ct-test/busybox:latest';

describe('podman engine, ct as OCI runtime @root', function () {
  this.timeout(120_000);
  let dir = '';

  /** podman on the private store, with ct (through a wrapper giving it a private state root) as runtime. */
  function podman(args: string[]): EngineRun {
    const global = ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--tmpdir', join(dir, 'tmp'),
      '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--runtime', join(dir, 'ct')];
    return runBounded('podman', [...global, ...args], { timeoutMs: 90_000 });
  }

  /** The `podman run` flags this machine needs (see ENGINES.md). */
  const runFlags = ['--network', 'none', '--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096',
    '--security-opt', 'seccomp=unconfined'];

  /** `podman run --rm` with this machine's flags. */
  function run(command: string[]): EngineRun {
    return podman(['run', '--rm', ...runFlags, imageRef, ...command]);
  }

  /** The container's state as podman reports it (running, paused, exited...). */
  function status(name: string): string {
    const r = podman(['inspect', '--format', '{{.State.Status}}', name]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  }

  before(function () {
    requireFeature(this, isRoot(), 'needs root');
    requireFeature(this, podmanPresent, 'podman is not installed');
    const image = testImage('busybox');
    requireFeature(this, existsSync(join(image, 'index.json')), 'busybox test image not built');
    dir = mkdtempSync('/tmp/ct-podman-');
    writeCtWrapper(dir, join(dir, 'ct-state'));
    const pulled = podman(['pull', '-q', `oci:${image}:latest`]);
    assert.equal(pulled.status, 0, `podman pull: ${pulled.stderr}`);
    const tagged = podman(['tag', pulled.stdout.trim(), imageRef]);
    assert.equal(tagged.status, 0, `podman tag: ${tagged.stderr}`);
  });

  after(function () {
    if (dir === '') return;
    podman(['rm', '-af']);
    podman(['system', 'reset', '-f']);
    const leftProcesses = processesUnder(dir);
    const leftMounts = mountsUnder(dir);
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(leftProcesses, [], 'processes left behind');
    assert.deepEqual(leftMounts, [], 'mounts left behind');
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

  it('podman run -d, ps, logs, pause, unpause, kill and rm drive the container', function () {
    const command = ['sh', '-c', 'echo ready; exec sleep 100'];
    const started = podman(['run', '-d', '--name', 'lifecycle', ...runFlags, imageRef, ...command]);
    assert.equal(started.status, 0, started.stderr);
    try {
      assert.equal(status('lifecycle'), 'running');
      const listed = podman(['ps', '--format', '{{.Names}}']);
      assert.equal(listed.stdout.trim(), 'lifecycle', listed.stderr);
      const logs = podman(['logs', 'lifecycle']);
      assert.equal(logs.stdout, 'ready\n', logs.stderr);
      assert.equal(podman(['pause', 'lifecycle']).status, 0);
      assert.equal(status('lifecycle'), 'paused');
      assert.equal(podman(['unpause', 'lifecycle']).status, 0);
      assert.equal(status('lifecycle'), 'running');
      const killed = podman(['kill', 'lifecycle']);
      assert.equal(killed.status, 0, killed.stderr);
      assert.equal(podman(['wait', 'lifecycle']).stdout.trim(), '137');
      assert.equal(status('lifecycle'), 'exited');
    } finally {
      const removed = podman(['rm', '-f', 'lifecycle']);
      assert.equal(removed.status, 0, removed.stderr);
    }
  });

  it('podman run -t, the command sees a terminal', function () {
    const r = podman(['run', '--rm', '-t', ...runFlags, imageRef, 'sh', '-c', 'test -t 0 && test -t 1 && echo tty']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'tty\r\n');
  });

  it('podman run, leaves no container behind with --rm', function () {
    const r = podman(['ps', '-aq']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '');
  });
});
