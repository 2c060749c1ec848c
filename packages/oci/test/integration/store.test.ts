/**
 * The image store on fixture images made by tools/images/lib: layers shared by chain id, a second import that
 * writes no layer, concurrent imports, a SIGKILLed import that leaves nothing complete and is cleared by the next,
 * and rm/prune (inside a user namespace when unprivileged: the layer files then belong to subuids).
 * Runs as root and unprivileged.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ct/test-utils';
import {
  createContainerRoot, importImage, inspectImage, listImages, pruneStore, removeContainerRoot, removeImage, removeTree,
  storeLeftovers,
} from '../../src/index.js';
import { lockFile } from '../../src/store/store-lock.js';
import { imagesLib, tempDir, type Layer } from '../helpers/fixtures.js';

const ociDist = join(repoRoot(), 'packages/oci/dist/index.js');

describe('image store', function () {
  this.timeout(60_000);
  let tmp: { dir: string; cleanup: () => void };
  let storageRoot: string;
  let imageA: string;
  let imageB: string;
  let base: Layer;

  before(async () => {
    const lib = await imagesLib();
    tmp = tempDir('ct-store-test-');
    storageRoot = join(tmp.dir, 'storage');
    base = lib.createLayer([{ type: 'dir', path: 'etc' }, { type: 'file', path: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
      { type: 'dir', path: 'owned', uid: 1000, gid: 1000, mode: 0o700 }, { type: 'file', path: 'owned/secret', uid: 1000, gid: 1000, mode: 0o600, content: 's' }]);
    const topA = lib.createLayer([{ type: 'file', path: 'a', content: 'A' }, { type: 'dir', path: 'closed', mode: 0 }]);
    const topB = lib.createLayer([{ type: 'file', path: 'b', content: 'B' }]);
    imageA = join(tmp.dir, 'a');
    imageB = join(tmp.dir, 'b');
    lib.writeImage(imageA, { layers: [base, topA], refName: 'v1', config: { Cmd: ['/a'] } });
    lib.writeImage(imageB, { layers: [base, topB], refName: 'v1' });
  });
  afterEach(async () => {
    await removeTree(storageRoot);
  });
  after(() => tmp.cleanup());

  it('importImage, layers go to layers/<chainid> with their completion record; the image gets its name', async () => {
    const r = await importImage(`${imageA}:v1`, { storageRoot, name: 'a:v1' });
    assert.equal(r.addedLayers.length, 2);
    assert.equal(r.addedLayers[0], base.diffId, 'the bottom layer\'s chain id is its diff id');
    for (const l of r.image.layers) assert.ok(existsSync(join(storageRoot, 'layers', l.slice(7), 'layer.json')));
    assert.equal(readdirSync(join(storageRoot, 'layers', r.image.layers[1]!.slice(7), 'diff')).sort().join(','), 'a,closed');
    assert.deepEqual((await listImages({ storageRoot })).map((i) => i.names), [['docker.io/library/a:v1']]);
    const details = await inspectImage('a:v1', { storageRoot });
    assert.deepEqual((details.config as { config?: { Cmd?: string[] } }).config?.Cmd, ['/a']);
    assert.deepEqual(readdirSync(join(storageRoot, 'tmp')), [], 'no staging left');
  });

  it('an image\'s size is the bytes of its files, the same imported from a gzip layout and from its saved docker archive', async () => {
    // base: passwd (26 bytes) + secret (1); a: 'A'; b: 'B'
    const a = await importImage(`${imageA}:v1`, { storageRoot, name: 'a:v1' });
    assert.equal(a.image.size, 28);
    // b reuses the base layer: its size comes from the layer's record
    const b = await importImage(`${imageB}:v1`, { storageRoot, name: 'b:v1' });
    assert.deepEqual(b.reusedLayers, [base.diffId]);
    assert.equal(b.image.size, 28);
    const archive = join(tmp.dir, 'a-docker.tar');
    const fd = openSync(archive, 'w', 0o600);
    try {
      // from dist: unprivileged, the save runs dist's worker in a user namespace (the sources have no .js worker)
      const { saveImage } = await import(ociDist) as typeof import('../../src/index.js');
      await saveImage('a:v1', fd, { storageRoot, format: 'docker-archive' });
    } finally {
      closeSync(fd);
    }
    const other = join(tmp.dir, 'storage-archive');
    try {
      const again = await importImage(archive, { storageRoot: other, name: 'a:saved' });
      assert.notEqual(again.image.digest, a.image.digest, 'another manifest (uncompressed layers)');
      assert.equal(again.image.size, a.image.size);
    } finally {
      await removeTree(other);
    }
  });

  it('importImage, a second import writes no layer', async () => {
    const first = await importImage(`${imageA}:v1`, { storageRoot });
    const layers = join(storageRoot, 'layers');
    const before = { mtime: statSync(layers).mtimeMs, entries: readdirSync(layers).sort() };
    const second = await importImage(`${imageA}:v1`, { storageRoot, name: 'again:1' });
    assert.deepEqual(second.addedLayers, []);
    assert.equal(statSync(layers).mtimeMs, before.mtime);
    assert.deepEqual(readdirSync(layers).sort(), before.entries);
    assert.deepEqual([...second.image.names].sort(), ['docker.io/library/again:1', first.image.names[0]!].sort());
  });

  it('importImage, images with the same base layer share its directory', async () => {
    const a = await importImage(`${imageA}:v1`, { storageRoot, name: 'a' });
    const b = await importImage(`${imageB}:v1`, { storageRoot, name: 'b' });
    assert.equal(b.image.layers[0], a.image.layers[0]);
    assert.deepEqual(b.addedLayers, [b.image.layers[1]]);
    assert.equal(readdirSync(join(storageRoot, 'layers')).length, 3);
  });

  it('importImage, concurrent imports of one image both succeed with one copy of each layer', async () => {
    const [x, y] = await Promise.all([importImage(imageA, { storageRoot, name: 'x' }), importImage(imageA, { storageRoot, name: 'y' })]);
    assert.equal(x.image.digest, y.image.digest);
    assert.equal(x.addedLayers.length + y.addedLayers.length, 2, 'each layer committed once');
    assert.equal(readdirSync(join(storageRoot, 'layers')).length, 2);
    assert.deepEqual([...(await inspectImage('x', { storageRoot })).names].sort(), ['docker.io/library/x:latest', 'docker.io/library/y:latest']);
    assert.deepEqual(readdirSync(join(storageRoot, 'tmp')), []);
  });

  it('importImage, a SIGKILLed import leaves nothing complete and the next import clears its staging', async () => {
    const script = `const oci = await import(${JSON.stringify(ociDist)});
      await oci.importImage(${JSON.stringify(imageA)}, { storageRoot: ${JSON.stringify(storageRoot)},
        afterStaging: () => { process.stdout.write('staged\\n'); setInterval(() => {}, 60_000); return new Promise(() => {}); } });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('staged')) resolve(); });
      child.on('exit', (code) => reject(new Error(`import exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    assert.deepEqual(readdirSync(join(storageRoot, 'layers')), [], 'no layer looks complete');
    assert.deepEqual(readdirSync(join(storageRoot, 'images')), []);
    assert.ok(readdirSync(join(storageRoot, 'tmp')).some((n) => n.startsWith('import-') && !n.endsWith('.lock')), 'the staging dir is left');
    await assert.rejects(inspectImage('a:latest', { storageRoot }), { code: 'STORE_IMAGE_NOT_FOUND' });
    const r = await importImage(imageA, { storageRoot, name: 'a' });
    assert.equal(r.addedLayers.length, 2);
    assert.deepEqual(readdirSync(join(storageRoot, 'tmp')), [], 'the dead import\'s staging dir is cleared');
  });

  it('removeImage, a name of several goes alone; the last takes layers (subuid-owned when unprivileged) and blobs', async () => {
    await importImage(imageA, { storageRoot, name: 'a' });
    await importImage(imageA, { storageRoot, name: 'a2' });
    const untag = await removeImage('a2', { storageRoot });
    assert.deepEqual(untag.images, []);
    const removed = await removeImage('a', { storageRoot });
    assert.equal(removed.images.length, 1);
    assert.equal(removed.layers.length, 2);
    assert.deepEqual(readdirSync(join(storageRoot, 'layers')), []);
    assert.deepEqual(readdirSync(join(storageRoot, 'blobs', 'sha256')), []);
    await assert.rejects(removeImage('a', { storageRoot }), { code: 'STORE_IMAGE_NOT_FOUND' });
  });

  it('removeImage, refused while a container uses the image; pruneStore keeps its layers until the container goes', async () => {
    const r = await importImage(imageA, { storageRoot, name: 'a' });
    const root = await createContainerRoot('a', 'c1', { storageRoot });
    assert.deepEqual(root.lowerDirs, [...r.image.layers].reverse().map((l) => join(storageRoot, 'layers', l.slice(7), 'diff')));
    await assert.rejects(removeImage('a', { storageRoot }), { code: 'STORE_IMAGE_IN_USE' });
    await removeImage('a', { storageRoot, force: true });
    assert.equal((await pruneStore({ storageRoot })).layers.length, 0, 'the container still holds the layers');
    assert.equal(readdirSync(join(storageRoot, 'layers')).length, 2);
    await removeContainerRoot('c1', { storageRoot });
    assert.equal((await pruneStore({ storageRoot })).layers.length, 2);
    assert.deepEqual(readdirSync(join(storageRoot, 'layers')), []);
  });

  it('importImage, busybox and docker.io/library/busybox are one name: a second image takes it; ls, inspect, rm agree', async () => {
    const a = await importImage(imageA, { storageRoot, name: 'busybox' });
    const b = await importImage(imageB, { storageRoot, name: 'docker.io/library/busybox:latest' });
    const listed = await listImages({ storageRoot });
    assert.deepEqual(listed.map((i) => [i.digest, i.names]), [[b.image.digest, ['docker.io/library/busybox:latest']], [a.image.digest, []]]);
    for (const q of ['busybox', 'busybox:latest', 'library/busybox', 'docker.io/library/busybox']) {
      assert.equal((await inspectImage(q, { storageRoot })).digest, b.image.digest, q);
    }
    assert.equal((await removeImage('busybox', { storageRoot })).images[0], b.image.digest);
    await assert.rejects(removeImage('busybox', { storageRoot }), { code: 'STORE_IMAGE_NOT_FOUND' });
    assert.deepEqual((await listImages({ storageRoot })).map((i) => i.digest), [a.image.digest], 'the nameless image stays until a prune');
    assert.deepEqual((await pruneStore({ storageRoot })).images, [a.image.digest]);
  });

  const badNames = ['', 'Bad Name', '../../etc/x', 'a'.repeat(300), '-dash', 'UPPER', 'x:'];
  for (const name of badNames) {
    it(`importImage, the name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}... (${name.length})` : name)} is refused before anything is written`, async () => {
      await assert.rejects(importImage(imageA, { storageRoot, name }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'STORE_NAME_INVALID');
        assert.ok(e.message.startsWith(`image name ${JSON.stringify(name)}: `), e.message);
        return true;
      });
      assert.equal(existsSync(storageRoot), false);
    });
  }

  it('storeLeftovers and pruneStore, abandoned staging dirs and downloads are counted and removed; live ones are not', async () => {
    await importImage(imageA, { storageRoot, name: 'a' });
    const tmpDir = join(storageRoot, 'tmp');
    const downloads = join(storageRoot, 'downloads');
    const put = (file: string, bytes: number): void => { mkdirSync(join(file, '..'), { recursive: true }); writeFileSync(file, Buffer.alloc(bytes)); };
    put(join(tmpDir, 'import-dead', 'bundle', 'layers', '0', 'f'), 500);
    writeFileSync(join(tmpDir, 'import-dead.lock'), '');
    put(join(downloads, 'dead', 'blobs', 'sha256', `${'a'.repeat(64)}.partial`), 1000);
    writeFileSync(join(downloads, 'dead', 'use.lock'), '');
    put(join(tmpDir, 'import-live', 'f'), 7);
    put(join(downloads, 'live', 'blobs', 'sha256', `${'b'.repeat(64)}.partial`), 9);
    const liveImport = await lockFile(join(tmpDir, 'import-live.lock'), 'exclusive');
    const livePull = await lockFile(join(downloads, 'live', 'use.lock'), 'shared');
    try {
      const left = await storeLeftovers({ storageRoot });
      assert.deepEqual(left, { staging: [{ name: 'import-dead', bytes: 500 }], downloads: [{ name: 'dead', bytes: 1000 }], bytes: 1500 });
      const pruned = await pruneStore({ storageRoot });
      assert.deepEqual([pruned.staging, pruned.downloads, pruned.leftoverBytes], [['import-dead'], ['dead'], 1500]);
      assert.deepEqual(readdirSync(downloads), ['live']);
      assert.deepEqual(readdirSync(tmpDir).sort(), ['import-live', 'import-live.lock']);
      assert.equal((await storeLeftovers({ storageRoot })).bytes, 0);
    } finally {
      liveImport.release();
      livePull.release();
    }
    assert.deepEqual((await pruneStore({ storageRoot })).downloads, ['live'], 'once its pull is gone');
  });
});
