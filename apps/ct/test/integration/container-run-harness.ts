/**
 * What the `ct container run` suites share: a private state root and image store per suite (as root, or as the
 * unprivileged user ctci through runuser), `ct container run` and `ct image` runners on them, the busybox test
 * image imported before the suite, and removal of everything afterwards.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTree } from '@ct/oci';
import { hostResourcesLeft, isRoot, killProcessesNaming, recordedHostResources, requireFeature, testImage } from '@ct/test-utils';
import { ciUser, ctBin, Runtime, type Run } from './runtime-harness.js';

/** One suite's private paths and runners. */
export interface ImageSuite {
  /** Unprivileged (ctci when we are root, else ourselves). */
  readonly rootless: boolean;
  /** ctci, when the suite runs as it through runuser. */
  readonly user: { uid: number; gid: number; runtimeDir: string } | undefined;
  /** The state root (--root). */
  readonly root: string;
  /** The image store (--storage-root). */
  readonly store: string;
  /** `ct --root ROOT ...` as the suite's user. */
  readonly ct: Runtime;
  /** `ct container run --storage-root STORE ...args`. */
  run(args: readonly string[]): Run;
  /** `ct image ...args --storage-root STORE`. */
  image(args: readonly string[]): Run;
}

/** `ct image ...` (an oclif topic: no global --root before it), as `user` (or ourselves). */
export function imageCommand(user: { runtimeDir: string } | undefined, args: readonly string[]): Run {
  const full = [process.execPath, ctBin, 'image', ...args];
  const cmd = user === undefined ? full : ['runuser', '-u', 'ctci', '--', 'env', `XDG_RUNTIME_DIR=${user.runtimeDir}`, 'HOME=/tmp', 'TMPDIR=/tmp', ...full];
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', cwd: '/', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Set up a suite in the current `describe`: guards (root, or ctci), a private state root and store named by
 * `tag`, the busybox image imported, everything removed after. The returned object is usable inside `it`s.
 */
export function useImageSuite(tag: string, rootless: boolean): ImageSuite {
  const user = rootless && isRoot() ? ciUser() : undefined;
  const base = user !== undefined ? `${user.runtimeDir}/ct-${tag}-${process.pid}` : join(tmpdir(), `ct-${tag}-${process.pid}`);
  const root = join(base, 'state');
  const store = join(base, 'storage');
  const ct = new Runtime('ct', root, user);
  const image = (args: readonly string[]): Run => imageCommand(user, [...args, '--storage-root', store]);
  before(function () {
    if (rootless && isRoot()) requireFeature(this, user !== undefined, 'the unprivileged user ctci does not exist');
    if (!rootless) requireFeature(this, isRoot(), 'needs root');
    requireFeature(this, existsSync(join(testImage('busybox'), 'index.json')), 'tools/images has not built the busybox image');
    const imported = image(['import', testImage('busybox')]);
    assert.equal(imported.status, 0, imported.stderr);
  });
  after(async function () {
    this.timeout(120_000);
    // copies hold files of subuid owners: root removes them (also after a suite run as ctci), a user in a user namespace
    await removeSuiteRoot(ct, root, base, () => (isRoot() ? rmSync(base, { recursive: true, force: true }) : removeTree(base)));
  });
  return {
    rootless, user, root, store, ct, image,
    run: (args) => ct.run(['container', 'run', '--storage-root', store, ...args]),
  };
}

/**
 * The end of a suite with a private state root `root` under `base`, whatever its tests left: what the records name
 * on the host is read first (cgroups, a held netns, the bridge's lease and rules); a ct run or monitor still running
 * is killed (what it was making is then a crash's leftovers); the containers of `container run` are removed by
 * `rm -f` (their network detached, killed runs' claims too), any other by `delete --force`; then `remove` takes
 * `base`. Removing the records without this leaves what they name for good (issue 24: a suite left two
 * containers' cgroups and a bridge attachment on the CI machine): the suite fails naming what is left instead.
 */
export async function removeSuiteRoot(ct: Runtime, root: string, base: string, remove: () => void | Promise<void>): Promise<void> {
  const recorded = recordedHostResources(root);
  await killProcessesNaming(base);
  // read from the root: no ct run when nothing is left
  const entries = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')) : []);
  for (const id of entries(join(root, '.bundles'))) ct.run(['container', 'rm', '-f', id]);
  ct.cleanup(entries(root));
  await remove();
  assert.deepEqual(hostResourcesLeft(recorded), [], `${base}: left on the host`);
}

/** The container dirs left in `store` (empty once every container is removed). */
export function containerDirs(store: string): string[] {
  const dir = join(store, 'containers');
  return existsSync(dir) ? readdirSync(dir) : [];
}
