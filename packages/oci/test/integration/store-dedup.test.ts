/**
 * Layers shared between images are unpacked once (issue 10): an import reuses the layers the store holds by chain
 * id (no layer-start, the stored directory untouched by inode and mtime, the new layers built on the stored ones
 * equal to those of a fresh store), concurrent imports of images sharing a layer make it once (the second waits
 * on the layer lock and reuses it), an import killed while it holds a layer lock lets the waiting one go on and
 * make the layer, and prune leaves a layer an import builds on. Runs as root and unprivileged.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ct/test-utils';
import { importImage, removeImage, pruneStore, removeTree, storePaths, type UnpackProgress } from '../../src/index.js';
import { lockLayers } from '../../src/store/store-lock.js';
import { diffTrees, imagesLib, snapshotTree, tempDir, type Layer } from '../helpers/fixtures.js';

const ociDist = join(repoRoot(), 'packages/oci/dist/index.js');

/** The layer-start events of an import, by layer digest. */
function startedLayers(events: UnpackProgress[]): string[] {
  return events.flatMap((e) => (e.kind === 'layer-start' ? [e.digest] : []));
}

function inodeAndTimes(path: string): string {
  const st = statSync(path);
  return `${st.ino} ${st.mtimeMs} ${st.ctimeMs}`;
}

describe('image store, shared layers', function () {
  this.timeout(60_000);
  let tmp: { dir: string; cleanup: () => void };
  let storageRoot: string;
  let layout: string;
  let base: Layer;
  let topA: Layer;
  let topB: Layer;

  before(async () => {
    const lib = await imagesLib();
    tmp = tempDir('ct-store-dedup-');
    storageRoot = join(tmp.dir, 'storage');
    base = lib.createLayer([{ type: 'dir', path: 'etc' }, { type: 'file', path: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
      { type: 'dir', path: 'srv', uid: 1000, gid: 1000, mode: 0o775 }, { type: 'file', path: 'srv/data', uid: 1000, gid: 1000, mode: 0o644, content: 'D' }]);
    topA = lib.createLayer([{ type: 'file', path: 'a', content: 'A' }]);
    // Needs the layer below: a file in a directory of the base (copied up), a hard link to a base file (copied up),
    // a whiteout of a base file.
    topB = lib.createLayer([{ type: 'file', path: 'etc/hostname', content: 'b\n' }, { type: 'hardlink', path: 'srv/link', target: 'srv/data' },
      { type: 'whiteout', path: 'etc/passwd' }]);
    layout = join(tmp.dir, 'images');
    lib.writeImage(layout, { layers: [base, topA], refName: 'a' });
    lib.writeImage(layout, { layers: [base, topB], refName: 'b' });
  });
  afterEach(async () => {
    await removeTree(storageRoot);
  });
  after(() => tmp.cleanup());

  it('importImage, a layer in the store is reused: not unpacked, its directory untouched', async () => {
    const a = await importImage(`${layout}:a`, { storageRoot, name: 'a' });
    const baseDir = join(storageRoot, 'layers', a.image.layers[0]!.slice(7));
    const before = [baseDir, join(baseDir, 'diff'), join(baseDir, 'diff', 'srv', 'data'), join(baseDir, 'layer.json')].map(inodeAndTimes);
    const events: UnpackProgress[] = [];
    const b = await importImage(`${layout}:b`, { storageRoot, name: 'b', onProgress: (e) => events.push(e) });
    assert.deepEqual(startedLayers(events), [topB.digest], 'only the new layer is unpacked');
    assert.ok(events.some((e) => e.kind === 'layer-reused' && e.digest === base.digest));
    assert.deepEqual(b.reusedLayers, [a.image.layers[0]]);
    assert.deepEqual(b.addedLayers, [b.image.layers[1]]);
    assert.deepEqual([baseDir, join(baseDir, 'diff'), join(baseDir, 'diff', 'srv', 'data'), join(baseDir, 'layer.json')].map(inodeAndTimes), before);
    // The layer built on the stored base is the one a fresh store makes from the whole image.
    const fresh = join(tmp.dir, 'fresh');
    try {
      const alone = await importImage(`${layout}:b`, { storageRoot: fresh, name: 'b' });
      assert.deepEqual(alone.reusedLayers, []);
      const top = (root: string): string => join(root, 'layers', b.image.layers[1]!.slice(7), 'diff');
      assert.deepEqual(diffTrees(snapshotTree(top(storageRoot)), snapshotTree(top(fresh))), []);
      assert.deepEqual([...snapshotTree(top(storageRoot)).keys()].sort(), ['.', 'etc', 'etc/hostname', 'etc/passwd', 'srv', 'srv/data', 'srv/link']);
      assert.equal(statSync(join(top(storageRoot), 'srv')).mode & 0o7777, 0o775, 'the base dir was copied up with its mode');
    } finally {
      await removeTree(fresh);
    }
  });

  it('importImage, the same image again unpacks nothing and writes no layer', async () => {
    await importImage(`${layout}:a`, { storageRoot, name: 'a' });
    const layers = join(storageRoot, 'layers');
    const before = readdirSync(layers).map((h) => inodeAndTimes(join(layers, h)));
    const events: UnpackProgress[] = [];
    const again = await importImage(`${layout}:a`, { storageRoot, name: 'a2', onProgress: (e) => events.push(e) });
    assert.deepEqual(events.filter((e) => e.kind !== 'layer-reused'), [], 'not even a bundle build');
    assert.equal(again.reusedLayers.length, 2);
    assert.deepEqual(readdirSync(layers).map((h) => inodeAndTimes(join(layers, h))), before);
    assert.deepEqual([...again.image.names].sort(), ['docker.io/library/a2:latest', 'docker.io/library/a:latest']);
  });

  it('importImage, concurrent imports of images sharing a layer unpack it once', async () => {
    const events: UnpackProgress[] = [];
    const onProgress = (e: UnpackProgress): void => { events.push(e); };
    const [a, b] = await Promise.all([
      importImage(`${layout}:a`, { storageRoot, name: 'a', onProgress }),
      importImage(`${layout}:b`, { storageRoot, name: 'b', onProgress }),
    ]);
    assert.equal(startedLayers(events).filter((d) => d === base.digest).length, 1, 'the shared layer is unpacked once');
    assert.equal(a.image.layers[0], b.image.layers[0]);
    assert.deepEqual([a.reusedLayers.length + b.reusedLayers.length, a.addedLayers.length + b.addedLayers.length], [1, 3]);
    assert.equal(readdirSync(join(storageRoot, 'layers')).length, 3);
    assert.deepEqual(readdirSync(join(storageRoot, 'tmp')), []);
  });

  it('importImage, eight concurrent imports in one process (more waiters than libuv has pool threads) all land', async () => {
    const lib = await imagesLib();
    const many = join(tmp.dir, 'many');
    for (let i = 0; i < 8; i++) lib.writeImage(many, { layers: [base, lib.createLayer([{ type: 'file', path: `top${i}`, content: String(i) }])], refName: `t${i}` });
    const events: UnpackProgress[] = [];
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => importImage(`${many}:t${i}`, { storageRoot, name: `t${i}`, onProgress: (e) => events.push(e) })));
    assert.equal(startedLayers(events).filter((d) => d === base.digest).length, 1, 'the shared layer is unpacked once');
    assert.equal(results.filter((r) => r.reusedLayers.length === 1).length, 7);
    assert.equal(readdirSync(join(storageRoot, 'layers')).length, 9);
  });

  it('importImage, waits on a layer a killed import was making, then makes it itself', async () => {
    const script = `const oci = await import(${JSON.stringify(ociDist)});
      await oci.importImage(${JSON.stringify(`${layout}:a`)}, { storageRoot: ${JSON.stringify(storageRoot)},
        afterStaging: () => { process.stdout.write('staged\\n'); setInterval(() => {}, 60_000); return new Promise(() => {}); } });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('staged')) resolve(); });
      child.on('exit', (code) => reject(new Error(`import exited early with ${code}`)));
    });
    let done = false;
    const events: UnpackProgress[] = [];
    const b = importImage(`${layout}:b`, { storageRoot, name: 'b', onProgress: (e) => events.push(e) }).finally(() => { done = true; });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(done, false, 'the import waits on the base layer the other import holds');
    assert.deepEqual(startedLayers(events), []);
    child.kill('SIGKILL');
    await exited;
    const result = await b;
    assert.deepEqual(result.reusedLayers, [], 'the killed import committed nothing');
    assert.deepEqual(startedLayers(events), [base.digest, topB.digest]);
    assert.equal(readdirSync(join(storageRoot, 'layers')).length, 2);
  });

  it('pruneStore, keeps an unused layer while an import holds its lock, removes it after', async () => {
    const a = await importImage(`${layout}:a`, { storageRoot, name: 'a' });
    const locks = await lockLayers(storePaths({ storageRoot }), [a.image.layers[0]!], () => true);
    try {
      const removed = await removeImage('a', { storageRoot });
      assert.deepEqual(removed.layers, [a.image.layers[1]]);
      assert.deepEqual(readdirSync(join(storageRoot, 'layers')), [a.image.layers[0]!.slice(7)]);
    } finally {
      locks.release();
    }
    assert.deepEqual((await pruneStore({ storageRoot })).layers, [a.image.layers[0]]);
    assert.deepEqual(readdirSync(join(storageRoot, 'layers')), []);
    assert.deepEqual(readdirSync(join(storageRoot, 'locks')), [], 'the lock files of removed layers go too');
  });
});
