/**
 * The overlay form: each layer in its own directory (whiteout devices, opaque xattrs, copied-up directories and
 * hard link targets), mounted as a read-only overlay (lowerdir=..., userxattr) inside a user namespace; the merged
 * view must equal the flattened unpack of the same image (names, types, modes, owners as the namespace sees them,
 * contents, link targets). Runs as root and unprivileged (the layers then come from the user-namespace worker).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { evalInContainer, unprivilegedUserNamespaceSupported } from '@ct/namespaces';
import { isRoot, repoRoot, requireFeature } from '@ct/test-utils';
import { removeTree, unpackImage } from '../../src/index.js';
import { diffTrees, imagesLib, ociFixtures, tempDir, type LayerEntry } from '../helpers/fixtures.js';
import type { NodeInfo } from '../helpers/snapshot-tree.mjs';

const snapshotModule = join(repoRoot(), 'packages/oci/test/helpers/snapshot-tree.mjs');
const ociDist = join(repoRoot(), 'packages/oci/dist/index.js');

/** The tree at `inside` of a user namespace, with the overlay of `layerDirs` (bottom first) on /merged. */
async function snapshotInside(inside: string, paths: string[], layerDirs?: readonly string[]): Promise<Map<string, NodeInfo>> {
  const mounts = layerDirs === undefined ? [] : [{
    type: 'filesystem' as const, fstype: 'overlay', source: 'overlay', target: '/merged',
    data: `lowerdir=${[...layerDirs].reverse().join(':')},userxattr`,
  }];
  return new Map(await evalInContainer<[string, NodeInfo][]>({ module: snapshotModule, export: 'snapshotInside' },
    {
      paths: [repoRoot(), ...paths], mounts, args: [inside, false, ociDist], namespaces: ['user', 'mnt', 'pid'],
      // 65536 ids (root: 0..65535 as themselves; unprivileged: the subuid range), not the Guix wrappers' one id,
      // so the layers' owners are mapped and readable
      hostUids: 65536,
    }));
}

/** Layers exercising each overlay rule against its flattened meaning. */
const SEMANTICS: LayerEntry[][] = [
  [
    { type: 'dir', path: 'a', mode: 0o750, uid: 7, gid: 8 }, { type: 'file', path: 'a/f', content: 'f' },
    { type: 'dir', path: 'a/d' }, { type: 'file', path: 'a/d/x', content: 'x' },
    { type: 'dir', path: 'o' }, { type: 'file', path: 'o/lower', content: 'l' },
    { type: 'dir', path: 'r' }, { type: 'file', path: 'r/old', content: 'old' },
    { type: 'dir', path: 's' }, { type: 'file', path: 's/old', content: 'old' },
    { type: 'file', path: 'h', content: 'hard', mode: 0o640, uid: 3, gid: 4 },
    { type: 'file', path: 'x', content: 'xattr', xattrs: { 'user.overlay.opaque': 'y', 'user.other': 'v' } },
  ],
  [
    // a/ only implied: its mode and owner must come from the lower layer
    { type: 'file', path: 'a/new', content: 'n' },
    { type: 'whiteout', path: 'a/f' }, { type: 'whiteout', path: 'a/d' },
    { type: 'opaque', path: 'o' }, { type: 'file', path: 'o/upper', content: 'u' },
    // r: whited out, then made again in the same layer: the lower children stay hidden
    { type: 'whiteout', path: 'r' }, { type: 'dir', path: 'r' }, { type: 'file', path: 'r/new', content: 'new' },
    // s: made in this layer, then whited out in it: what this layer made stays, the lower children go
    { type: 'dir', path: 's' }, { type: 'file', path: 's/new', content: 'new' }, { type: 'whiteout', path: 's' },
    { type: 'hardlink', path: 'h2', target: 'h' },
    { type: 'whiteout', path: 'never-there' },
    // written through a symlink of this layer to a lower directory
    { type: 'symlink', path: 'via', target: '/a' }, { type: 'file', path: 'via/through', content: 't' },
  ],
];

describe('unpack in overlay form', function () {
  let fixtures: string;
  let tmp: { dir: string; cleanup: () => void };
  before(async function () {
    requireFeature(this, isRoot() || unprivilegedUserNamespaceSupported(), 'the overlay is mounted in a user namespace');
    fixtures = await ociFixtures();
    tmp = tempDir();
  });
  after(async () => { if (tmp !== undefined) await removeTree(tmp.dir); });

  async function compare(ref: string, name: string): Promise<Map<string, NodeInfo>> {
    const flat = join(tmp.dir, `${name}-flat`);
    await unpackImage(ref, flat);
    const layered = await unpackImage(ref, join(tmp.dir, `${name}-overlay`), { format: 'overlay' });
    assert.ok(layered.layerDirs !== undefined && layered.layerDirs.length > 1);
    const merged = await snapshotInside('/merged', [], layered.layerDirs);
    const flattened = await snapshotInside(join(flat, 'rootfs'), [join(flat, 'rootfs')]);
    assert.deepEqual(diffTrees(flattened, merged), []);
    return merged;
  }

  it(`unpack, the overlay of the multi-layer fixture's layers equals its flattened unpack (${isRoot() ? 'root' : 'unprivileged'})`, async () => {
    const merged = await compare(`${join(fixtures, 'multi-layer')}:latest`, 'multi');
    assert.ok(merged.size > 40);
  });

  it(`unpack, overlay whiteouts, opaque dirs, copied-up parents and hard links equal the flattened meaning (${isRoot() ? 'root' : 'unprivileged'})`, async () => {
    const lib = await imagesLib();
    const layout = join(tmp.dir, 'sem');
    lib.writeImage(layout, { layers: SEMANTICS.map((l, i) => lib.createLayer(l, { mtime: 1700000000 + i })), refName: 'latest' });
    const merged = await compare(`${layout}:latest`, 'sem');
    assert.deepEqual([merged.get('a')?.mode, merged.get('a')?.uid, merged.get('a')?.gid], [0o750, 7, 8]);
    assert.deepEqual(['a/f', 'a/d', 'o/lower', 'r/old', 's/old', 'never-there'].map((k) => merged.has(k)), [false, false, false, false, false, false]);
    assert.deepEqual(['a/new', 'o/upper', 'r/new', 's/new', 'h2', 'a/through'].map((k) => merged.has(k)), [true, true, true, true, true, true]);
    assert.equal(merged.get('h2')?.sha, merged.get('h')?.sha);
    assert.deepEqual([merged.get('h2')?.mode, merged.get('h2')?.uid], [0o640, 3]);
  });
});
