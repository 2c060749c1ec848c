/**
 * `ct image import` as a separate process (bin/ct.js), as root and unprivileged: a gzipped oci-archive (told by its
 * magic bytes) lands in the store like the layout it was made from, an archive compressed another way exits 1 with
 * OCI_ARCHIVE_COMPRESSION, and an image sharing its base layer with a stored one reuses that layer (not unpacked
 * again: same inode and mtime) while its own layer is added. Names as podman's: `busybox` and
 * `docker.io/library/busybox:latest` are one name that an import moves (one image per name); names podman refuses
 * are refused before anything is written.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { removeTree } from '@ct/oci';
import { repoRoot, requireFeature, testImage } from '@ct/test-utils';

const bin = fileURLToPath(new URL('../../bin/ct.js', import.meta.url));

function ct(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
}

interface Imported { image: { names: string[]; digest: string; layers: string[] }; addedLayers: string[]; reusedLayers: string[] }

/** The part of tools/images/lib used here. */
interface ImagesLib {
  createLayer(entries: { type: 'file' | 'dir'; path: string; content?: string }[]): unknown;
  writeImage(dir: string, image: { layers: unknown[]; refName?: string }): { manifestDigest: string };
}

describe('ct image import', function () {
  this.timeout(120_000);
  let tmp: string;
  const busybox = testImage('busybox');

  before(function () {
    requireFeature(this, existsSync(join(busybox, 'index.json')), 'test images: run node tools/images/build.mjs');
    tmp = mkdtempSync(join(tmpdir(), 'ct-image-import-'));
  });
  after(async () => {
    if (tmp !== undefined) await removeTree(tmp);
  });

  it('ct image import, a gzipped oci-archive is imported like its layout', () => {
    const archive = join(tmp, 'busybox.tgz');
    const tar = spawnSync('tar', ['-C', busybox, '-czf', archive, '.']);
    assert.equal(tar.status, 0, tar.stderr?.toString());
    const digest = (JSON.parse(readFileSync(join(busybox, 'index.json'), 'utf8')) as { manifests: { digest: string }[] }).manifests[0]!.digest;
    const r = ct('image', 'import', archive, '--storage-root', join(tmp, 'store-gz'), '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Imported;
    assert.equal(out.image.digest, digest);
    assert.deepEqual(out.image.names, ['docker.io/library/busybox:latest']);
    assert.equal(out.addedLayers.length, 1);
  });

  it('ct image import, an xz-compressed archive exits 1 with OCI_ARCHIVE_COMPRESSION', () => {
    const file = join(tmp, 'image.tar.xz');
    writeFileSync(file, Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(1000)]));
    const r = ct('image', 'import', file, '--storage-root', join(tmp, 'store-xz'), '--json');
    assert.equal(r.status, 1);
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'OCI_ARCHIVE_COMPRESSION');
  });

  it('ct image import, an image sharing a stored layer reuses it and adds only its own', async () => {
    const lib = (await import(pathToFileURL(join(repoRoot(), 'tools/images/lib/index.mjs')).href)) as ImagesLib;
    const base = lib.createLayer([{ type: 'dir', path: 'etc' }, { type: 'file', path: 'etc/base', content: 'base' }]);
    const layout = join(tmp, 'shared');
    lib.writeImage(layout, { layers: [base, lib.createLayer([{ type: 'file', path: 'a', content: 'A' }])], refName: 'a' });
    lib.writeImage(layout, { layers: [base, lib.createLayer([{ type: 'file', path: 'etc/b', content: 'B' }])], refName: 'b' });
    const store = join(tmp, 'store-shared');
    const a = ct('image', 'import', `${layout}:a`, '--storage-root', store, '--json');
    assert.equal(a.status, 0, a.stderr);
    const first = JSON.parse(a.stdout) as Imported;
    const baseDir = join(store, 'layers', first.image.layers[0]!.slice(7), 'diff');
    const before = statSync(baseDir);
    const b = ct('image', 'import', `${layout}:b`, '--storage-root', store, '--json');
    assert.equal(b.status, 0, b.stderr);
    const second = JSON.parse(b.stdout) as Imported;
    assert.deepEqual(second.reusedLayers, [first.image.layers[0]]);
    assert.deepEqual(second.addedLayers, [second.image.layers[1]]);
    const after = statSync(baseDir);
    assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs]);
    assert.equal(readFileSync(join(store, 'layers', second.image.layers[1]!.slice(7), 'diff', 'etc', 'b'), 'utf8'), 'B');
  });
  it('ct image import, a short name and its docker.io form are one name: a second import moves it; one rm removes it', () => {
    const store = join(tmp, 'names');
    const first = JSON.parse(ct('image', 'import', busybox, '--name', 'busybox', '--storage-root', store, '--json').stdout) as Imported;
    const second = JSON.parse(ct('image', 'import', testImage('probe'), '--name', 'docker.io/library/busybox:latest', '--storage-root', store, '--json').stdout) as Imported;
    assert.notEqual(first.image.digest, second.image.digest);
    const ls = JSON.parse(ct('image', 'ls', '--json', '--storage-root', store).stdout) as { names: string[]; digest: string }[];
    assert.deepEqual(ls.filter((i) => i.names.length > 0).map((i) => [i.digest, i.names]), [[second.image.digest, ['docker.io/library/busybox:latest']]]);
    const inspect = JSON.parse(ct('image', 'inspect', 'busybox', '--storage-root', store).stdout) as { digest: string };
    assert.equal(inspect.digest, second.image.digest, 'the short name finds the image the name moved to');
    assert.equal(ct('image', 'rm', 'busybox', '--storage-root', store).status, 0);
    const again = ct('image', 'rm', 'busybox', '--storage-root', store);
    assert.equal(again.status, 1, 'the name went with the first rm');
    assert.match(again.stderr, /^Error: .*busybox.*no such image/);
  });
  it('ct image import --name, names podman refuses are refused before anything is written, naming the name', () => {
    const store = join(tmp, 'bad-names');
    for (const name of ['', 'Bad Name', '../../etc/x', 'a'.repeat(300), '-dash']) {
      const r = ct('image', 'import', busybox, `--name=${name}`, '--storage-root', store);
      assert.equal(r.status, 1, `${name}: ${r.stderr}`);
      assert.ok(r.stderr.startsWith(`Error: image name ${JSON.stringify(name)}: `), r.stderr);
      assert.doesNotMatch(r.stderr, /ENAMETOOLONG/);
    }
    assert.deepEqual(JSON.parse(ct('image', 'ls', '--json', '--storage-root', store).stdout), [], 'no image was stored');
  });
});
