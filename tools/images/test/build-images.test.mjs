// Tests of tools/images/build.mjs: reproducible builds, skipping when up to date, the images' contents, and that
// real runtimes accept them (umoci unpacks, runc runs busybox as root and rootless).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, lstatSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { buildImages } from '../build.mjs';

const BUILD_MJS = join(dirname(fileURLToPath(import.meta.url)), '..', 'build.mjs');
const isRoot = process.geteuid?.() === 0;

/**
 * Entries of the (single, gzip) layer of a built image: name → header.
 * @param {string} layout
 * @returns {Promise<Map<string, import('tar-stream').Header>>}
 */
async function layerHeaders(layout) {
  const blob = (/** @type {string} */ d) => readFileSync(join(layout, 'blobs', 'sha256', d.slice(7)));
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(blob(index.manifests[0].digest).toString());
  const data = gunzipSync(blob(manifest.layers[0].digest));
  /** @type {Map<string, import('tar-stream').Header>} */
  const out = new Map();
  const ex = tar.extract();
  ex.on('entry', (h, s, next) => { out.set(h.name, h); s.on('end', next); s.resume(); });
  await new Promise((resolve, reject) => { ex.on('finish', () => resolve(undefined)); ex.on('error', reject); ex.end(data); });
  return out;
}

/**
 * Run a command, returning status and output.
 * @param {string} cmd
 * @param {string[]} args
 * @param {import('node:child_process').SpawnSyncOptions} [opts]
 */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60000, ...opts });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('buildImages', () => {
  /** @type {string} */
  let tmp;
  /** @type {ReturnType<typeof buildImages>} */
  let first;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'ct-images-build-'));
    first = buildImages({ out: join(tmp, 'a'), force: true });
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('buildImages, two builds from scratch give the same digests', () => {
    const second = buildImages({ out: join(tmp, 'b'), force: true });
    assert.deepEqual(first.images.map((i) => i.name), ['busybox', 'pause', 'probe']);
    assert.deepEqual(second.images.map((i) => i.manifestDigest), first.images.map((i) => i.manifestDigest));
    assert.equal(second.probe.digest, first.probe.digest);
    assert.ok(first.images.every((i) => i.built));
  });

  it('buildImages, a second run skips what is up to date and --force rebuilds', () => {
    const again = buildImages({ out: join(tmp, 'a') });
    assert.ok(!again.probe.built && again.images.every((i) => !i.built));
    assert.deepEqual(again.images.map((i) => i.manifestDigest), first.images.map((i) => i.manifestDigest));
    const forced = buildImages({ out: join(tmp, 'a'), force: true, names: ['probe'] });
    assert.deepEqual(forced.images.map((i) => [i.name, i.built]), [['probe', true]]);
  });

  it('buildImages, a removed blob makes the image rebuild', () => {
    const busybox = first.images[0];
    assert.ok(busybox);
    rmSync(join(busybox.path, 'blobs', 'sha256', busybox.manifestDigest.slice(7)));
    const again = buildImages({ out: join(tmp, 'a'), names: ['busybox'] });
    assert.deepEqual(again.images.map((i) => [i.built, i.manifestDigest]), [[true, busybox.manifestDigest]]);
  });

  it('busybox image, holds busybox, its applet links, /etc files, /tmp and the probe', async () => {
    const h = await layerHeaders(join(tmp, 'a', 'busybox'));
    assert.equal(h.get('bin/busybox')?.mode, 0o755);
    assert.deepEqual([h.get('bin/sh')?.type, h.get('bin/sh')?.linkname], ['symlink', '/bin/busybox']);
    assert.equal(h.get('usr/bin/env')?.linkname, '/bin/busybox');
    assert.deepEqual([h.get('tmp')?.type, h.get('tmp')?.mode], ['directory', 0o1777]);
    assert.equal(h.get('usr/local/bin/ct-probe')?.mode, 0o755);
    assert.ok(h.has('etc/passwd') && h.has('etc/group'));
    assert.ok([...h.values()].every((e) => e.uid === 0 && e.gid === 0 && e.mtime.getTime() === 0));
  });

  it('probe image, has only the probe, /etc files and mount points, with the probe as entrypoint', async () => {
    const layout = join(tmp, 'a', 'probe');
    const h = await layerHeaders(layout);
    assert.deepEqual([...h.keys()].filter((n) => h.get(n)?.type !== 'directory').sort(), ['etc/group', 'etc/passwd', 'usr/local/bin/ct-probe']);
    const s = run('skopeo', ['inspect', '--config', `oci:${layout}:latest`]);
    assert.equal(s.status, 0, s.stderr);
    assert.deepEqual(JSON.parse(s.stdout).config.Entrypoint, ['/usr/local/bin/ct-probe']);
  });

  it('build.mjs, --json lists name, path, tag and manifest digest of each image', () => {
    const r = run(process.execPath, [BUILD_MJS, '--json', '--out', join(tmp, 'a')]);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.images.map((/** @type {any} */ i) => [i.name, i.path, i.tag, i.manifestDigest]),
      first.images.map((i) => [i.name, i.path, i.tag, i.manifestDigest]));
  });

  it('build.mjs, an unknown recipe name fails with exit 1 and the file named', () => {
    const r = run(process.execPath, [BUILD_MJS, '--out', join(tmp, 'a'), 'no-such-image']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /RECIPE_INVALID: .*no-such-image\/recipe\.json/);
  });

  it('build.mjs, an unknown option is a usage error', () => {
    assert.equal(run(process.execPath, [BUILD_MJS, '--frobnicate']).status, 2);
  });
});

/**
 * Unpack the busybox image with umoci and run `args` in it with runc; returns runc's result.
 * @param {string} tmp
 * @param {string} layout
 * @param {string[]} args
 * @param {boolean} rootless
 */
function runInBusybox(tmp, layout, args, rootless) {
  const bundle = join(tmp, 'bundle');
  const u = run('umoci', ['unpack', ...(rootless ? ['--rootless'] : []), '--image', `${layout}:latest`, bundle]);
  assert.equal(u.status, 0, u.stderr);
  const configFile = join(bundle, 'config.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8'));
  config.process.terminal = false;
  config.process.args = args;
  writeFileSync(configFile, JSON.stringify(config));
  const id = `ct-images-test-${process.pid}`;
  const state = join(tmp, 'runc-state');
  try {
    return run('runc', ['--root', state, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    run('runc', ['--root', state, 'delete', '--force', id]);
  }
}

describe('busybox image in runc @root', () => {
  /** @type {string} */
  let tmp;
  before(function () {
    if (!isRoot) this.skip(); // excluded by tag from the unprivileged pass; this guards a direct run
    tmp = mkdtempSync(join(tmpdir(), 'ct-images-runc-'));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('busybox image, umoci unpack as root then runc run prints from busybox echo', () => {
    const { images } = buildImages({ out: join(tmp, 'out'), names: ['busybox'] });
    const r = runInBusybox(tmp, images[0]?.path ?? '', ['busybox', 'echo', 'hello from busybox'], false);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hello from busybox\n');
  });
});

describe('busybox image in rootless runc @rootless', () => {
  /** @type {string} */
  let tmp;
  before(() => { tmp = mkdtempSync(join(tmpdir(), 'ct-images-rootless-')); });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('busybox image, umoci unpack --rootless keeps the applet links', () => {
    const { images } = buildImages({ out: join(tmp, 'out'), names: ['busybox'] });
    const bundle = join(tmp, 'unpacked');
    const u = run('umoci', ['unpack', '--rootless', '--image', `${images[0]?.path}:latest`, bundle]);
    assert.equal(u.status, 0, u.stderr);
    assert.equal(readlinkSync(join(bundle, 'rootfs', 'bin', 'sh')), '/bin/busybox');
    assert.equal(lstatSync(join(bundle, 'rootfs', 'tmp')).mode & 0o7777, 0o1777);
  });

  it('busybox image, rootless runc runs ct-probe id as uid 0 in the container', () => {
    const { images } = buildImages({ out: join(tmp, 'out'), names: ['busybox'] });
    const r = runInBusybox(tmp, images[0]?.path ?? '', ['ct-probe', 'id'], true);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^uid=0 gid=0 /);
  });
});
