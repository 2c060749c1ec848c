// OCI image layout writer (image-spec image-layout.md, manifest.md, config.md, image-index.md): content-addressed
// blobs under blobs/sha256/, an image config with its layers' diff_ids, a manifest, index.json naming the manifest
// by the org.opencontainers.image.ref.name annotation, and the oci-layout marker. JSON is written with a fixed key
// order and no clock reads, so the same layers and config give the same digests on every run.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compressLayer, LAYER_MEDIA_TYPES } from './compress.mjs';
import { writeTar } from './tar-writer.mjs';

/** @typedef {import('./tar-writer.mjs').LayerEntry} LayerEntry */
/** @typedef {import('./compress.mjs').Compression} Compression */

/** Media types written by this module. */
export const MEDIA_TYPES = Object.freeze({
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
});

/** The annotation that gives a manifest its tag in index.json. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/**
 * A layer ready to be written: its compressed blob and the digests the config and manifest refer to.
 * @typedef {object} Layer
 * @property {Buffer} blob compressed bytes (what blobs/sha256/<digest> holds)
 * @property {string} mediaType
 * @property {string} digest "sha256:…" of `blob`
 * @property {string} diffId "sha256:…" of the uncompressed tar
 * @property {number} size byte length of `blob`
 */

/**
 * The runtime part of an image config (the "config" object of config.md); absent fields are left out.
 * @typedef {object} ImageRuntimeConfig
 * @property {string} [User]
 * @property {string[]} [Env]
 * @property {string[]} [Entrypoint]
 * @property {string[]} [Cmd]
 * @property {string} [WorkingDir]
 * @property {Record<string, string>} [Labels]
 * @property {string} [StopSignal]
 */

/**
 * @typedef {object} ImageSpec
 * @property {Layer[]} layers bottom layer first
 * @property {ImageRuntimeConfig} [config]
 * @property {string} [refName] tag recorded in index.json (an existing entry with the same tag is replaced)
 * @property {string} [architecture] default: the host's, in OCI/Go spelling (amd64, arm64, …)
 * @property {string} [os] default "linux"
 * @property {string} [created] RFC 3339 time; left out when not given (nothing reads the clock)
 * @property {Record<string, string>} [annotations] manifest annotations
 */

/**
 * @typedef {object} WrittenImage
 * @property {string} manifestDigest
 * @property {number} manifestSize
 * @property {string} configDigest
 * @property {Array<{mediaType: string, digest: string, size: number}>} layers
 */

/**
 * "sha256:<hex>" of some bytes.
 * @param {Buffer|string} data
 * @returns {string}
 */
export function sha256Digest(data) {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * Build a layer from entries: tar them (in the order given) and compress.
 * @param {readonly LayerEntry[]} entries
 * @param {{compression?: Compression, mtime?: number}} [options] compression default 'gzip', mtime default 0
 * @returns {Layer}
 */
export function createLayer(entries, options = {}) {
  const compression = options.compression ?? 'gzip';
  const tar = writeTar(entries, options.mtime === undefined ? {} : { mtime: options.mtime });
  const blob = compressLayer(tar, compression);
  return { blob, mediaType: LAYER_MEDIA_TYPES[compression], digest: sha256Digest(blob), diffId: sha256Digest(tar), size: blob.length };
}

/**
 * Store bytes as a blob of the layout (created when missing); an existing blob is left as is.
 * @param {string} layoutDir
 * @param {Buffer|string} data
 * @returns {{digest: string, size: number}}
 */
export function writeBlob(layoutDir, data) {
  const digest = sha256Digest(data);
  const dir = join(layoutDir, 'blobs', 'sha256');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, digest.slice('sha256:'.length));
  if (!existsSync(file)) writeFileSync(file, data);
  return { digest, size: Buffer.byteLength(data) };
}

/**
 * Write an image (layers, config, manifest) into an OCI image layout, creating the layout if needed, and record it
 * in index.json under `refName`.
 * @param {string} layoutDir
 * @param {ImageSpec} image
 * @returns {WrittenImage}
 */
export function writeImage(layoutDir, image) {
  mkdirSync(layoutDir, { recursive: true });
  writeFileSync(join(layoutDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const layers = image.layers.map((l) => ({ mediaType: l.mediaType, ...writeBlob(layoutDir, l.blob) }));
  const architecture = image.architecture ?? hostArchitecture();
  const os = image.os ?? 'linux';
  const config = {
    ...(image.created === undefined ? {} : { created: image.created }),
    architecture,
    os,
    config: pickRuntimeConfig(image.config ?? {}),
    rootfs: { type: 'layers', diff_ids: image.layers.map((l) => l.diffId) },
  };
  const configBlob = writeBlob(layoutDir, JSON.stringify(config));
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: { mediaType: MEDIA_TYPES.config, ...configBlob },
    layers,
    ...(image.annotations === undefined ? {} : { annotations: image.annotations }),
  };
  const manifestBlob = writeBlob(layoutDir, JSON.stringify(manifest));
  /** @type {Record<string, unknown>} */
  const descriptor = {
    mediaType: MEDIA_TYPES.manifest,
    ...manifestBlob,
    ...(image.refName === undefined ? {} : { annotations: { [REF_NAME_ANNOTATION]: image.refName } }),
    platform: { architecture, os },
  };
  updateIndex(layoutDir, descriptor, image.refName);
  return { manifestDigest: manifestBlob.digest, manifestSize: manifestBlob.size, configDigest: configBlob.digest, layers };
}

/**
 * The host's architecture in the spelling of image-spec config.md (Go's GOARCH).
 * @returns {string}
 */
export function hostArchitecture() {
  /** @type {Record<string, string>} */
  const map = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };
  return map[process.arch] ?? process.arch;
}

/**
 * Copy the known runtime fields in a fixed order, so the JSON does not depend on how the caller built the object.
 * @param {ImageRuntimeConfig} c
 * @returns {ImageRuntimeConfig}
 */
function pickRuntimeConfig(c) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const k of /** @type {const} */ (['User', 'Env', 'Entrypoint', 'Cmd', 'WorkingDir', 'Labels', 'StopSignal'])) {
    if (c[k] !== undefined) out[k] = c[k];
  }
  return out;
}

/**
 * Add a manifest descriptor to index.json, replacing the entry with the same ref name.
 * @param {string} layoutDir
 * @param {Record<string, unknown>} descriptor
 * @param {string|undefined} refName
 */
function updateIndex(layoutDir, descriptor, refName) {
  const file = join(layoutDir, 'index.json');
  /** @type {{schemaVersion: number, mediaType: string, manifests: Array<Record<string, any>>}} */
  const index = existsSync(file)
    ? JSON.parse(readFileSync(file, 'utf8'))
    : { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: [] };
  const at = refName === undefined ? -1 : index.manifests.findIndex((m) => m.annotations?.[REF_NAME_ANNOTATION] === refName);
  if (at >= 0) index.manifests[at] = descriptor;
  else index.manifests.push(descriptor);
  writeFileSync(file, JSON.stringify(index));
}
