/**
 * `pullImage(ref)`: fetch an image from a registry into an OCI image layout (`pullToLayout`), then import it into
 * the image store (store/store-import.ts). The manifest is asked for with an Accept header for OCI and Docker
 * schema 2 manifests and indexes; an index is resolved to the manifest for the wanted platform (platform.ts); the
 * manifest's digest is checked against the reference's digest or Docker-Content-Digest; config and layers are
 * downloaded by a small pool, each verified while it streams and resumable (registry-blob.ts). Downloads live in
 * `<storageRoot>/downloads/<repository key>/`, an OCI layout, so a killed pull resumes its partial blobs. A layer
 * already unpacked in the store (by chain id, from the config's diff_ids) is not downloaded: the import reuses it.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { LOCK, flockTry } from '@ct/syscalls';
import { join } from 'node:path';
import { digestOf } from '../digest.js';
import { MAX_JSON_BYTES } from '../image-source.js';
import { OciLayoutError } from '../errors.js';
import { checkImagePlatform, hostPlatform, formatPlatform, selectPlatform } from '../platform.js';
import { parseJson, stringifyJson, type JsonValue } from '../spec/lossless-json.js';
import { ANNOTATION_REF_NAME, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST, mediaKind } from '../spec/media-types.js';
import { validateImageConfig, validateImageIndex, validateImageManifest, type Descriptor, type ImageIndex, type Platform } from '../spec/image-spec.js';
import { chainIds, importImage, type ImportResult } from '../store/store-import.js';
import { layerComplete } from '../store/store-records.js';
import { storePaths, type StoreOptions } from '../store/store-paths.js';
import { normalizeImageName } from '../store/image-names.js';
import { lockFile, withStoreLock } from '../store/store-lock.js';
import { downloadBlob, type BlobProgress } from './registry-blob.js';
import { stopPoint } from '../internal/stop-point.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';
import { RegistryError } from './registry-error.js';
import { readBody } from './registry-http.js';
import { formatRegistryRef, parseRegistryRef, type RegistryRef } from './registry-reference.js';

/** Options of {@link pullToLayout}. */
export interface PullOptions extends RegistryClientOptions {
  /** The platform wanted from a multi-arch index (default: the host's). */
  readonly platform?: Platform | undefined;
  /** Parallel blob downloads (default 3). */
  readonly parallel?: number | undefined;
  /** Retries per blob after a lost connection (default 3). */
  readonly retries?: number | undefined;
  /** Progress of each blob. */
  readonly onProgress?: ((p: BlobProgress) => void) | undefined;
  /**
   * True when the layer with this chain id is unpacked already (in the image store): its blob is not downloaded.
   * The config is then fetched first, for its diff_ids.
   */
  readonly layerPresent?: ((chainId: string) => boolean) | undefined;
}

/** What {@link pullToLayout} fetched. */
export interface PulledImage {
  /** The reference pulled, parsed. */
  readonly ref: RegistryRef;
  /** The layout directory. */
  readonly layout: string;
  /** The image manifest's descriptor (the platform's, for an index). */
  readonly manifest: Descriptor;
  /** The index's digest when the reference named a multi-arch index. */
  readonly indexDigest?: string;
  /** Digests of the layer blobs not downloaded because `layerPresent` said their layer is unpacked already. */
  readonly skippedLayers: readonly string[];
}

const ACCEPT = [OCI_MANIFEST, DOCKER_MANIFEST, OCI_INDEX, DOCKER_MANIFEST_LIST].join(', ');
const MAX_MANIFEST = 4 * 1024 * 1024;

async function fetchManifest(client: RegistryClient, reference: string, expected?: Descriptor): Promise<{ body: Buffer; desc: Descriptor }> {
  const res = await client.get(`manifests/${reference}`, { accept: ACCEPT });
  if (res.status === 404) {
    res.body.resume();
    throw new RegistryError('REGISTRY_NOT_FOUND', `get manifest ${formatRegistryRef(client.ref)}: ${reference}: not found`, { url: res.url.href, status: 404 });
  }
  if (res.status !== 200) {
    res.body.resume();
    throw new RegistryError('REGISTRY_HTTP', `get manifest ${reference}: status ${res.status}`, { url: res.url.href, status: res.status });
  }
  const body = await readBody(res, MAX_MANIFEST);
  const digest = digestOf(body, reference.startsWith('sha512:') ? 'sha512' : 'sha256');
  const what = `manifest ${reference}`;
  if (reference.includes(':') && digest !== reference) {
    throw new RegistryError('REGISTRY_MANIFEST_INVALID', `verify ${what}: content has digest ${digest}`, { url: res.url.href });
  }
  const announced = res.headers['docker-content-digest'];
  if (typeof announced === 'string' && announced.startsWith('sha256:') && digest.startsWith('sha256:') && announced !== digest) {
    throw new RegistryError('REGISTRY_MANIFEST_INVALID', `verify ${what}: content has digest ${digest}, the registry says ${announced}`, { url: res.url.href });
  }
  if (expected !== undefined && BigInt(body.length) !== expected.size) {
    throw new RegistryError('REGISTRY_MANIFEST_INVALID', `verify ${what}: size ${body.length} differs from the expected ${expected.size}`, { url: res.url.href });
  }
  const doc = parseJson(body, what);
  const inBody = doc !== null && typeof doc === 'object' && !Array.isArray(doc) && typeof doc['mediaType'] === 'string' ? doc['mediaType'] : undefined;
  const header = String(res.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  const mediaType = inBody ?? (mediaKind(header) !== undefined ? header : (expected?.mediaType ?? ''));
  if (mediaKind(mediaType) !== 'index' && mediaKind(mediaType) !== 'manifest') {
    throw new RegistryError('REGISTRY_MANIFEST_INVALID', `get ${what}: unsupported media type ${JSON.stringify(mediaType)}`, { url: res.url.href });
  }
  return { body, desc: { mediaType, digest, size: BigInt(body.length) } };
}

/** Where blob `digest` lives in `layout`. */
function blobPath(layout: string, digest: string): string {
  return join(layout, 'blobs', ...digest.split(':'));
}

function writeBlob(layout: string, digest: string, body: Buffer): void {
  const file = blobPath(layout, digest);
  if (existsSync(file)) return;
  writeFileSync(`${file}.tmp`, body, { mode: 0o644 });
  renameSync(`${file}.tmp`, file);
}

/** Add `desc` (tagged `refName`) to the layout's index.json, replacing any entry with the same ref name. */
function recordInIndex(layout: string, desc: Descriptor, refName: string): void {
  const file = join(layout, 'index.json');
  let manifests: JsonValue[] = [];
  if (existsSync(file)) {
    const old = parseJson(readFileSync(file), file);
    const list = old !== null && typeof old === 'object' && !Array.isArray(old) ? old['manifests'] : undefined;
    if (Array.isArray(list)) {
      manifests = list.filter((m) => !(m !== null && typeof m === 'object' && !Array.isArray(m) && typeof m['annotations'] === 'object' && m['annotations'] !== null && !Array.isArray(m['annotations']) && m['annotations'][ANNOTATION_REF_NAME] === refName));
    }
  }
  manifests.push({ mediaType: desc.mediaType, digest: desc.digest, size: desc.size, annotations: { [ANNOTATION_REF_NAME]: refName } });
  writeFileSync(`${file}.tmp`, stringifyJson({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
  renameSync(`${file}.tmp`, file);
}

/** Run `jobs` with at most `n` at a time; the first failure is thrown after the running ones settle. */
async function runPool(jobs: readonly (() => Promise<void>)[], n: number): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < jobs.length && errors.length === 0) {
      const job = jobs[next++]!;
      try { await job(); } catch (err) { errors.push(err); }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, jobs.length)) }, worker));
  if (errors.length > 0) throw errors[0];
}

/**
 * Pull `ref` (a reference as users write it) into the OCI layout `layout` (created if missing); the manifest is
 * recorded in index.json under the reference's full name.
 * @throws RegistryError (see its codes), OciLayoutError OCI_DIGEST_MISMATCH/OCI_SIZE_MISMATCH naming a blob,
 *   OCI_NO_MATCHING_PLATFORM, SpecValidationError for a malformed manifest.
 */
export async function pullToLayout(ref: string | RegistryRef, layout: string, options: PullOptions = {}): Promise<PulledImage> {
  const parsed = typeof ref === 'string' ? parseRegistryRef(ref) : ref;
  const client = new RegistryClient(parsed, options);
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  let top = await fetchManifest(client, parsed.digest ?? parsed.tag ?? 'latest');
  let indexDigest: string | undefined;
  if (mediaKind(top.desc.mediaType) === 'index') {
    const index: ImageIndex = validateImageIndex(parseJson(top.body, top.desc.digest), `index ${top.desc.digest}`);
    const wanted = options.platform ?? hostPlatform();
    const chosen = selectPlatform(index.manifests.filter((d) => mediaKind(d.mediaType) === 'manifest'), wanted);
    if (chosen === undefined) {
      throw new OciLayoutError('OCI_NO_MATCHING_PLATFORM', `pull ${formatRegistryRef(parsed)}: no manifest for ${formatPlatform(wanted)} in index ${top.desc.digest}`, { digest: top.desc.digest });
    }
    writeBlob(layout, top.desc.digest, top.body);
    indexDigest = top.desc.digest;
    top = await fetchManifest(client, chosen.digest, chosen);
  }
  const manifest = validateImageManifest(parseJson(top.body, top.desc.digest), `manifest ${top.desc.digest}`);
  // the config is read whole once downloaded: a descriptor announcing more than a JSON document may hold is
  // refused before a byte of it is fetched (ImageSource refuses it the same way when reading a layout)
  if (manifest.config.size > BigInt(MAX_JSON_BYTES)) {
    throw new OciLayoutError('OCI_LAYOUT_INVALID', `pull ${formatRegistryRef(parsed)}: config ${manifest.config.digest} of ${manifest.config.size} bytes exceeds the limit of ${MAX_JSON_BYTES}`, { digest: manifest.config.digest, mediaType: manifest.config.mediaType });
  }
  writeBlob(layout, top.desc.digest, top.body);
  stopPoint('pull:manifest-fetched');
  const download = (d: Descriptor): Promise<void> => downloadBlob(client, d, blobPath(layout, d.digest), {
    retries: options.retries ?? 3, ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
  });
  let layers = manifest.layers;
  const skipped: string[] = [];
  // The config first when it decides something: the platform asked for (a single-platform image has no index to
  // choose from: it must be that platform), or which layers the store holds already.
  const configFirst = options.layerPresent !== undefined || options.platform !== undefined;
  if (configFirst) {
    await download(manifest.config);
    const config = validateImageConfig(parseJson(readFileSync(blobPath(layout, manifest.config.digest)), manifest.config.digest), manifest.config.digest);
    if (options.platform !== undefined) checkImagePlatform(config, options.platform, `pull ${formatRegistryRef(parsed)}`, top.desc.digest);
    const chains = chainIds(config.rootfs.diff_ids);
    const present = options.layerPresent ?? ((): boolean => false);
    layers = manifest.layers.filter((d, i) => {
      // A layer blob already in the layout is verified (only verified blobs get there): no need to skip it.
      const skip = chains[i] !== undefined && !existsSync(blobPath(layout, d.digest)) && present(chains[i]);
      if (skip) skipped.push(d.digest);
      return !skip;
    });
  }
  const blobs = configFirst ? layers : [manifest.config, ...layers];
  await runPool(blobs.map((d) => () => download(d)), options.parallel ?? 3);
  const indexLock = await lockFile(join(layout, 'index.json.lock'), 'exclusive');
  try {
    recordInIndex(layout, top.desc, formatRegistryRef(parsed));
  } finally {
    indexLock.release();
  }
  stopPoint('pull:downloaded');
  return { ref: parsed, layout, manifest: top.desc, ...(indexDigest !== undefined ? { indexDigest } : {}), skippedLayers: skipped };
}

/** Remove the layer blobs of `manifestDigest` from `layout` unless another pull holds the layout. */
function dropLayers(layout: string, manifestDigest: string): void {
  const fd = openSync(join(layout, 'use.lock'), 'a', 0o600);
  try {
    if (!flockTry(fd, LOCK.EX)) return;
    // Layers now live unpacked in the store; the compressed copies go (manifests and configs are small).
    const manifest = validateImageManifest(parseJson(readFileSync(blobPath(layout, manifestDigest)), 'manifest'), 'manifest');
    for (const l of manifest.layers) rmSync(blobPath(layout, l.digest), { force: true });
  } finally {
    closeSync(fd);
  }
}

/** Options of {@link pullImage}. */
export interface PullImageOptions extends PullOptions, StoreOptions {
  /** The name in the store (default: the reference's full name, `docker.io/library/busybox:latest`). */
  readonly name?: string | undefined;
  /** Keep the downloaded layout after the import (default: its layer blobs are removed). */
  readonly keepDownloads?: boolean | undefined;
}

/**
 * Pull `ref` into the image store: download into `<storageRoot>/downloads/<key>` (resumable), then import.
 * @throws as {@link pullToLayout} and importImage.
 * @example
 * ```ts
 * import { pullImage, PullProgressLine } from '@ct/oci';
 * const bar = new PullProgressLine();
 * const { image, reusedLayers } = await pullImage('docker.io/library/busybox:latest', {
 *   onProgress: (p) => process.stderr.write(`\r${bar.update(p)}`),
 * });
 * console.log(image.names, image.digest, reusedLayers.length);
 * ```
 */
export async function pullImage(ref: string, options: PullImageOptions = {}): Promise<ImportResult & {
  /** What was downloaded into the store's download layout. */
  pulled: PulledImage;
}> {
  const parsed = parseRegistryRef(ref);
  const name = normalizeImageName(options.name ?? formatRegistryRef(parsed));
  const paths = storePaths(options);
  const key = createHash('sha256').update(`${parsed.registry}/${parsed.repository}`).digest('hex').slice(0, 32);
  const layout = join(paths.root, 'downloads', key);
  // Pulls of one repository share its download layout: each holds a shared lock while it downloads and imports,
  // and the compressed layers are dropped only by a pull that then finds no other one running. The lock is taken
  // under the shared store lock, so a prune (exclusive) never removes the layout between the mkdir and the lock.
  const useLock = await withStoreLock(paths, 'shared', () => {
    mkdirSync(layout, { recursive: true, mode: 0o700 });
    return lockFile(join(layout, 'use.lock'), 'shared');
  });
  let pulled: PulledImage;
  let result: ImportResult;
  const importOptions = { ...(options.storageRoot !== undefined ? { storageRoot: options.storageRoot } : {}), name };
  try {
    pulled = await pullToLayout(parsed, layout, { ...options, layerPresent: (chainId) => layerComplete(paths, chainId) });
    try {
      result = await importImage(`${layout}@${pulled.manifest.digest}`, importOptions);
    } catch (err) {
      // A layer skipped as present was removed before the import locked it: fetch everything and import again.
      if (!(err instanceof OciLayoutError && err.code === 'OCI_BLOB_MISSING' && pulled.skippedLayers.includes(err.digest ?? ''))) throw err;
      pulled = await pullToLayout(parsed, layout, options);
      result = await importImage(`${layout}@${pulled.manifest.digest}`, importOptions);
    }
    stopPoint('pull:imported');
  } finally {
    useLock.release();
  }
  if (options.keepDownloads !== true) dropLayers(layout, pulled.manifest.digest);
  return { ...result, pulled };
}
