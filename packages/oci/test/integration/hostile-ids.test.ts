/**
 * Hostile numbers in tar headers (issue 24 item 8): owners at the top of the 32-bit range unpack (ids up to
 * 4294967294, in PAX records or GNU base-256 fields), 4294967295 (chown's "no change") and ids past 32 bits (which
 * the syscall would cut, 4294967296 becoming root) are refused naming the layer and the entry, and so is a device
 * whose major or minor does not fit the kernel's dev_t, the same way as root, in a user namespace and with the
 * in-process rootless strategy. Runs as root and unprivileged.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { lgetxattr } from '@ct/syscalls';
import { isRoot } from '@ct/test-utils';
import { decodeRootlessOwner, LayerUnpackError, rootlessFsOps, ROOTLESS_XATTR, unpackImage, type UnpackResult } from '../../src/index.js';
import { imagesLib, tempDir, type ImagesLib, type LayerEntry } from '../helpers/fixtures.js';

/** A layer whose only entry's uid and gid fields are GNU base-256 numbers (as GNU tar writes ids past 2097151). */
function base256Layer(lib: ImagesLib, id: number): ReturnType<ImagesLib['createLayer']> {
  const tar = lib.writeTar([{ type: 'file', path: 'big', content: 'x' }]);
  const header = tar.subarray(0, 512);
  for (const off of [108, 116]) {
    header.fill(0, off, off + 8);
    header[off] = 0x80;
    header.writeUInt32BE(id, off + 4);
  }
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  const digest = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
  return { blob: tar, mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, diffId: digest, size: tar.length };
}

describe('unpack, owners and device numbers at the edges @rootless', function () {
  this.timeout(60_000);
  let lib: ImagesLib;
  let tmp: ReturnType<typeof tempDir>;
  let n = 0;
  before(async () => { lib = await imagesLib(); tmp = tempDir('ct-ids-'); });
  after(() => tmp.cleanup());

  async function unpackEntries(entries: LayerEntry[] | ReturnType<ImagesLib['createLayer']>, options: { inProcess?: boolean } = {}): Promise<{ bundle: string; result: Promise<UnpackResult> }> {
    const image = join(tmp.dir, `img${++n}`);
    lib.writeImage(image, { layers: [Array.isArray(entries) ? lib.createLayer(entries) : entries], refName: 'latest' });
    const bundle = join(tmp.dir, `b${n}`);
    return { bundle, result: unpackImage(`${image}:latest`, bundle, options.inProcess === true ? { rootless: true, fsOps: rootlessFsOps } : {}) };
  }

  /** The owner of `path` as the unpack gave it: the inode's as root, the recorded one when unprivileged. */
  function ownerOf(path: string): { uid: number; gid: number } {
    if (isRoot()) return { uid: lstatSync(path).uid, gid: lstatSync(path).gid };
    return decodeRootlessOwner(lgetxattr(path, ROOTLESS_XATTR));
  }

  for (const [what, make] of [
    ['PAX records', (): LayerEntry[] => [{ type: 'dir', path: 'd', uid: 4294967294, gid: 4294967294 }, { type: 'file', path: 'd/f', content: 'x', uid: 4294967294, gid: 4294967293 }]],
    ['GNU base-256 fields', (): ReturnType<ImagesLib['createLayer']> => base256Layer(lib, 4294967294)],
  ] as const) {
    it(`unpack, owners up to 4294967294 in ${what} are applied (recorded when unprivileged)`, async () => {
      const { bundle, result } = await unpackEntries(make());
      await result;
      const path = join(bundle, 'rootfs', Array.isArray(make()) ? 'd/f' : 'big');
      assert.deepEqual(ownerOf(path), Array.isArray(make()) ? { uid: 4294967294, gid: 4294967293 } : { uid: 4294967294, gid: 4294967294 });
    });
  }

  const refused: Array<[string, LayerEntry, RegExp]> = [
    ['uid 4294967295 (chown\'s "no change")', { type: 'file', path: 'f', content: 'x', uid: 4294967295 }, /uid 4294967295 is out of range/],
    ['gid 4294967296 (would be cut to 0: root)', { type: 'file', path: 'f', content: 'x', gid: 4294967296 }, /gid 4294967296 is out of range/],
    ['a setuid file of uid 2^32 (root after a cut)', { type: 'file', path: 'su', content: 'x', mode: 0o4755, uid: 2 ** 32 }, /uid 4294967296 is out of range/],
    ['a char device of major 4096', { type: 'char', path: 'dev', devmajor: 4096, devminor: 0 }, /device 4096:0 does not fit/],
    ['a block device of minor 1048576', { type: 'block', path: 'dev', devmajor: 8, devminor: 1048576 }, /device 8:1048576 does not fit/],
  ];
  for (const inProcess of [false, true]) {
    for (const [what, entry, why] of refused) {
      it(`unpack, ${what} is refused naming the layer and the entry${inProcess ? ' (in-process rootless strategy)' : ''}`, async () => {
        const { bundle, result } = await unpackEntries([entry], { inProcess });
        await assert.rejects(result, (e: unknown) => {
          assert.ok(e instanceof LayerUnpackError, String(e));
          assert.equal(e.code, 'OCI_ENTRY_INVALID');
          assert.equal(e.entryPath, entry.path);
          assert.match(e.layerDigest, /^sha256:[0-9a-f]{64}$/);
          assert.match(e.message, why);
          return true;
        });
        assert.equal(existsSync(bundle), false);
      });
    }
  }

  it('unpack, a device of the largest numbers is made as root, reported (DEVICE_SKIPPED) when unprivileged', async () => {
    const { bundle, result } = await unpackEntries([{ type: 'char', path: 'dev', devmajor: 4095, devminor: 1048575 }]);
    const r = await result;
    if (isRoot()) {
      const st = lstatSync(join(bundle, 'rootfs/dev'));
      assert.ok(st.isCharacterDevice());
      assert.equal(st.rdev, 0xffffffff, 'makedev(4095, 1048575)');
    } else {
      assert.deepEqual(r.warnings.map((w) => [w.code, w.path]), [['DEVICE_SKIPPED', 'dev']]);
    }
  });
});
