/**
 * The unprivileged unpack: a worker inside a user namespace with the caller's subuid range (owners as the
 * container sees them), the single-id mode (owners recorded in user.rootlesscontainers), removeTree, and the
 * uncompressed size limit. Trees are compared as a user namespace sees them (evalInContainer runs the snapshot).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { evalInContainer, unprivilegedUserNamespaceSupported } from '@ct/namespaces';
import { isRoot, repoRoot, requireFeature } from '@ct/test-utils';
import { LayerUnpackError, removeTree, unpackImage } from '../../src/index.js';
import { diffTrees, imagesLib, ociFixtures, snapshotTree, tempDir } from '../helpers/fixtures.js';
import { translateOwners, userMapping } from '../helpers/owners.js';
import type { NodeInfo } from '../helpers/snapshot-tree.mjs';

const ociDist = join(repoRoot(), 'packages/oci/dist/index.js');
const snapshotModule = join(repoRoot(), 'packages/oci/test/helpers/snapshot-tree.mjs');

/** The tree under `root` as a user namespace with the caller's subuid range sees it. */
async function snapshotInNamespace(root: string, recorded: boolean): Promise<Map<string, NodeInfo>> {
  const entries = await evalInContainer<[string, NodeInfo][]>({ module: snapshotModule, export: 'snapshotInside' },
    { paths: [repoRoot(), root], args: [root, recorded, ociDist], namespaces: ['user', 'mnt', 'pid'], hostUids: 65536 });
  return new Map(entries);
}

function userExists(user: string): boolean {
  try {
    execFileSync('id', [user], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('unpack in a user namespace @rootless @nonroot', function () {
  let fixtures: string;
  let tmp: { dir: string; cleanup: () => void };
  before(async function () {
    requireFeature(this, !isRoot(), 'the unprivileged path runs as a non-root user');
    requireFeature(this, unprivilegedUserNamespaceSupported(), 'unprivileged user namespaces are disabled');
    fixtures = await ociFixtures();
    tmp = tempDir();
  });
  after(async () => { if (tmp !== undefined) await removeTree(tmp.dir); });

  it('unpack, an unprivileged caller gets the worker, and the multi-layer fixture (mode 0000 dir written later) unpacks', async () => {
    const r = await unpackImage(`${join(fixtures, 'multi-layer')}:latest`, join(tmp.dir, 'sub'));
    assert.equal(r.mode, 'userns');
    const t = await snapshotInNamespace(join(tmp.dir, 'sub/rootfs'), false);
    assert.deepEqual([t.get('home/foo/.profile')?.uid, t.get('home/foo/.profile')?.gid], [1000, 1000]);
    assert.deepEqual([t.get('locked')?.mode, t.get('locked/added')?.type], [0, 'file']);
    assert.ok(r.warnings.some((w) => w.code === 'DEVICE_SKIPPED' && w.path.includes('dev/null2')));
  });

  it('unpack, single-id mode: files belong to the caller and the owners are in user.rootlesscontainers, equal to the subuid tree', async () => {
    const r = await unpackImage(`${join(fixtures, 'multi-layer')}:latest`, join(tmp.dir, 'single'), { subordinateIds: false });
    assert.equal(r.mode, 'userns');
    const st = lstatSync(join(tmp.dir, 'single/rootfs/home/foo/.profile'), { throwIfNoEntry: false });
    // The caller cannot search home/foo if it is 0700, but the bundle's files are its own.
    if (st !== undefined) assert.equal(st.uid, process.geteuid?.());
    const recorded = await snapshotInNamespace(join(tmp.dir, 'single/rootfs'), true);
    if (!existsSync(join(tmp.dir, 'sub'))) await unpackImage(`${join(fixtures, 'multi-layer')}:latest`, join(tmp.dir, 'sub'));
    const owned = await snapshotInNamespace(join(tmp.dir, 'sub/rootfs'), false);
    // Symlinks cannot carry a user.* xattr: their owners are the one difference allowed.
    const links = (t: Map<string, NodeInfo>): Map<string, NodeInfo> => new Map([...t].map(([k, v]) => [k, v.type === 'symlink' ? { ...v, uid: 0, gid: 0 } : v]));
    assert.deepEqual(diffTrees(links(owned), links(recorded)), []);
    assert.equal(recorded.get('home/foo/.profile')?.uid, 1000);
    const raw = await snapshotInNamespace(join(tmp.dir, 'single/rootfs'), false);
    assert.ok([...raw.values()].every((v) => v.uid === 0 && v.gid === 0), 'everything belongs to the caller (0 inside)');
  });

  it('removeTree, a subuid-owned tree with a mode 0000 directory is removed', async () => {
    const bundle = join(tmp.dir, 'rm');
    await unpackImage(`${join(fixtures, 'multi-layer')}:latest`, bundle);
    assert.throws(() => rmSync(bundle, { recursive: true, force: true }), (e: NodeJS.ErrnoException) => e.code === 'EACCES' || e.code === 'EPERM');
    await removeTree(bundle);
    assert.equal(existsSync(bundle), false);
  });
});

describe('unpack as an unprivileged user compared with root @root', function () {
  const user = 'ctci';
  let fixtures: string;
  let tmp: { dir: string; cleanup: () => void };
  before(async function () {
    requireFeature(this, isRoot(), 'needs root to run the unprivileged unpack as another user');
    requireFeature(this, userExists(user), `no user ${user}`);
    fixtures = await ociFixtures();
    tmp = tempDir();
    chmodSync(tmp.dir, 0o755);
  });
  after(() => tmp?.cleanup());

  it('unpack, the tree ctci unpacks equals root\'s (owners as its user namespace sees them)', async () => {
    await unpackImage(`${join(fixtures, 'multi-layer')}:latest`, join(tmp.dir, 'root'));
    const out = join(tmp.dir, 'user');
    execFileSync('mkdir', [out]);
    chownSync(out, Number(execFileSync('id', ['-u', user], { encoding: 'utf8' })), 0);
    const script = `const m = await import(${JSON.stringify(ociDist)}); const r = await m.unpackImage(${JSON.stringify(`${join(fixtures, 'multi-layer')}:latest`)}, ${JSON.stringify(join(out, 'b'))}); console.log(r.mode);`;
    const mode = execFileSync('runuser', ['-u', user, '--', 'env', 'TMPDIR=/tmp', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' }).trim();
    assert.equal(mode, 'userns');
    const theirs = translateOwners(snapshotTree(join(out, 'b/rootfs')), userMapping(user, 'uid'), userMapping(user, 'gid'));
    const ours = snapshotTree(join(tmp.dir, 'root/rootfs'));
    // Device nodes cannot be made in a user namespace (skipped with a warning): the one difference allowed.
    const devices = [...ours].filter(([, v]) => v.type === 'char' || v.type === 'block').map(([k]) => k);
    assert.ok(devices.length > 0);
    for (const k of devices) ours.delete(k);
    assert.deepEqual(diffTrees(ours, theirs), []);
    assert.ok(ours.size > 40);
  });
});

describe('unpack, uncompressed size limit', function () {
  let tmp: { dir: string; cleanup: () => void };
  before(() => { tmp = tempDir(); });
  after(async () => { if (tmp !== undefined) await removeTree(tmp.dir); });

  it('unpack, a decompression bomb is stopped by maxUncompressedBytes naming the layer, and leaves no bundle', async () => {
    const lib = await imagesLib();
    const layer = lib.createLayer([{ type: 'file', path: 'zeros', content: Buffer.alloc(64 * 1024 * 1024) }]);
    assert.ok(layer.size < 1024 * 1024, 'the layer compresses well');
    lib.writeImage(join(tmp.dir, 'bomb'), { layers: [layer], refName: 'latest' });
    await assert.rejects(unpackImage(`${join(tmp.dir, 'bomb')}:latest`, join(tmp.dir, 'b'), { maxUncompressedBytes: 8 * 1024 * 1024 }),
      (e: unknown) => e instanceof LayerUnpackError && e.code === 'OCI_LAYER_TOO_LARGE' && e.layerDigest === layer.digest);
    assert.equal(existsSync(join(tmp.dir, 'b')), false);
  });
});
