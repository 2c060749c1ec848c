/**
 * podman as the peer `ct container` is compared with, side by side: podman 4.3 with its own runtime (runc: crun
 * 1.8.1 refuses this hybrid cgroup layout), a private store, run root, tmp dir and (rootless) XDG_RUNTIME_DIR under
 * one temp dir, as root or as the unprivileged user ctci (through runuser, as the container-run suites run ct),
 * the busybox test image pulled from its OCI layout. Teardown removes everything, rootless podman's pause process
 * by its pid file. Man pages: podman(1), podman-run(1), podman-exec(1), podman-system-reset(1).
 */
import { strict as assert } from 'node:assert';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { testImage } from '@ct/test-utils';
import { processEnded, runBounded, waitFor, type EngineRun } from './engine-harness.js';
import { podmanRunFlags } from './engine-podman-session.js';

/** Whether podman and runc are installed. */
export function podmanPresent(): boolean {
  return runBounded('podman', ['--version']).status === 0 && runBounded('runc', ['--version']).status === 0;
}

/** A private podman (runtime runc) as ourselves or as the test user. */
export class PodmanPeer {
  readonly dir: string;
  /** The busybox test image's id in this podman's store (after pull()). */
  image = '';

  /** @param user - run podman as ctci (from root) with this uid and gid; undefined: as ourselves */
  constructor(private readonly user: { uid: number; gid: number } | undefined) {
    this.dir = mkdtempSync('/tmp/ct-podpeer-');
    mkdirSync(join(this.dir, 'xdg'), { mode: 0o700 });
    if (user !== undefined) for (const d of ['', 'xdg']) chownSync(join(this.dir, d), user.uid, user.gid);
  }

  private get rootless(): boolean {
    return this.user !== undefined || process.geteuid?.() !== 0;
  }

  /** `podman ARGS` on the private store. */
  podman(args: readonly string[], timeoutMs = 90_000): EngineRun {
    const d = this.dir;
    const global = ['--root', join(d, 'root'), '--runroot', join(d, 'runroot'), '--tmpdir', join(d, 'tmp'),
      '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--runtime', 'runc',
      ...(this.rootless ? ['--storage-driver', 'vfs'] : [])];
    const env = ['env', `XDG_RUNTIME_DIR=${join(d, 'xdg')}`, `HOME=${d}`];
    const cmd = this.user === undefined ? [...env, 'podman', ...global, ...args] : ['runuser', '-u', 'ctci', '--', ...env, 'podman', ...global, ...args];
    return runBounded(cmd[0]!, cmd.slice(1), { timeoutMs, cwd: '/' });
  }

  /** Pull the busybox test image (its OCI layout) and remember its id. */
  pull(): void {
    const r = this.podman(['pull', '-q', `oci:${testImage('busybox')}:latest`]);
    assert.equal(r.status, 0, `podman pull: ${r.stderr}`);
    this.image = r.stdout.trim();
  }

  /** `podman run --rm` of the test image with this machine's flags (podmanRunFlags) and `args` (flags, then the command). */
  run(flags: readonly string[], command: readonly string[]): EngineRun {
    return this.podman(['run', '--rm', ...podmanRunFlags, ...flags, this.image, ...command]);
  }

  /** Remove the containers, the store and the temp dir, and stop rootless podman's pause process. */
  teardown(): void {
    const pidFile = join(this.dir, 'tmp', 'pause.pid');
    const pause = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
    this.podman(['rm', '-af', '-t', '0']);
    // vfs layers belong to sub-uids: removed inside podman's user namespace while it exists
    if (this.rootless) this.podman(['unshare', 'rm', '-rf', join(this.dir, 'root'), join(this.dir, 'runroot')]);
    this.podman(['system', 'reset', '-f']);
    if (pause > 0 && existsSync(`/proc/${pause}`)) {
      try {
        process.kill(pause, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
      waitFor(() => processEnded(pause), 5_000);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
