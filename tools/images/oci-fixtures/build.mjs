#!/usr/bin/env node
// Builds the OCI fixture images of @ct/oci's tests (issue #6) into test-images/build/oci-fixtures/ (gitignored):
// a multi-layer image (whiteouts, opaque dirs, hardlinks across layers, symlinks, mode 0000 dirs, setuid/setgid,
// xattrs, a fifo, a device node, non-UTF-8 and long names, type changes), a zstd image, a nested multi-platform
// index, the multi-layer image as an oci-archive and as a docker save archive, and one hostile image per escape
// class. Deterministic: fixed mtimes, entries in a fixed order, gzip without timestamps (tools/images/lib).
// A stamp (hash of this file and the lib) makes a re-run a no-op when nothing changed.
//
// Usage: node tools/images/oci-fixtures/build.mjs [--force] [--out DIR]

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLayer, entriesFromDirectory, writeBlob, writeImage, writeTar, sha256Digest, hostArchitecture } from '../lib/index.mjs';
import { HOSTILE } from './hostile.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../../..');
const T = 1700000000;

/** A deterministic byte pattern (xorshift) of `n` bytes. */
function pattern(n, seed) {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nfoo:x:1000:1000:foo:/home/foo:/bin/sh\n';
const GROUP = 'root:x:0:\nfoo:x:1000:\nstaff:x:50:foo\n';

/** Layer 1 of the multi-layer image. */
export function multiLayer1() {
  return [
    { type: 'dir', path: './', mode: 0o755 },
    { type: 'dir', path: 'etc' },
    { type: 'file', path: 'etc/passwd', content: PASSWD },
    { type: 'file', path: 'etc/group', content: GROUP },
    { type: 'file', path: 'etc/motd', content: 'layer one\n' },
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/tool', content: '#!/bin/sh\necho tool\n', mode: 0o755 },
    { type: 'file', path: 'bin/su', content: 'setuid\n', mode: 0o4755 },
    { type: 'symlink', path: 'bin/sh', target: 'tool' },
    { type: 'hardlink', path: 'bin/tool-hl', target: 'bin/tool' },
    { type: 'dir', path: 'srv', mode: 0o2775, gid: 50 },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'dir', path: 'home' },
    { type: 'dir', path: 'home/foo', mode: 0o700, uid: 1000, gid: 1000 },
    { type: 'file', path: 'home/foo/.profile', content: 'export A=1\n', uid: 1000, gid: 1000, mode: 0o600 },
    { type: 'dir', path: 'usr' },
    { type: 'dir', path: 'usr/lib' },
    { type: 'file', path: 'usr/lib/libx.so', content: pattern(70000, 7), mode: 0o755 },
    { type: 'symlink', path: 'lib', target: 'usr/lib' },
    { type: 'symlink', path: 'abs', target: '/etc/passwd' },
    { type: 'symlink', path: 'dangling', target: '/nonexistent/file' },
    { type: 'dir', path: 'run' },
    { type: 'fifo', path: 'run/fifo', mode: 0o644 },
    { type: 'dir', path: 'dev' },
    { type: 'char', path: 'dev/null2', devmajor: 1, devminor: 3, mode: 0o666 },
    { type: 'dir', path: 'locked', mode: 0o000 },
    { type: 'file', path: 'locked/secret', content: 'zero\n', mode: 0o000 },
    { type: 'dir', path: 'locked/sub', mode: 0o000 },
    { type: 'file', path: 'locked/sub/deep', content: 'deeper\n', mode: 0o400 },
    { type: 'file', path: 'xattr-file', content: 'x\n', xattrs: { 'user.ct.text': 'v1', 'user.ct.bin': Buffer.from([0, 255, 1, 10]) } },
    { type: 'file', path: Buffer.from([0x63, 0x61, 0x66, 0xe9]), content: 'latin1 name\n' },
    { type: 'dir', path: 'deep' },
    { type: 'file', path: `deep/${'a'.repeat(120)}`, content: 'long name\n' },
    { type: 'dir', path: 'opq' },
    { type: 'file', path: 'opq/a', content: 'a\n' },
    { type: 'dir', path: 'opq/b' },
    { type: 'file', path: 'opq/b/c', content: 'c\n' },
    { type: 'dir', path: 'wh' },
    { type: 'file', path: 'wh/file1', content: '1\n' },
    { type: 'file', path: 'wh/keep', content: 'keep\n' },
    { type: 'dir', path: 'wh/dir1' },
    { type: 'file', path: 'wh/dir1/x', content: 'x\n' },
    { type: 'dir', path: 'replace' },
    { type: 'file', path: 'replace/file-to-dir', content: 'f\n' },
    { type: 'dir', path: 'replace/dir-to-file' },
    { type: 'file', path: 'replace/dir-to-file/child', content: 'c\n' },
    { type: 'symlink', path: 'replace/link-to-file', target: '../etc/motd' },
  ];
}

/** Layer 2 (uncompressed): whiteouts, an opaque dir, type changes, links to layer 1. */
export function multiLayer2() {
  return [
    { type: 'whiteout', path: 'wh/file1' },
    { type: 'whiteout', path: 'wh/dir1' },
    { type: 'file', path: 'opq/new', content: 'new\n' },
    { type: 'opaque', path: 'opq' },
    { type: 'dir', path: 'replace/file-to-dir', mode: 0o750 },
    { type: 'file', path: 'replace/file-to-dir/inner', content: 'inner\n' },
    { type: 'file', path: 'replace/dir-to-file', content: 'now a file\n' },
    { type: 'file', path: 'replace/link-to-file', content: 'no longer a link\n' },
    { type: 'hardlink', path: 'bin/tool-hl2', target: 'bin/tool' },
    { type: 'hardlink', path: 'sh-hl', target: 'bin/sh' },
    { type: 'file', path: 'etc/motd', content: 'layer two\n', mode: 0o640 },
    { type: 'file', path: 'lib/libnew.so', content: 'through the lib symlink\n' },
    { type: 'file', path: 'locked/added', content: 'added later\n', mode: 0o000 },
  ];
}

/** Layer 3 (gzip): an entry given twice (the last wins), a whiteout of a layer-2 file. */
export function multiLayer3() {
  return [
    { type: 'file', path: 'dup', content: 'first\n' },
    { type: 'file', path: 'dup', content: 'second\n', mode: 0o600 },
    { type: 'whiteout', path: 'bin/tool-hl2' },
  ];
}

const CONFIG = {
  Entrypoint: ['/bin/tool'], Cmd: ['--flag'], Env: ['PATH=/bin:/usr/bin', 'GREETING=hi'], WorkingDir: '/home/foo',
  User: 'foo', Labels: { 'org.example.label': 'yes' }, StopSignal: 'SIGTERM',
};

function buildMulti(out) {
  const layers = [
    createLayer(multiLayer1(), { mtime: T, compression: 'gzip' }),
    createLayer(multiLayer2(), { mtime: T + 10, compression: 'none' }),
    createLayer(multiLayer3(), { mtime: T + 20, compression: 'gzip' }),
  ];
  writeImage(join(out, 'multi-layer'), { layers, config: CONFIG, refName: 'latest', created: '2023-11-14T22:13:20Z' });
}

function buildZstd(out) {
  const l1 = [
    { type: 'dir', path: 'data' },
    { type: 'file', path: 'data/big', content: pattern(300000, 42) },
    { type: 'file', path: 'data/small', content: 'small\n', mode: 0o600, uid: 1000, gid: 1000 },
    { type: 'symlink', path: 'data/link', target: 'big' },
    { type: 'hardlink', path: 'data/big-hl', target: 'data/big' },
    { type: 'dir', path: 'empty', mode: 0o711 },
  ];
  const l2 = [
    { type: 'file', path: 'data/small', content: 'replaced\n', mode: 0o644 },
    { type: 'file', path: 'data/added', content: pattern(5000, 9), mode: 0o4711 },
  ];
  const layers = [createLayer(l1, { mtime: T, compression: 'zstd' }), createLayer(l2, { mtime: T + 5, compression: 'zstd' })];
  writeImage(join(out, 'zstd'), { layers, config: { Cmd: ['/data/big'] }, refName: 'latest' });
}

/** A layout whose only index.json entry is a nested index with an amd64 and an arm64 manifest. */
function buildMultiPlatform(out) {
  const dir = join(out, 'multi-platform');
  const descs = [];
  for (const architecture of ['amd64', 'arm64']) {
    const layer = createLayer([{ type: 'file', path: 'platform', content: `${architecture}\n` }], { mtime: T });
    const w = writeImage(dir, { layers: [layer], architecture, refName: `tmp-${architecture}` });
    descs.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: w.manifestDigest, size: w.manifestSize,
      platform: { architecture, os: 'linux', ...(architecture === 'arm64' ? { variant: 'v8' } : {}) },
    });
  }
  const nested = writeBlob(dir, JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: descs }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...nested, annotations: { 'org.opencontainers.image.ref.name': 'multi' } }],
  }));
}

/** The multi-layer layout packed as an oci-archive tarball. */
function buildOciArchive(out) {
  const entries = entriesFromDirectory(join(out, 'multi-layer'));
  writeFileSync(join(out, 'multi-layer.oci.tar'), writeTar(entries, { mtime: T }));
}

/** The multi-layer image as `docker save` (v1.2 format: <id>/layer.tar, <hex>.json, manifest.json) writes it. */
function buildDockerArchive(out) {
  const tars = [writeTar(multiLayer1(), { mtime: T }), writeTar(multiLayer2(), { mtime: T + 10 }), writeTar(multiLayer3(), { mtime: T + 20 })];
  const diffIds = tars.map((t) => sha256Digest(t));
  const config = JSON.stringify({ architecture: hostArchitecture(), os: 'linux', config: CONFIG, rootfs: { type: 'layers', diff_ids: diffIds } });
  const configName = `${sha256Digest(config).slice(7)}.json`;
  const layerNames = diffIds.map((d) => `${d.slice(7, 71)}/layer.tar`);
  const entries = [
    { type: 'file', path: configName, content: config },
    ...layerNames.flatMap((n, i) => [{ type: 'dir', path: n.split('/')[0] }, { type: 'file', path: n, content: tars[i] }]),
    { type: 'file', path: 'manifest.json', content: JSON.stringify([{ Config: configName, RepoTags: ['example/multi:v1'], Layers: layerNames }]) },
  ];
  writeFileSync(join(out, 'multi-layer.docker.tar'), writeTar(entries, { mtime: T }));
}

function inputsHash() {
  const h = createHash('sha256');
  for (const f of [fileURLToPath(import.meta.url), join(HERE, 'hostile.mjs')]) h.update(readFileSync(f));
  for (const f of readdirSync(join(HERE, '../lib')).sort()) h.update(readFileSync(join(HERE, '../lib', f)));
  return h.digest('hex');
}

/** Build every fixture into `outDir` (default test-images/build/oci-fixtures) unless the stamp is current. */
export function buildOciFixtures(outDir = join(REPO, 'test-images/build/oci-fixtures'), force = false) {
  const stamp = inputsHash();
  if (!force && existsSync(join(outDir, '.stamp')) && readFileSync(join(outDir, '.stamp'), 'utf8') === stamp) return { outDir, built: false };
  const tmp = `${outDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  buildMulti(tmp);
  buildZstd(tmp);
  buildMultiPlatform(tmp);
  buildOciArchive(tmp);
  buildDockerArchive(tmp);
  for (const [name, h] of Object.entries(HOSTILE)) {
    writeImage(join(tmp, name), { layers: h.layers.map((entries, i) => createLayer(entries, { mtime: T + i, compression: 'gzip' })), refName: 'latest' });
  }
  writeFileSync(join(tmp, '.stamp'), stamp);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(dirname(outDir), { recursive: true });
  renameSync(tmp, outDir);
  return { outDir, built: true };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { force: { type: 'boolean' }, out: { type: 'string' } } });
  const r = buildOciFixtures(values.out !== undefined ? resolve(values.out) : undefined, values.force ?? false);
  console.log(`${r.built ? 'built' : 'up to date'}: ${r.outDir}`);
}
