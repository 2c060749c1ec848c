import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCK, flockTry } from '@ct/syscalls';
import { removeTree, unpackImage } from '../../src/index.js';
import { imagesLib, tempDir, type ImagesLib } from '../helpers/fixtures.js';

describe('unpack, staging left by a killed unpack (issue 24)', () => {
  let lib: ImagesLib;
  let tmp: { dir: string; cleanup: () => void };
  before(async () => { lib = await imagesLib(); });
  beforeEach(() => { tmp = tempDir(); });
  afterEach(async () => { await removeTree(tmp.dir); });

  /** A staging dir as an unpack killed half-way leaves it beside `bundle`: a partial rootfs, no one holding it. */
  function staging(bundle: string, suffix: string): string {
    const dir = join(tmp.dir, `.${bundle}.ct-unpack-${suffix}`);
    mkdirSync(join(dir, 'rootfs', 'etc'), { recursive: true });
    writeFileSync(join(dir, 'rootfs', 'etc', 'half'), 'x');
    return dir;
  }

  it('unpack, the next unpack into the same bundle removes the staging no live unpack holds; a held one and other bundles\' stay', async () => {
    const image = join(tmp.dir, 'img');
    lib.writeImage(image, { layers: [lib.createLayer([{ type: 'file', path: 'f', content: 'f' }], { mtime: 1700000000 })], config: {}, refName: 'latest' });
    staging('b', 'killed1');
    const live = staging('b', 'live1');
    staging('other', 'killed2');
    // a live unpack holds the flock of its staging dir
    const fd = openSync(live, 'r');
    try {
      assert.equal(flockTry(fd, LOCK.EX), true);
      await unpackImage(`${image}:latest`, join(tmp.dir, 'b'), { rootless: true });
      assert.deepEqual(readdirSync(tmp.dir).filter((n) => n.startsWith('.')).sort(), ['.b.ct-unpack-live1', '.other.ct-unpack-killed2']);
      assert.deepEqual(readdirSync(join(tmp.dir, 'b', 'rootfs')), ['f']);
    } finally {
      closeSync(fd);
    }
  });
});
