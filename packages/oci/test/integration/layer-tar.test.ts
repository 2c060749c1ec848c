/**
 * writeLayerTar (image save) on a layer directory in overlay form, as root (whiteouts are 0:0 character devices,
 * opaque markers trusted.* xattrs): overlay's markers become the image-spec's `.wh.NAME` and `.wh..wh..opq`, hard
 * links stay links, owners, modes and symlinks are kept, and the digest is that of the bytes written.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lsetxattr, mknodat, AT, S } from '@ct/syscalls';
import { isRoot, requireFeature } from '@ct/test-utils';
import { writeLayerTar } from '../../src/store/layer-tar.js';
import { tempDir } from '../helpers/fixtures.js';

describe('writeLayerTar, a layer in overlay form @root', function () {
  let tmp: ReturnType<typeof tempDir>;
  let listing: string[] = [];
  let digest = '';
  let out = '';
  before(async function () {
    requireFeature(this, isRoot(), 'whiteout devices and trusted.* xattrs need root');
    tmp = tempDir('ct-layer-tar-');
    const layer = join(tmp.dir, 'layer');
    mkdirSync(join(layer, 'opaque'), { recursive: true });
    writeFileSync(join(layer, 'opaque', 'kept'), 'k');
    lsetxattr(join(layer, 'opaque'), 'trusted.overlay.opaque', Buffer.from('y'));
    mknodat(AT.FDCWD, join(layer, 'gone'), S.IFCHR, 0, 0);
    writeFileSync(join(layer, 'file'), 'data', { mode: 0o640 });
    chownSync(join(layer, 'file'), 1000, 100);
    linkSync(join(layer, 'file'), join(layer, 'hard'));
    symlinkSync('/etc/passwd', join(layer, 'link'));
    out = join(tmp.dir, 'layer.tar');
    digest = (await writeLayerTar(layer, out)).digest;
    const r = spawnSync('tar', ['-tvf', out, '--numeric-owner'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    listing = r.stdout.trim().split('\n').map((l) => l.replace(/\s+\d{4}-\d\d-\d\d \d\d:\d\d/, '').replace(/\s+/g, ' '));
  });
  after(() => tmp?.cleanup());

  it('writeLayerTar, a whiteout device becomes .wh.NAME and an opaque directory gets .wh..wh..opq', () => {
    assert.ok(listing.includes('-rw-r--r-- 0/0 0 .wh.gone'), listing.join('\n'));
    assert.ok(listing.includes('-rw-r--r-- 0/0 0 opaque/.wh..wh..opq'), listing.join('\n'));
    assert.ok(listing.includes('-rw-r--r-- 0/0 1 opaque/kept'), listing.join('\n'));
  });

  it('writeLayerTar, owners, modes, hard links and symlinks are kept', () => {
    assert.ok(listing.includes('-rw-r----- 1000/100 4 file'), listing.join('\n'));
    assert.ok(listing.includes('hrw-r----- 1000/100 0 hard link to file'), listing.join('\n'));
    assert.ok(listing.includes('lrwxrwxrwx 0/0 0 link -> /etc/passwd'), listing.join('\n'));
  });

  it('writeLayerTar, the digest is the sha256 of the tar written', () => {
    assert.equal(digest, `sha256:${createHash('sha256').update(readFileSync(out)).digest('hex')}`);
  });
});
