import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { requireFeature } from '@ct/test-utils';
import { openImage, unpackImage, OciLayoutError } from '../../src/index.js';
import { diffTrees, imagesLib, snapshotTree, tempDir, type ImagesLib, type LayerEntry } from '../helpers/fixtures.js';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

describe('image archives', () => {
  let lib: ImagesLib;
  let tmp: { dir: string; cleanup: () => void };
  before(async () => { lib = await imagesLib(); });
  beforeEach(() => { tmp = tempDir(); });
  afterEach(() => tmp.cleanup());

  const layer1: LayerEntry[] = [{ type: 'dir', path: 'a' }, { type: 'file', path: 'a/f', content: 'one' }, { type: 'symlink', path: 'l', target: 'a/f' }];
  const layer2: LayerEntry[] = [{ type: 'whiteout', path: 'l' }, { type: 'file', path: 'a/g', content: 'two', mode: 0o600 }];

  function dockerArchive(extra: LayerEntry[] = [], tags: string[] = ['repo/x:1.0']): string {
    const tars = [lib.writeTar(layer1), lib.writeTar(layer2)];
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['x'] }, rootfs: { type: 'layers', diff_ids: tars.map((t) => `sha256:${sha(t)}`) } });
    const file = join(tmp.dir, 'docker.tar');
    writeFileSync(file, lib.writeTar([
      { type: 'file', path: `${sha(config)}.json`, content: config },
      { type: 'dir', path: 'l1' }, { type: 'file', path: 'l1/layer.tar', content: tars[0]! },
      { type: 'dir', path: 'l2' }, { type: 'file', path: 'l2/real.tar', content: tars[1]! },
      { type: 'symlink', path: 'l2/layer.tar', target: 'real.tar' },
      { type: 'file', path: 'manifest.json', content: JSON.stringify([{ Config: `${sha(config)}.json`, RepoTags: tags, Layers: ['l1/layer.tar', 'l2/layer.tar'] }]) },
      ...extra,
    ]));
    return file;
  }

  it('unpackImage, a docker save archive (a symlinked layer too) unpacks like its layout', async () => {
    const layout = join(tmp.dir, 'layout');
    lib.writeImage(layout, { layers: [lib.createLayer(layer1), lib.createLayer(layer2)], refName: 'latest' });
    await unpackImage(`${layout}:latest`, join(tmp.dir, 'from-layout'));
    await unpackImage(`${dockerArchive()}:repo/x:1.0`, join(tmp.dir, 'from-docker'));
    assert.deepEqual(diffTrees(snapshotTree(join(tmp.dir, 'from-layout/rootfs')), snapshotTree(join(tmp.dir, 'from-docker/rootfs'))), []);
    assert.deepEqual(readdirSync(join(tmp.dir, 'from-docker/rootfs/a')).sort(), ['f', 'g']);
  });

  it('unpackImage, a docker archive tag can be given without the repository', async () => {
    await unpackImage(`${dockerArchive()}:1.0`, join(tmp.dir, 'b'));
    assert.equal(readFileSync(join(tmp.dir, 'b/rootfs/a/g'), 'utf8'), 'two');
  });

  /** An oci-archive tarball of the layout at `layout`. */
  function ociArchive(layout: string): Buffer {
    const entries: LayerEntry[] = [{ type: 'file', path: 'oci-layout', content: readFileSync(join(layout, 'oci-layout')) },
      { type: 'file', path: 'index.json', content: readFileSync(join(layout, 'index.json')) }];
    for (const b of readdirSync(join(layout, 'blobs/sha256'))) entries.push({ type: 'file', path: `./blobs/sha256/${b}`, content: readFileSync(join(layout, 'blobs/sha256', b)) });
    return lib.writeTar(entries);
  }

  it('openImage, an oci-archive tarball of a layout', async () => {
    const layout = join(tmp.dir, 'layout');
    lib.writeImage(layout, { layers: [lib.createLayer(layer1)], refName: 'v1' });
    const file = join(tmp.dir, 'img.oci.tar');
    writeFileSync(file, ociArchive(layout));
    const src = await openImage(file);
    try {
      assert.equal(src.format, 'oci-archive');
      assert.equal(src.index.manifests[0]!.annotations?.['org.opencontainers.image.ref.name'], 'v1');
    } finally {
      await src.close();
    }
    await unpackImage(`${file}:v1`, join(tmp.dir, 'b'));
    assert.equal(readFileSync(join(tmp.dir, 'b/rootfs/a/f'), 'utf8'), 'one');
  });

  it('openImage, an archive member climbing out of the archive is refused', async () => {
    const file = dockerArchive([{ type: 'file', path: '../../evil', content: 'x' }]);
    await assert.rejects(openImage(file), (e: unknown) => e instanceof OciLayoutError && e.code === 'OCI_ARCHIVE_INVALID');
  });

  it('openImage, a file that is neither layout nor archive is refused', async () => {
    const file = join(tmp.dir, 'plain.tar');
    writeFileSync(file, lib.writeTar([{ type: 'file', path: 'hello', content: 'x' }]));
    await assert.rejects(openImage(file), { code: 'OCI_ARCHIVE_INVALID' });
  });

  it('unpackImage, a gzipped docker archive and a gzipped oci-archive (told by magic, not name) unpack as the plain ones', async () => {
    const plain = dockerArchive();
    const gz = join(tmp.dir, 'docker.tar.gz');
    writeFileSync(gz, gzipSync(readFileSync(plain)));
    await unpackImage(`${plain}:1.0`, join(tmp.dir, 'plain'));
    await unpackImage(`${gz}:1.0`, join(tmp.dir, 'gz'));
    assert.deepEqual(diffTrees(snapshotTree(join(tmp.dir, 'plain/rootfs')), snapshotTree(join(tmp.dir, 'gz/rootfs'))), []);
    const layout = join(tmp.dir, 'layout');
    lib.writeImage(layout, { layers: [lib.createLayer(layer1)], refName: 'v1' });
    const oci = join(tmp.dir, 'image.oci');
    writeFileSync(oci, gzipSync(ociArchive(layout)));
    const src = await openImage(oci);
    try {
      assert.equal(src.format, 'oci-archive');
    } finally {
      await src.close();
    }
  });

  it('openImage, a zstd-compressed archive is read', async function () {
    requireFeature(this, existsSync('/usr/bin/zstd'), 'zstd(1) (apt zstd)');
    const file = join(tmp.dir, 'docker.tar.zst');
    execFileSync('zstd', ['-q', '-o', file, dockerArchive()]);
    await unpackImage(`${file}:1.0`, join(tmp.dir, 'b'));
    assert.equal(readFileSync(join(tmp.dir, 'b/rootfs/a/g'), 'utf8'), 'two');
  });

  it('openImage, other compressions are refused naming the file and the magic bytes', async () => {
    const magics: [string, number[]][] = [['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]], ['bzip2', [0x42, 0x5a, 0x68, 0x39]], ['lz4', [0x04, 0x22, 0x4d, 0x18]],
      ['zip', [0x50, 0x4b, 0x03, 0x04]], ['lzip', [0x4c, 0x5a, 0x49, 0x50]], ['compress', [0x1f, 0x9d, 0x90]]];
    const scratch = join(tmp.dir, 'scratch');
    mkdirSync(scratch);
    for (const [name, magic] of magics) {
      const file = join(tmp.dir, `image.${name}`);
      writeFileSync(file, Buffer.concat([Buffer.from(magic), Buffer.alloc(600, 7)]));
      await assert.rejects(openImage(file, { tmpDir: scratch }), (e: unknown) => e instanceof OciLayoutError && e.code === 'OCI_ARCHIVE_COMPRESSION'
        && e.message.includes(file) && e.message.includes(magic.slice(0, 2).map((b) => b.toString(16).padStart(2, '0')).join(' ')), name);
    }
    assert.deepEqual(readdirSync(scratch), [], 'nothing extracted');
  });

  it('openImage, a truncated gzipped archive is refused as invalid', async () => {
    const whole = gzipSync(readFileSync(dockerArchive()));
    const file = join(tmp.dir, 'cut.tar.gz');
    writeFileSync(file, whole.subarray(0, whole.length >> 1));
    const scratch = join(tmp.dir, 'scratch');
    mkdirSync(scratch);
    await assert.rejects(openImage(file, { tmpDir: scratch }), { code: 'OCI_ARCHIVE_INVALID' });
    assert.deepEqual(readdirSync(scratch), []);
  });

  it('openImage, the temporary files of an archive are removed by close', async () => {
    const scratch = join(tmp.dir, 'scratch');
    (await import('node:fs')).mkdirSync(scratch);
    const src = await openImage(dockerArchive(), { tmpDir: scratch });
    assert.equal(readdirSync(scratch).length, 1);
    await src.close();
    assert.deepEqual(readdirSync(scratch), []);
  });
});

describe('rootless strategy', () => {
  let lib: ImagesLib;
  let tmp: { dir: string; cleanup: () => void };
  before(async () => { lib = await imagesLib(); });
  beforeEach(() => { tmp = tempDir(); });
  afterEach(() => tmp.cleanup());

  it('unpack, rootless skips device nodes with a warning and keeps going', async () => {
    const layout = join(tmp.dir, 'img');
    lib.writeImage(layout, { layers: [lib.createLayer([{ type: 'char', path: 'null', devmajor: 1, devminor: 3 }, { type: 'file', path: 'f', content: 'f', uid: 4242 }])], refName: 'latest' });
    const r = await unpackImage(`${layout}:latest`, join(tmp.dir, 'b'), { rootless: true });
    assert.deepEqual(r.warnings.map((w) => [w.code, w.path]), [['DEVICE_SKIPPED', 'null']]);
    assert.deepEqual(readdirSync(join(tmp.dir, 'b/rootfs')), ['f']);
    const cfg = JSON.parse(readFileSync(join(tmp.dir, 'b/config.json'), 'utf8')) as { linux: { namespaces: Array<{ type: string }> } };
    assert.ok(cfg.linux.namespaces.some((n) => n.type === 'user'));
  });
});
