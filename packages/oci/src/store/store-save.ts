/**
 * `image save`: an image of the store written as an archive that `image import`, `podman load` and `docker load`
 * read: `docker-archive` (manifest.json, the config, a tar per layer; podman save's default) or `oci-archive`
 * (oci-layout, index.json naming the image, blobs). The store keeps layers unpacked, so each layer's tar is made
 * again (layer-tar.ts) and the config's rootfs.diff_ids are those of the new tars: the config, and so podman's
 * image id, differ from the imported image's (podman keeps tar-split data to give back the original bytes; ct
 * does not). Layers are uncompressed. Unprivileged, the layers' files of subordinate owners are read in a user
 * namespace with the caller's subordinate ids (store-save-worker.ts), as the unpack wrote them.
 * Man pages: podman-save(1), tar(5); the image-spec's image-layout.md and manifest.md, docker's image spec v1.2.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { pack, type Pack } from 'tar-stream';
import { CtError } from '../internal/ct-error.js';
import { digestOf } from '../digest.js';
import { writeLayerTar } from './layer-tar.js';
import { ensureStore, withStagingDir, withStoreLock } from './store-lock.js';
import { digestHex, storePaths, type StoreOptions } from './store-paths.js';
import { findImageLocked } from './store-query.js';
import { layerDiffDir } from './store-records.js';

/** The archive formats of `image save` (podman's names). */
export type SaveFormat = 'docker-archive' | 'oci-archive';

/** Options of {@link saveImage}. */
export interface SaveOptions extends StoreOptions {
  /** The archive's format (default docker-archive, as podman save). */
  readonly format?: SaveFormat;
}

/** What {@link saveImage} wrote. */
export interface SaveResult {
  /** The image's digest in the store. */
  readonly image: string;
  /** The names written into the archive. */
  readonly names: readonly string[];
  /** The archive's format. */
  readonly format: SaveFormat;
  /** The written config's digest (podman's image id after a load). */
  readonly configDigest: string;
  /** The layers' new diff_ids, bottom first. */
  readonly diffIds: readonly string[];
}

interface Layer { readonly file: string; readonly digest: string; readonly size: number }

async function addBuffer(p: Pack, name: string, data: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => p.entry({ name, size: data.length, mode: 0o644, mtime: new Date(0) }, data, (err) => (err ? reject(err) : resolve())));
}

async function addFile(p: Pack, name: string, layer: Layer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const sink = p.entry({ name, size: layer.size, mode: 0o644, mtime: new Date(0) }, (err) => (err ? reject(err) : resolve()));
    createReadStream(layer.file).on('error', reject).pipe(sink);
  });
}

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

async function writeArchive(p: Pack, format: SaveFormat, config: Buffer, layers: readonly Layer[], names: readonly string[]): Promise<string> {
  const configDigest = digestOf(config);
  if (format === 'docker-archive') {
    for (const l of layers) await addFile(p, `${digestHex(l.digest)}.tar`, l);
    await addBuffer(p, `${digestHex(configDigest)}.json`, config);
    await addBuffer(p, 'manifest.json', json([{ Config: `${digestHex(configDigest)}.json`, RepoTags: names, Layers: layers.map((l) => `${digestHex(l.digest)}.tar`) }]));
    return configDigest;
  }
  const manifest = json({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.digest, size: l.size })),
  });
  await addBuffer(p, 'oci-layout', json({ imageLayoutVersion: '1.0.0' }));
  for (const l of layers) await addFile(p, `blobs/sha256/${digestHex(l.digest)}`, l);
  await addBuffer(p, `blobs/sha256/${digestHex(configDigest)}`, config);
  await addBuffer(p, `blobs/sha256/${digestHex(digestOf(manifest))}`, manifest);
  const descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(manifest), size: manifest.length };
  await addBuffer(p, 'index.json', json({
    schemaVersion: 2,
    manifests: (names.length > 0 ? names : [undefined]).map((n) => ({ ...descriptor, ...(n !== undefined ? { annotations: { 'org.opencontainers.image.ref.name': n } } : {}) })),
  }));
  return configDigest;
}

/**
 * Write image `nameOrDigest` as an archive to the open file `outFd` in this process (it must read every layer
 * file: root, or inside the store's user namespace).
 * @throws CtError STORE_IMAGE_NOT_FOUND, STORE_IMAGE_AMBIGUOUS, STORE_LAYER_MISSING, STORE_CORRUPT; fs errors.
 */
export async function saveImageHere(nameOrDigest: string, outFd: number, options: SaveOptions = {}): Promise<SaveResult> {
  const paths = storePaths(options);
  ensureStore(paths);
  const format = options.format ?? 'docker-archive';
  return withStagingDir(paths, 'save', (staging) => withStoreLock(paths, 'shared', async () => {
    const image = findImageLocked(paths, nameOrDigest);
    const configFile = join(paths.blobs, digestHex(image.configDigest));
    let config: { rootfs?: { diff_ids?: string[] } };
    try {
      config = JSON.parse(readFileSync(configFile, 'utf8')) as typeof config;
    } catch (cause) {
      throw new CtError('STORE_CORRUPT', `save image: ${configFile}: ${(cause as Error).message}`, { cause });
    }
    const layers: Layer[] = [];
    for (const [i, chain] of image.layers.entries()) {
      const file = join(staging, `layer-${i}.tar`);
      layers.push({ file, ...(await writeLayerTar(layerDiffDir(paths, chain), file)) });
    }
    const configBytes = json({ ...config, rootfs: { ...config.rootfs, type: 'layers', diff_ids: layers.map((l) => l.digest) } });
    const p = pack();
    const out = pipeline(p, createWriteStream('', { fd: outFd, autoClose: false }));
    const configDigest = await writeArchive(p, format, configBytes, layers, image.names).then((d) => { p.finalize(); return d; }, (err: unknown) => { p.destroy(err as Error); throw err; });
    await out;
    return { image: image.digest, names: image.names, format, configDigest, diffIds: layers.map((l) => l.digest) };
  }));
}

/**
 * Write image `nameOrDigest` as an archive (options.format) to the open file `outFd`: in this process as root,
 * else in a user namespace with the caller's subordinate ids (store-save-worker.ts).
 * @throws as saveImageHere; CtError STORE_SAVE_FAILED when the worker fails (its message).
 */
export async function saveImage(nameOrDigest: string, outFd: number, options: SaveOptions = {}): Promise<SaveResult> {
  if (process.geteuid?.() === 0) return saveImageHere(nameOrDigest, outFd, options);
  const paths = storePaths(options);
  ensureStore(paths);
  // the worker's stdio is the caller's stderr: it reports in a file of the store's tmp dir instead
  const resultFile = join(paths.tmp, `save-${randomBytes(6).toString('hex')}.result.json`);
  const { runInUserNamespace } = await import('../userns-run.js');
  const worker = fileURLToPath(new URL('./store-save-worker.js', import.meta.url));
  try {
    const handle = await runInUserNamespace([process.execPath, worker, JSON.stringify({ nameOrDigest, options, resultFile })], [{ from: outFd, to: 3 }]);
    const { status } = await handle.wait();
    let report: { result?: SaveResult; error?: { code: string; message: string } } = {};
    try {
      report = JSON.parse(readFileSync(resultFile, 'utf8')) as typeof report;
    } catch {
      // no report: the worker died before it could write one (its status says how)
    }
    if (report.result !== undefined && status === 0) return report.result;
    throw new CtError(report.error?.code ?? 'STORE_SAVE_FAILED', report.error?.message ?? `save image: ${nameOrDigest}: the save in a user namespace exited with status ${status}`);
  } finally {
    rmSync(resultFile, { force: true });
  }
}
