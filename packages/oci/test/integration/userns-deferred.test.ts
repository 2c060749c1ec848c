/**
 * The unprivileged merged-rootfs unpack written in the caller's process with owners set at the end (issue 21:
 * deferred-owners.ts, owner-fix.ts): the tree ctci makes equals root's, owners as ctci's user namespace sees them,
 * for what only namespace root can do and what a deferred pass can get wrong: owners other than 0:0, the setuid and
 * setgid bits chown clears, a file capability, directories of mode 0000/0555 written into by a later layer, a file
 * owned by a subuid replaced by a root-owned one (a reused inode number must not inherit the old owner), a hard link
 * whose first name a whiteout removes, and an id outside the namespace (recorded in user.rootlesscontainers).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, repoRoot, requireFeature } from '@ct/test-utils';
import { lgetxattr } from '@ct/syscalls';
import { decodeRootlessOwner, ROOTLESS_XATTR, unpackImage } from '../../src/index.js';
import { diffTrees, imagesLib, snapshotTree, tempDir, type ImagesLib, type LayerEntry, type NodeInfo } from '../helpers/fixtures.js';
import { translateOwners, userMapping } from '../helpers/owners.js';

const ociDist = join(repoRoot(), 'packages/oci/dist/index.js');
const USER = 'ctci';
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nu:x:1000:1000:u:/home/u:/bin/sh\n';
const GROUP = 'root:x:0:\nshadow:x:42:\nu:x:1000:\n';
/** security.capability, revision 2, effective, permitted cap_net_raw (13). */
const CAP_V2 = Buffer.from([0x01, 0, 0, 0x02, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

function layers(): LayerEntry[][] {
  return [[
    { type: 'dir', path: './', mode: 0o755 },
    { type: 'dir', path: 'etc' },
    { type: 'file', path: 'etc/passwd', content: PASSWD },
    { type: 'file', path: 'etc/group', content: GROUP },
    { type: 'file', path: 'etc/shadow', content: 'old\n', gid: 42, mode: 0o640 },
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/ping', content: 'ping\n', mode: 0o755, xattrs: { 'security.capability': CAP_V2 } },
    { type: 'file', path: 'bin/sg', content: 'sg\n', gid: 42, mode: 0o2755 },
    { type: 'hardlink', path: 'bin/sg-hl', target: 'bin/sg' },
    { type: 'file', path: 'bin/su', content: 'su\n', mode: 0o4755 },
    { type: 'file', path: 'bin/own', content: 'own\n', uid: 1000, gid: 1000, mode: 0o4750 },
    { type: 'dir', path: 'home' },
    { type: 'dir', path: 'home/u', uid: 1000, gid: 1000, mode: 0o700 },
    { type: 'file', path: 'home/u/f', content: 'f\n', uid: 1000, gid: 1000, mode: 0o600 },
    { type: 'dir', path: 'ro', mode: 0o555 },
    { type: 'dir', path: 'none', uid: 1000, gid: 1000, mode: 0o000 },
    { type: 'symlink', path: 'lnk', target: 'etc/shadow', uid: 1000, gid: 1000 },
    { type: 'file', path: 'far', content: 'far\n', uid: 4000000, gid: 4000000 },
  ], [
    { type: 'file', path: 'etc/shadow', content: 'new\n', mode: 0o600 },
    { type: 'file', path: 'ro/new', content: 'in a 0555 dir\n' },
    { type: 'file', path: 'none/new', content: 'in a 0000 dir\n', uid: 1000, gid: 1000 },
    { type: 'file', path: 'home/u/g', content: 'g\n', uid: 1000, gid: 1000 },
    { type: 'whiteout', path: 'bin/sg' },
  ]];
}

/** Every owner 0:0: no worker starts, the caller sets the directory modes itself at the end, deepest first. */
function rootOwnedLayers(): LayerEntry[][] {
  return [[
    { type: 'dir', path: './', mode: 0o755 },
    { type: 'dir', path: 'etc' },
    { type: 'file', path: 'etc/passwd', content: PASSWD },
    { type: 'dir', path: 'proc', mode: 0o555 },
    { type: 'dir', path: 'vault', mode: 0o000 },
    { type: 'dir', path: 'vault/inner', mode: 0o000 },
    { type: 'file', path: 'vault/inner/f', content: 'f\n', mode: 0o400 },
    { type: 'dir', path: 'sticky', mode: 0o1733 },
  ], [
    { type: 'file', path: 'proc/later', content: 'later\n' },
    { type: 'file', path: 'vault/inner/g', content: 'g\n', mode: 0o000 },
    { type: 'dir', path: 'vault/new', mode: 0o500 },
    { type: 'file', path: 'vault/new/h', content: 'h\n' },
  ]];
}

/** Write an image of `layerEntries` (gzip layers) at `dir`, readable by ctci. */
function writeTestImage(lib: ImagesLib, dir: string, layerEntries: LayerEntry[][]): string {
  lib.writeImage(dir, { layers: layerEntries.map((entries, i) => lib.createLayer(entries, { mtime: 1700000000 + i, compression: 'gzip' })), refName: 'latest' });
  chmodSync(dir, 0o755);
  return dir;
}

/** Unpack `image` as root and as ctci (in ctci's process); both trees, ctci's owners as its namespace sees them. */
async function unpackBoth(dir: string, image: string): Promise<{ ours: Map<string, NodeInfo>; theirs: Map<string, NodeInfo>; rootfs: string; uid: number }> {
  mkdirSync(dir, { mode: 0o755 });
  await unpackImage(`${image}:latest`, join(dir, 'root'));
  const out = join(dir, 'user');
  mkdirSync(out);
  const uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }));
  chownSync(out, uid, 0);
  const script = `const m = await import(${JSON.stringify(ociDist)}); const r = await m.unpackImage(${JSON.stringify(`${image}:latest`)}, ${JSON.stringify(join(out, 'b'))}); console.log(JSON.stringify(r));`;
  const result = JSON.parse(execFileSync('runuser', ['-u', USER, '--', 'env', 'TMPDIR=/tmp', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' })) as { mode: string };
  assert.equal(result.mode, 'userns');
  const rootfs = join(out, 'b/rootfs');
  const theirs = translateOwners(snapshotTree(rootfs), userMapping(USER, 'uid'), userMapping(USER, 'gid'));
  return { ours: snapshotTree(join(dir, 'root/rootfs')), theirs, rootfs, uid };
}

describe('unpack in the caller\'s process with owners set at the end, compared with root @root', function () {
  let tmp: { dir: string; cleanup: () => void };
  before(function () {
    requireFeature(this, isRoot(), 'needs root to run the unprivileged unpack as another user');
    tmp = tempDir();
    chmodSync(tmp.dir, 0o755);
  });
  after(() => tmp?.cleanup());

  it('unpack, ctci\'s tree equals root\'s (owners, setuid/setgid, 0000 dirs written later, replaced and linked files), the capability namespaced, the far id recorded', async () => {
    const image = writeTestImage(await imagesLib(), join(tmp.dir, 'image'), layers());
    const { ours, theirs, rootfs, uid } = await unpackBoth(join(tmp.dir, 'a'), image);
    // The one id the namespace does not map: ctci's file is its own (0 inside), the owner recorded.
    assert.deepEqual([ours.get('far')?.uid, theirs.get('far')?.uid], [4000000, 0]);
    assert.deepEqual(decodeRootlessOwner(lgetxattr(join(rootfs, 'far'), ROOTLESS_XATTR)), { uid: 4000000, gid: 4000000 });
    ours.delete('far');
    theirs.delete('far');
    assert.deepEqual(diffTrees(ours, theirs), []);
    assert.deepEqual([theirs.get('bin/sg-hl')?.gid, theirs.get('bin/sg-hl')?.mode], [42, 0o2755]);
    assert.deepEqual([theirs.get('etc/shadow')?.gid, theirs.get('none')?.mode, theirs.get('none/new')?.uid], [0, 0, 1000]);
    // Namespace root's capability: revision 3, its root id ctci's uid, the same permitted set.
    const cap = lgetxattr(join(rootfs, 'bin/ping'), 'security.capability');
    assert.deepEqual([cap.length, cap[3], cap.readUInt32LE(4), cap.readUInt32LE(20)], [24, 0x03, 0x2000, uid]);
  });

  it('unpack, every owner 0:0 (no worker): ctci\'s tree equals root\'s, 0555 and nested 0000 directories written into by a later layer', async () => {
    const image = writeTestImage(await imagesLib(), join(tmp.dir, 'image0'), rootOwnedLayers());
    const { ours, theirs } = await unpackBoth(join(tmp.dir, 'b'), image);
    assert.deepEqual(diffTrees(ours, theirs), []);
    assert.deepEqual(['proc', 'vault', 'vault/inner', 'vault/new', 'sticky'].map((k) => theirs.get(k)?.mode), [0o555, 0, 0, 0o500, 0o1733]);
    assert.equal(theirs.get('vault/new/h')?.type, 'file');
  });
});
