// Tests of the OCI layout writer in tools/images/lib: entries read back by independent tar readers (tar-stream,
// GNU tar), digests stable across runs and sensitive to their inputs, valid layouts.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import {
  createLayer, entriesFromDirectory, compressLayer, sha256Digest, writeImage, writeTar, REF_NAME_ANNOTATION,
} from '../lib/index.mjs';

/** @typedef {import('../lib/tar-writer.mjs').LayerEntry} LayerEntry */

/** @typedef {import('tar-stream').Header & {pax?: Record<string, string>}} ReadHeader */

/**
 * Read a tar with tar-stream: headers (names decoded as latin1, so raw bytes survive) and contents.
 * @param {Buffer} data
 * @returns {Promise<Array<{header: ReadHeader, body: Buffer}>>}
 */
function readTar(data) {
  return new Promise((resolve, reject) => {
    // filenameEncoding is a real option of tar-stream 3 that its .d.ts leaves out
    const ex = tar.extract(/** @type {Parameters<typeof tar.extract>[0]} */ ({ filenameEncoding: 'latin1' }));
    /** @type {Array<{header: ReadHeader, body: Buffer}>} */
    const out = [];
    ex.on('entry', (header, stream, next) => {
      /** @type {Buffer[]} */
      const chunks = [];
      stream.on('data', (/** @type {unknown} */ c) => chunks.push(/** @type {Buffer} */ (c)));
      stream.on('end', () => { out.push({ header: /** @type {ReadHeader} */ (header), body: Buffer.concat(chunks) }); next(); });
    });
    ex.on('finish', () => resolve(out));
    ex.on('error', reject);
    ex.end(data);
  });
}

/** @type {LayerEntry[]} */
const SAMPLE = [
  { type: 'dir', path: 'etc', mode: 0o750 },
  { type: 'file', path: 'etc/hello', content: 'hi\n', mode: 0o4755, uid: 1000, gid: 1001 },
  { type: 'symlink', path: 'link', target: '/etc/hello' },
  { type: 'hardlink', path: 'etc/hl', target: 'etc/hello' },
  { type: 'fifo', path: 'fifo' },
  { type: 'char', path: 'null', devmajor: 1, devminor: 3, mode: 0o666 },
  { type: 'block', path: 'loop0', devmajor: 7, devminor: 0 },
  { type: 'file', path: `long/${'x'.repeat(150)}`, content: 'long', xattrs: { 'user.foo': 'bar' } },
  { type: 'whiteout', path: 'etc/gone' },
  { type: 'opaque', path: 'var' },
  { type: 'file', path: 'bigid', uid: 100000000, gid: 5 },
];

describe('writeTar', () => {
  it('writeTar, every entry type reads back through tar-stream', async () => {
    const entries = await readTar(writeTar(SAMPLE));
    const byName = new Map(entries.map((e) => [e.header.name, e]));
    assert.deepEqual(entries.map((e) => e.header.name), [
      'etc', 'etc/hello', 'link', 'etc/hl', 'fifo', 'null', 'loop0', `long/${'x'.repeat(150)}`,
      'etc/.wh.gone', 'var/.wh..wh..opq', 'bigid',
    ]);
    assert.equal(byName.get('etc')?.header.type, 'directory');
    assert.equal(byName.get('etc')?.header.mode, 0o750);
    const hello = byName.get('etc/hello');
    assert.equal(hello?.body.toString(), 'hi\n');
    assert.deepEqual([hello?.header.mode, hello?.header.uid, hello?.header.gid], [0o4755, 1000, 1001]);
    assert.equal(hello?.header.mtime?.getTime(), 0);
    assert.deepEqual([byName.get('link')?.header.type, byName.get('link')?.header.linkname], ['symlink', '/etc/hello']);
    assert.deepEqual([byName.get('etc/hl')?.header.type, byName.get('etc/hl')?.header.linkname], ['link', 'etc/hello']);
    assert.equal(byName.get('fifo')?.header.type, 'fifo');
    const nul = byName.get('null')?.header;
    assert.deepEqual([nul?.type, nul?.devmajor, nul?.devminor], ['character-device', 1, 3]);
    assert.deepEqual([byName.get('loop0')?.header.type, byName.get('loop0')?.header.devmajor], ['block-device', 7]);
    assert.equal(byName.get(`long/${'x'.repeat(150)}`)?.header.pax?.['SCHILY.xattr.user.foo'], 'bar');
    assert.equal(byName.get('bigid')?.header.pax?.uid, '100000000'); // tar-stream leaves pax ids unapplied
  });

  it('writeTar, raw byte names are written byte for byte', async () => {
    const raw = Buffer.from([0x72, 0xff, 0x61, 0x2f, 0x00 + 0x62]);
    const [entry] = await readTar(writeTar([{ type: 'file', path: raw, content: 'x' }]));
    assert.deepEqual(Buffer.from(entry?.header.name ?? '', 'latin1'), raw);
  });

  it('writeTar, GNU tar lists the archive without complaint', () => {
    const r = spawnSync('tar', ['-tvf', '-'], { input: writeTar(SAMPLE) });
    assert.equal(r.status, 0, r.stderr.toString());
    const lines = r.stdout.toString().trim().split('\n');
    assert.equal(lines.length, SAMPLE.length);
    assert.match(lines[1] ?? '', /^-rwsr-xr-x 1000\/1001\s+3 1970-01-01 00:00 etc\/hello$/);
  });

  it('writeTar, a value too large for its header field is refused', () => {
    assert.throws(() => writeTar([{ type: 'char', path: 'c', devmajor: 0o100000000 }]), { code: 'ENTRY_INVALID' });
  });
});

describe('createLayer', () => {
  it('createLayer, the same entries give the same digests', () => {
    const a = createLayer(SAMPLE);
    const b = createLayer(SAMPLE.map((e) => ({ ...e })));
    assert.equal(a.digest, b.digest);
    assert.equal(a.diffId, b.diffId);
    assert.equal(a.diffId, sha256Digest(gunzipSync(a.blob)));
  });

  it('createLayer, a different mtime gives a different digest', () => {
    assert.notEqual(createLayer(SAMPLE).diffId, createLayer(SAMPLE, { mtime: 1 }).diffId);
  });

  it('createLayer, gzip output carries no timestamp', () => {
    const { blob } = createLayer(SAMPLE);
    assert.deepEqual([...blob.subarray(0, 3)], [0x1f, 0x8b, 8]);
    assert.equal(blob.readUInt32LE(4), 0);
  });

  it('createLayer, uncompressed layer is the tar itself', () => {
    const layer = createLayer(SAMPLE, { compression: 'none' });
    assert.equal(layer.digest, layer.diffId);
    assert.equal(layer.mediaType, 'application/vnd.oci.image.layer.v1.tar');
  });

  it('compressLayer, zstd output decompresses with zstd -d', () => {
    const tarBytes = writeTar(SAMPLE);
    const z = compressLayer(tarBytes, 'zstd');
    assert.deepEqual([...z.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
    const r = spawnSync('zstd', ['-d', '-c', '-q'], { input: z });
    assert.equal(r.status, 0);
    assert.ok(r.stdout.equals(tarBytes));
  });
});

describe('entriesFromDirectory', () => {
  /** @type {string} */
  let dir;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ct-images-src-'));
    mkdirSync(join(dir, 'b/sub'), { recursive: true });
    writeFileSync(join(dir, 'b/sub/f'), 'f');
    writeFileSync(join(dir, 'a'), 'a');
    chmodSync(join(dir, 'a'), 0o700);
    writeFileSync(join(dir, 'B'), 'B');
    chmodSync(join(dir, 'B'), 0o664);
    linkSync(join(dir, 'a'), join(dir, 'c'));
    symlinkSync('a', join(dir, 'd'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('entriesFromDirectory, byte order, parents first, fixed owners, hardlinks', () => {
    const entries = entriesFromDirectory(dir, { prefix: '/opt/', uid: 7, gid: 8 });
    assert.deepEqual(entries.map((e) => `${e.type} ${e.path}`), [
      'file opt/B', 'file opt/a', 'dir opt/b', 'dir opt/b/sub', 'file opt/b/sub/f', 'hardlink opt/c', 'symlink opt/d',
    ]);
    assert.ok(entries.every((e) => e.uid === 7 && e.gid === 8));
    assert.equal(entries.find((e) => e.path === 'opt/c')?.target, 'opt/a');
    assert.equal(entries.find((e) => e.path === 'opt/a')?.mode, 0o700);
  });

  it('entriesFromDirectory, normalizeModes hides the umask', () => {
    const entries = entriesFromDirectory(dir, { normalizeModes: true });
    const modes = Object.fromEntries(entries.map((e) => [e.path, e.mode]));
    assert.deepEqual([modes.a, modes.B, modes.b], [0o755, 0o644, 0o755]);
  });

  it('entriesFromDirectory, include filters whole subtrees', () => {
    const entries = entriesFromDirectory(dir, { include: (p) => p !== 'b' });
    assert.ok(entries.every((e) => !String(e.path).startsWith('b')));
    assert.equal(entries.length, 4);
  });
});

describe('writeImage', () => {
  /** @type {string} */
  let tmp;
  beforeEach(() => { tmp = mkdtempSync(join(tmpdir(), 'ct-images-layout-')); });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  const image = () => ({
    layers: [createLayer(SAMPLE)],
    config: { Cmd: ['sh'], Env: ['PATH=/bin'], WorkingDir: '/', User: '0:0', Entrypoint: ['/bin/x'] },
    refName: 'latest',
  });

  it('writeImage, two layouts from the same input have the same digests and files', () => {
    const a = writeImage(join(tmp, 'a'), image());
    const b = writeImage(join(tmp, 'b'), image());
    assert.deepEqual(a, b);
    assert.deepEqual(readdirSync(join(tmp, 'a/blobs/sha256')).sort(), readdirSync(join(tmp, 'b/blobs/sha256')).sort());
    assert.ok(readFileSync(join(tmp, 'a/index.json')).equals(readFileSync(join(tmp, 'b/index.json'))));
  });

  it('writeImage, every blob matches its name and the config lists the diff_ids', () => {
    const w = writeImage(tmp, image());
    const blobs = join(tmp, 'blobs/sha256');
    for (const f of readdirSync(blobs)) assert.equal(sha256Digest(readFileSync(join(blobs, f))), `sha256:${f}`);
    const config = JSON.parse(readFileSync(join(blobs, w.configDigest.slice(7)), 'utf8'));
    assert.deepEqual(config.rootfs, { type: 'layers', diff_ids: [createLayer(SAMPLE).diffId] });
    assert.equal(config.os, 'linux');
    assert.deepEqual(config.config.Cmd, ['sh']);
    assert.deepEqual(JSON.parse(readFileSync(join(tmp, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
  });

  it('writeImage, a second image with the same tag replaces the first in index.json', () => {
    writeImage(tmp, image());
    writeImage(tmp, { ...image(), refName: 'other' });
    const last = writeImage(tmp, { ...image(), config: { Cmd: ['true'] } });
    const index = JSON.parse(readFileSync(join(tmp, 'index.json'), 'utf8'));
    assert.deepEqual(index.manifests.map((/** @type {any} */ m) => m.annotations[REF_NAME_ANNOTATION]), ['latest', 'other']);
    assert.equal(index.manifests[0].digest, last.manifestDigest);
  });

  it('writeImage, umoci and skopeo accept the layout', () => {
    const w = writeImage(tmp, image());
    const u = spawnSync('umoci', ['stat', '--image', `${tmp}:latest`]);
    assert.equal(u.status, 0, u.stderr.toString());
    const s = spawnSync('skopeo', ['inspect', `oci:${tmp}:latest`]);
    assert.equal(s.status, 0, s.stderr.toString());
    const info = JSON.parse(s.stdout.toString());
    assert.deepEqual(info.Layers, w.layers.map((l) => l.digest));
    assert.equal(info.Digest, w.manifestDigest);
  });
});
