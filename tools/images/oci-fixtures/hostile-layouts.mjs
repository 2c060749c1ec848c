// Hostile image layouts (not layer entries: those are hostile.mjs): bad digests, blobs that are symlinks out of the
// layout, documents far too large, sizes that disagree with the blob, indexes nested too deep or fanned out, too many
// layers, wrong media types, absurd config fields, layers that are not tars or are truncated, and gzip bombs.
// Each case is written by `writeHostileLayout(dir, name)` into `dir` (an OCI layout tagged `latest`); the table says
// what a safe reader does: 'refuse' with `code` (and what the message must name), or 'accept'.
// Written at test time (small, fast), never committed as bytes.

import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createLayer, hostArchitecture, sha256Digest, writeBlob, writeTar } from '../lib/index.mjs';

const M = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
};
const REF = 'org.opencontainers.image.ref.name';
const MiB = 1024 * 1024;

/** A layer with one file, as a ready descriptor plus its diff_id. */
function smallLayer(name = 'hello', content = 'hi\n') {
  return createLayer([{ type: 'file', path: name, content }]);
}

function writeLayout(dir, topDescriptors) {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: M.index, manifests: topDescriptors }));
}

function configDoc(diffIds, exec = {}) {
  return { architecture: hostArchitecture(), os: 'linux', config: exec, rootfs: { type: 'layers', diff_ids: diffIds } };
}

/**
 * Write an image from parts, each overridable: layers (objects from createLayer), exec config, and hooks to edit the
 * config document, manifest document or top descriptor before they are written.
 */
function image(dir, { layers = [smallLayer()], exec = {}, editConfig, editManifest, editTop, configMediaType = M.config } = {}) {
  writeLayout(dir, []);
  const layerDescs = layers.map((l) => ({ mediaType: l.mediaType, ...writeBlob(dir, l.blob) }));
  let cfg = configDoc(layers.map((l) => l.diffId), exec);
  if (editConfig) cfg = editConfig(cfg);
  const cfgBlob = writeBlob(dir, typeof cfg === 'string' ? cfg : JSON.stringify(cfg));
  let manifest = { schemaVersion: 2, mediaType: M.manifest, config: { mediaType: configMediaType, ...cfgBlob }, layers: layerDescs };
  if (editManifest) manifest = editManifest(manifest);
  const mBlob = writeBlob(dir, JSON.stringify(manifest));
  let top = { mediaType: M.manifest, ...mBlob, annotations: { [REF]: 'latest' } };
  if (editTop) top = editTop(top);
  writeLayout(dir, [top]);
  return { manifest: mBlob, config: cfgBlob, layers: layerDescs };
}

const blobPath = (dir, digest) => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));

/** A gzip stream of `total` zero bytes made without holding them (a bomb: ~1000x smaller). */
function zeroTarGz(bytes) {
  const header = writeTar([{ type: 'file', path: 'zeros', content: '' }]).subarray(0, 512);
  // Patch the size field (octal, 12 bytes at 124) and the checksum.
  const h = Buffer.from(header);
  h.write(bytes.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  const chunk = Buffer.alloc(MiB);
  const gz = [];
  // Compress in slices of 64 MiB of zeros: gzipSync of a repeated buffer compresses to ~64 KiB each.
  const slice = 64 * MiB;
  let left = bytes;
  const zeroSlice = gzipSync(Buffer.concat(Array.from({ length: slice / MiB }, () => chunk)), { level: 9 });
  gz.push(gzipSync(h));
  while (left >= slice) { gz.push(zeroSlice); left -= slice; }
  const tail = Buffer.alloc(left + (512 - (bytes % 512)) % 512 + 1024);
  gz.push(gzipSync(tail));
  return Buffer.concat(gz); // concatenated gzip members are one gzip stream (RFC 1952 2.2)
}

/** The cases: what each does and what a safe reader does with it. */
export const HOSTILE_LAYOUTS = {
  'digest-dotdot': {
    why: 'a digest with ../ in index.json', expect: 'refuse', code: 'OCI_BAD_DIGEST', names: '../',
    write: (dir) => { image(dir, { editTop: (t) => ({ ...t, digest: 'sha256:../../../../etc/passwd' }) }); },
  },
  'digest-algorithm': {
    why: 'a digest of an unknown algorithm (md5)', expect: 'refuse', code: 'OCI_BAD_DIGEST', names: 'md5:',
    write: (dir) => { image(dir, { editTop: (t) => ({ ...t, digest: `md5:${'0'.repeat(32)}` }) }); },
  },
  'digest-short': {
    why: 'a sha256 digest of 63 hex digits in a layer descriptor', expect: 'refuse', code: 'OCI_BAD_DIGEST', names: '$.layers[0].digest',
    write: (dir) => { image(dir, { editManifest: (m) => ({ ...m, layers: [{ ...m.layers[0], digest: m.layers[0].digest.slice(0, -1) }] }) }); },
  },
  'digest-upper': {
    why: 'an upper-case sha256 digest in the config descriptor', expect: 'refuse', code: 'OCI_BAD_DIGEST', names: '$.config.digest',
    write: (dir) => { image(dir, { editManifest: (m) => ({ ...m, config: { ...m.config, digest: m.config.digest.toUpperCase().replace('SHA256', 'sha256') } }) }); },
  },
  'diffid-dotdot': {
    why: 'a diff_id with ../', expect: 'refuse', code: 'OCI_BAD_DIGEST', names: '$.rootfs.diff_ids[0]',
    write: (dir) => { image(dir, { editConfig: (c) => ({ ...c, rootfs: { type: 'layers', diff_ids: ['sha256:../../etc/shadow'] } }) }); },
  },
  'blobs-dir-symlink': {
    // umoci reads through it too: every blob is verified (size, digest) and must be a regular file, so a link can
    // only point at the right bytes; ct as root reads nothing its caller could not read (no privilege is crossed)
    why: 'blobs/sha256 is a symlink to a directory out of the layout (read and verified, as umoci)', expect: 'accept',
    write: (dir, outside) => {
      image(dir);
      // move the blobs out and leave a symlink in their place
      renameSync(join(dir, 'blobs', 'sha256'), outside);
      symlinkSync(outside, join(dir, 'blobs', 'sha256'));
    },
    needsOutside: true,
  },
  'blob-symlink-out': {
    why: 'the layer blob is a symlink to a file out of the layout with the right bytes (as umoci)', expect: 'accept',
    write: (dir, outside) => {
      const { layers } = image(dir);
      const p = blobPath(dir, layers[0].digest);
      renameSync(p, outside);
      symlinkSync(outside, p);
    },
    needsOutside: true,
  },
  'blob-symlink-in': {
    why: 'a blob is a relative symlink to another file inside the layout (allowed)', expect: 'accept',
    write: (dir) => {
      const { layers } = image(dir);
      const p = blobPath(dir, layers[0].digest);
      renameSync(p, join(dir, 'layer.tar.gz'));
      symlinkSync('../../layer.tar.gz', p);
    },
  },
  'blob-symlink-mismatch': {
    why: 'the layer blob is a symlink to a file out of the layout with other bytes', expect: 'refuse', code: 'OCI_DIGEST_MISMATCH', names: 'sha256:',
    write: (dir, outside) => {
      const { layers } = image(dir);
      const p = blobPath(dir, layers[0].digest);
      writeFileSync(outside, Buffer.alloc(layers[0].size, 0x41));
      rmSync(p);
      symlinkSync(outside, p);
    },
    needsOutside: true,
  },
  'blob-symlink-device': {
    why: 'the config blob is a symlink to /dev/zero', expect: 'refuse', code: 'OCI_LAYOUT_INVALID', names: 'not a regular file',
    write: (dir) => { const { config } = image(dir); const p = blobPath(dir, config.digest); rmSync(p); symlinkSync('/dev/zero', p); },
  },
  'config-ports-key': {
    why: 'config ExposedPorts key that is not a port', expect: 'refuse', code: 'OCI_SPEC_INVALID', names: 'abc/xyz',
    write: (dir) => { image(dir, { editConfig: (c) => ({ ...c, config: { ExposedPorts: { '80/tcp': {}, 'abc/xyz': {} } } }) }); },
  },
  'config-ports-null': {
    why: 'config ExposedPorts values null (Go decodes them as struct{})', expect: 'accept',
    write: (dir) => { image(dir, { editConfig: (c) => ({ ...c, config: { ExposedPorts: { '80/tcp': null, '53/udp': {} } } }) }); },
  },
  'config-huge-declared': {
    why: 'the manifest says its config is 1 GiB', expect: 'refuse', code: 'OCI_LAYOUT_INVALID', names: '1073741824',
    write: (dir) => { image(dir, { editManifest: (m) => ({ ...m, config: { ...m.config, size: 1024 * MiB } }) }); },
  },
  'index-huge': {
    why: 'index.json of 1 GiB (sparse)', expect: 'refuse', code: 'OCI_LAYOUT_INVALID', names: 'index.json',
    write: (dir) => { image(dir); truncateSync(join(dir, 'index.json'), 1024 * MiB); },
  },
  'manifest-huge-declared': {
    why: 'a manifest descriptor of size 1 GiB', expect: 'refuse', code: 'OCI_LAYOUT_INVALID', names: 'sha256:',
    write: (dir) => { image(dir, { editTop: (t) => ({ ...t, size: 1024 * MiB }) }); },
  },
  'config-huge-file': {
    why: 'the config blob is a sparse 1 GiB file, its descriptor says 100 bytes', expect: 'refuse', code: 'OCI_LAYOUT_INVALID', names: 'blobs/sha256/',
    write: (dir) => { const { config } = image(dir); truncateSync(blobPath(dir, config.digest), 1024 * MiB); },
  },
  'size-mismatch-manifest': {
    why: 'the manifest descriptor says one byte less than the blob', expect: 'refuse', code: 'OCI_SIZE_MISMATCH', names: 'sha256:',
    write: (dir) => { image(dir, { editTop: (t) => ({ ...t, size: t.size - 1 }) }); },
  },
  'size-mismatch-layer': {
    why: 'a layer descriptor says one byte more than the blob', expect: 'refuse', code: 'OCI_SIZE_MISMATCH', names: 'sha256:',
    write: (dir) => { image(dir, { editManifest: (m) => ({ ...m, layers: [{ ...m.layers[0], size: m.layers[0].size + 1 }] }) }); },
  },
  'size-negative': {
    why: 'a layer descriptor of size -1', expect: 'refuse', code: 'OCI_SPEC_INVALID', names: '$.layers[0].size',
    write: (dir) => { image(dir, { editManifest: (m) => ({ ...m, layers: [{ ...m.layers[0], size: -1 }] }) }); },
  },
  'manifest-self': {
    why: 'a blob whose content is not its digest (a manifest that names itself as its config)', expect: 'refuse', code: 'OCI_DIGEST_MISMATCH', names: 'sha256:',
    write: (dir) => {
      // A document cannot hold its own digest; the nearest is a blob stored under a digest it does not have.
      const { manifest } = image(dir);
      const fake = sha256Digest('self');
      writeFileSync(blobPath(dir, fake), JSON.stringify({ schemaVersion: 2, mediaType: M.manifest, config: { mediaType: M.config, digest: fake, size: 10 }, layers: [] }));
      const size = JSON.stringify({ schemaVersion: 2, mediaType: M.manifest, config: { mediaType: M.config, digest: fake, size: 10 }, layers: [] }).length;
      writeLayout(dir, [{ mediaType: M.manifest, digest: fake, size, annotations: { [REF]: 'latest' } }]);
      void manifest;
    },
  },
  'index-deep': {
    why: 'indexes nested 12 deep', expect: 'refuse', code: 'OCI_LAYOUT_INVALID', names: 'nested',
    write: (dir) => {
      const { manifest } = image(dir);
      let d = { mediaType: M.manifest, ...manifest };
      for (let i = 0; i < 12; i++) d = { mediaType: M.index, ...writeBlob(dir, JSON.stringify({ schemaVersion: 2, mediaType: M.index, manifests: [d] })) };
      writeLayout(dir, [{ ...d, annotations: { [REF]: 'latest' } }]);
    },
  },
  'index-fanout': {
    why: 'indexes 8 deep, each listing the next 2000 times, looked up by a digest that is not there', expect: 'refuse', code: 'OCI_REF_NOT_FOUND', names: 'sha256:',
    ref: `@${sha256Digest('absent')}`,
    write: (dir) => {
      const { manifest } = image(dir);
      let d = { mediaType: M.manifest, ...manifest };
      for (let i = 0; i < 8; i++) d = { mediaType: M.index, ...writeBlob(dir, JSON.stringify({ schemaVersion: 2, mediaType: M.index, manifests: Array(2000).fill(d) })) };
      writeLayout(dir, [d]);
    },
  },
  'layers-10000': {
    // unpacked flat as umoci does (17 s), refused by the store: overlayfs stacks at most 500 layers
    why: '10,000 layers', expect: 'refuse', code: 'OCI_TOO_MANY_LAYERS', names: '10000', importOnly: true,
    write: (dir) => {
      const l = createLayer([], { compression: 'none' });
      image(dir, { layers: Array(10000).fill(l) });
    },
  },
  'mediatype-config-as-layer': {
    why: 'the config descriptor has a layer media type', expect: 'refuse', code: 'OCI_MEDIA_TYPE_MISMATCH', names: 'tar+gzip',
    write: (dir) => { image(dir, { configMediaType: M.layer }); },
  },
  'mediatype-layer-unknown': {
    why: 'a layer of media type text/html', expect: 'refuse', code: 'OCI_MEDIA_TYPE_UNKNOWN', names: 'text/html',
    write: (dir) => { image(dir, { editManifest: (m) => ({ ...m, layers: [{ ...m.layers[0], mediaType: 'text/html' }] }) }); },
  },
  'mediatype-top-config': {
    why: 'index.json lists the config blob as the image', expect: 'refuse', code: 'OCI_MEDIA_TYPE_MISMATCH', names: 'config',
    write: (dir) => { const { config } = image(dir); writeLayout(dir, [{ mediaType: M.config, ...config, annotations: { [REF]: 'latest' } }]); },
  },
  'config-env-no-equals': {
    why: 'config Env entry without =', expect: 'refuse', code: 'OCI_SPEC_INVALID', names: '$.config.Env[1]',
    write: (dir) => { image(dir, { exec: { Env: ['PATH=/bin', 'JUSTANAME'], Cmd: ['/hello'] } }); },
  },
  'config-env-empty-name': {
    why: 'config Env entry =value', expect: 'refuse', code: 'OCI_SPEC_INVALID', names: '$.config.Env[0]',
    write: (dir) => { image(dir, { exec: { Env: ['=x'], Cmd: ['/hello'] } }); },
  },
  'config-cmd-huge': {
    why: 'config Cmd of 200,000 arguments: the config.json made from it is over the runtime\'s 4 MiB', expect: 'refuse', code: 'OCI_JSON_TOO_LARGE', names: 'config.json',
    write: (dir) => { image(dir, { exec: { Cmd: ['/hello', ...Array(200000).fill('aaaaaaaaaaaa')] } }); },
  },
  'config-user-dotdot': {
    why: 'config User ../.. (looked up as a name in the image\'s /etc/passwd)', expect: 'refuse', code: 'OCI_USER_INVALID', names: '../..',
    write: (dir) => { image(dir, { exec: { User: '../..', Cmd: ['/hello'] } }); },
  },
  'config-workdir-relative': {
    why: 'config WorkingDir relative (tmp/x)', expect: 'accept',
    write: (dir) => { image(dir, { exec: { WorkingDir: 'tmp/x', Cmd: ['/hello'] } }); },
  },
  'config-workdir-dotdot': {
    why: 'config WorkingDir /../../../../tmp/ct-hostile-wd', expect: 'accept',
    write: (dir) => { image(dir, { exec: { WorkingDir: '/../../../../tmp/ct-hostile-wd', Cmd: ['/hello'] } }); },
  },
  'config-ports-garbage': {
    why: 'config ExposedPorts with a number as a value', expect: 'refuse', code: 'OCI_SPEC_INVALID', names: 'abc/xyz',
    write: (dir) => { image(dir, { editConfig: (c) => ({ ...c, config: { Cmd: ['/hello'], ExposedPorts: { 'abc/xyz': 7, '99999999/tcp': null, '': {} } } }) }); },
  },
  'layer-not-tar': {
    why: 'a gzip layer whose content is not a tar', expect: 'refuse', code: 'OCI_TAR_INVALID', names: 'sha256:',
    write: (dir) => {
      const raw = Buffer.from('this is not a tar archive\n'.repeat(100));
      const blob = gzipSync(raw);
      image(dir, { layers: [{ blob, mediaType: M.layer, digest: sha256Digest(blob), diffId: sha256Digest(raw), size: blob.length }] });
    },
  },
  'layer-truncated-gzip': {
    // the entry being read when the data ends is named (umoci: "unpack entry: f: ... unexpected EOF")
    why: 'a gzip layer cut in the middle (descriptor matches the cut blob)', expect: 'refuse', code: 'OCI_ENTRY_FAILED', names: 'end of file',
    write: (dir) => {
      const full = createLayer([{ type: 'file', path: 'f', content: Buffer.alloc(200000, 7) }, { type: 'file', path: 'g', content: 'x' }]);
      const blob = full.blob.subarray(0, Math.floor(full.blob.length / 2));
      image(dir, { layers: [{ ...full, blob, digest: sha256Digest(blob), size: blob.length }] });
    },
  },
  'layer-pax-path-64k': {
    why: 'a tar entry whose PAX path is 64 KiB', expect: 'refuse', code: 'OCI_ENTRY_INVALID', names: 'PATH_MAX',
    write: (dir) => { image(dir, { layers: [createLayer([{ type: 'file', path: `${'a'.repeat(65536)}`, content: 'x' }])] }); },
  },
  'layer-duplicates': {
    why: 'the same file twice in a layer (the last one wins)', expect: 'accept',
    write: (dir) => { image(dir, { layers: [createLayer([{ type: 'file', path: 'dup', content: 'one\n' }, { type: 'file', path: 'dup', content: 'two\n' }])] }); },
  },
};

/**
 * Write the layout of case `name` into `dir`; `outside` is a path out of the layout the case may use (symlink
 * targets). Returns the case.
 */
export function writeHostileLayout(dir, name, outside) {
  const c = HOSTILE_LAYOUTS[name];
  if (c === undefined) throw new Error(`no hostile layout ${name}`);
  if (outside !== undefined) mkdirSync(dirname(outside), { recursive: true });
  c.write(dir, outside);
  return c;
}

/** A layer of one file of `bytes` zero bytes, gzip-compressed (a bomb), written as image `dir`:latest. */
export function writeGzipBomb(dir, bytes) {
  const blob = zeroTarGz(bytes);
  image(dir, { layers: [{ blob, mediaType: M.layer, digest: sha256Digest(blob), diffId: `sha256:${'0'.repeat(64)}`, size: blob.length }] });
  return blob.length;
}

/**
 * An image made of the layers of the layout `base` (tag latest; a busybox image in the tests) plus `extra` layers,
 * with the runtime config `exec`, written as `dir`:latest: how the config cases are run as containers.
 */
export function writeOnBase(dir, base, exec, extra = []) {
  const index = JSON.parse(readFileSync(join(base, 'index.json'), 'utf8'));
  const blob = (d) => readFileSync(join(base, 'blobs', 'sha256', d.digest.slice('sha256:'.length)));
  const manifest = JSON.parse(blob(index.manifests[0]).toString());
  const config = JSON.parse(blob(manifest.config).toString());
  const layers = manifest.layers.map((l, i) => {
    const b = blob(l);
    return { blob: b, mediaType: l.mediaType, digest: l.digest, diffId: config.rootfs.diff_ids[i], size: b.length };
  });
  image(dir, { layers: [...layers, ...extra], exec });
}

/** The config cases run as containers: the image config's `config` part, and what happens. */
export const HOSTILE_RUN_CONFIGS = {
  'run-workdir-dotdot': { exec: { WorkingDir: '/../../../../tmp/ct-hostile-wd', Cmd: ['/bin/sh', '-c', 'pwd'] }, escape: '/tmp/ct-hostile-wd', out: '/tmp/ct-hostile-wd' },
  'run-workdir-relative': { exec: { WorkingDir: 'tmp/rel', Cmd: ['/bin/sh', '-c', 'pwd'] }, out: '/tmp/rel' },
  'run-workdir-symlink': { exec: { WorkingDir: '/escape/x', Cmd: ['/bin/sh', '-c', 'pwd'] }, escape: '/tmp/ct-hostile-wd-link', extra: () => [createLayer([{ type: 'symlink', path: 'escape', target: '/tmp/ct-hostile-wd-link' }])] },
  'run-user-dotdot': { exec: { User: '../..', Cmd: ['/bin/true'] }, code: 'refuse' },
  'run-env-no-equals': { exec: { Env: ['PATH=/bin', 'JUSTANAME'], Cmd: ['/bin/true'] }, code: 'refuse' },
};
