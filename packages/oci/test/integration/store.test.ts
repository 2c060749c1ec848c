/**
 * The image store on fixture images made by tools/images/lib: layers shared by chain id, a second import that
 * writes no layer, concurrent imports, a SIGKILLed import that leaves nothing complete and is cleared by the next,
 * and rm/prune (inside a user namespace when unprivileged: the layer files then belong to subuids).
 * Runs as root and unprivileged.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ct/test-utils';
import {
  createContainerRoot, importImage, inspectImage, listImages, pruneStore, removeContainerRoot, removeImage, removeTree,
} from '../../src/index.js';
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
    assert.deepEqual((await listImages({ storageRoot })).map((i) => i.names), [['a:v1']]);
    const details = await inspectImage('a:v1', { storageRoot });
    assert.deepEqual((details.config as { config?: { Cmd?: string[] } }).config?.Cmd, ['/a']);
    assert.deepEqual(readdirSync(join(storageRoot, 'tmp')), [], 'no staging left');
  });

  it('importImage, a second import writes no layer', async () => {
    const first = await importImage(`${imageA}:v1`, { storageRoot });
    const layers = join(storageRoot, 'layers');
    const before = { mtime: statSync(layers).mtimeMs, entries: readdirSync(layers).sort() };
    const second = await importImage(`${imageA}:v1`, { storageRoot, name: 'again:1' });
    assert.deepEqual(second.addedLayers, []);
    assert.equal(statSync(layers).mtimeMs, before.mtime);
    assert.deepEqual(readdirSync(layers).sort(), before.entries);
    assert.deepEqual([...second.image.names].sort(), ['again:1', first.image.names[0]!].sort());
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
    assert.deepEqual([...(await inspectImage('x', { storageRoot })).names].sort(), ['x', 'y']);
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
});
