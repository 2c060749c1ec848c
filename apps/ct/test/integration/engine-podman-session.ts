/**
 * A private podman for the podman engine suites (root and rootless): its store, run root, tmp dir, ct's state root
 * (through engine-harness's wrapper) and, rootless, its XDG_RUNTIME_DIR, all under one temp dir; the busybox test
 * image pulled from its OCI layout (no network); and a teardown that removes everything and reports what stayed
 * (processes naming the dir, mounts under it, rootless podman's pause process). Man pages: podman(1),
 * podman-run(1), podman-system-reset(1), podman-unshare(1).
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { mountsUnder, processEnded, processesUnder, runBounded, waitFor, writeCtWrapper, type EngineRun } from './engine-harness.js';

/** The image name the suites run (tagged from the pulled OCI layout). */
export const podmanImage = 'localhost/ct-test/busybox:latest';

/** The `podman run` flags this machine needs (see ENGINES.md): no network setup, rlimits under the hard limits. */
export const podmanRunFlags: readonly string[] = ['--network', 'none', '--ulimit', 'nofile=4096:4096', '--ulimit',
  'nproc=4096:4096'];

/** What a teardown found left behind. */
export interface Leftovers {
  readonly processes: number[];
  readonly mounts: string[];
  readonly pauseProcess: boolean;
}

/** One private podman setup; `rootless` when the caller is not root (the store is vfs then). */
export class PodmanSession {
  readonly dir: string;

  constructor(readonly rootless: boolean) {
    this.dir = mkdtempSync('/tmp/ct-podman-');
    if (rootless) mkdirSync(join(this.dir, 'xdg'), { mode: 0o700 });
    writeCtWrapper(this.dir, join(this.dir, 'ct-state'));
  }

  /** podman on the private store with ct as its runtime. */
  podman(args: readonly string[], timeoutMs = 90_000): EngineRun {
    const d = this.dir;
    const global = ['--root', join(d, 'root'), '--runroot', join(d, 'runroot'), '--tmpdir', join(d, 'tmp'),
      '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--runtime', join(d, 'ct'),
      ...(this.rootless ? ['--storage-driver', 'vfs'] : [])];
    const env = this.rootless ? { ...process.env, XDG_RUNTIME_DIR: join(d, 'xdg') } : process.env;
    return runBounded('podman', [...global, ...args], { env, timeoutMs });
  }

  /** Pull the OCI layout at `image` and tag it as podmanImage. */
  pull(image: string): void {
    const pulled = this.podman(['pull', '-q', `oci:${image}:latest`]);
    assert.equal(pulled.status, 0, `podman pull: ${pulled.stderr}`);
    const tagged = this.podman(['tag', pulled.stdout.trim(), podmanImage]);
    assert.equal(tagged.status, 0, `podman tag: ${tagged.stderr}`);
  }

  /** The container's state as podman reports it (running, paused, exited...). */
  status(name: string): string {
    const r = this.podman(['inspect', '--format', '{{.State.Status}}', name]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  }

  /** Remove containers, store and temp dir; stop rootless podman's pause process; report what was left. */
  teardown(): Leftovers {
    const pidFile = join(this.dir, 'tmp', 'pause.pid');
    const pause = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
    this.podman(['rm', '-af']);
    // vfs layers belong to sub-uids: remove them inside podman's user namespace while it still exists.
    if (this.rootless) this.podman(['unshare', 'rm', '-rf', join(this.dir, 'root'), join(this.dir, 'runroot')]);
    this.podman(['system', 'reset', '-f']);
    let pauseProcess = false;
    if (pause > 0 && existsSync(`/proc/${pause}`)) {
      process.kill(pause, 'SIGKILL');
      pauseProcess = !waitFor(() => processEnded(pause), 5_000);
    }
    const processes = waitFor(() => processesUnder(this.dir).length === 0, 5_000) ? [] : processesUnder(this.dir);
    const mounts = mountsUnder(this.dir);
    rmSync(this.dir, { recursive: true, force: true });
    return { processes, mounts, pauseProcess };
  }
}
