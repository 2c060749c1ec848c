/**
 * `importImage(ref)`: bring an image (OCI layout, oci-archive, docker-archive; `PATH[:TAG|@DIGEST]`) into the
 * store. Each layer is keyed by its chain id and locked (store-lock.ts `lockLayers`): layers already complete in
 * the store are held shared and reused as they are (their blobs are not even read), a missing one is held
 * exclusive while this import makes it, so a concurrent import of an image sharing it waits and then reuses it.
 * The layers from the first missing one up are unpacked in overlay form (each in its own dir, overlay-layer.ts) on
 * top of the stored ones, into a staging dir `tmp/<name>` guarded by the flock of `tmp/<name>.lock`; then, under
 * the exclusive store lock, each new layer gets its completion record (`layer.json`, written last) and its
 * staging dir is renamed to `layers/<chainid>`, the manifest and config blobs are stored verified, and the image
 * record is written. A killed import leaves only a staging dir whose lock is free, which the next import
 * removes; a layer directory exists only complete.
 * Man pages: rename(2), flock(2).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { openImage } from '../image-open.js';
import { resolveImage, type ResolvedImage } from '../image-resolve.js';
import { parseImageRef } from '../reference.js';
import { removeTree } from '../tree-remove.js';
import { unpack, type UnpackProgress } from '../unpack.js';
import type { Descriptor } from '../spec/image-spec.js';
import { CtError } from '../internal/ct-error.js';
import { OciLayoutError } from '../errors.js';
import { stopPoint } from '../internal/stop-point.js';
import { normalizeImageName, tryNormalizeImageName, withEffectiveNames } from './image-names.js';
import { clearStaleStaging, ensureStore, lockFile, lockLayers, withStoreLock } from './store-lock.js';
import { digestHex, storePaths, type StoreOptions, type StorePaths } from './store-paths.js';
import {
  imageRecordPath, layerComplete, layerDiffDir, layerDir, readImageRecords, readLayerRecord, runtimeConfigPath, writeJsonAtomic, type ImageRecord,
  type LayerRecord,
} from './store-records.js';

/**
 * The most layers an image of the store may have: overlayfs stacks at most 500 lower layers (OVL_MAX_STACK), and
 * every layer is locked (one fd each) while an import runs, so 10,000 layers failed with EMFILE before.
 */
const MAX_STORE_LAYERS = 500;

/** Options of {@link importImage}. */
export interface ImportOptions extends StoreOptions {
  /**
   * The name to give, normalised (`busybox` is stored as `docker.io/library/busybox:latest`; default: the
   * reference's tag, or the file name, with `:latest`).
   */
  readonly name?: string | undefined;
  /** Unpack progress, for a CLI to show. */
  readonly onProgress?: (event: UnpackProgress) => void;
  /** Test hook: called after the layers are staged, before anything is committed. */
  readonly afterStaging?: () => Promise<void> | void;
}

/** What an import did. */
export interface ImportResult {
  /** The image's record as stored (with the name of this import among its names). */
  readonly image: ImageRecord;
  /** Chain ids of the layers this import added (the others were in the store already). */
  readonly addedLayers: readonly string[];
  /** Chain ids of the layers found in the store and not unpacked again. */
  readonly reusedLayers: readonly string[];
}

/** The chain ids of `diffIds` (image-spec config.md, "Layer ChainID"). */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}`);
  }
  return out;
}

/**
 * The default name of an imported image: a tag that is a full reference (`busybox:1.36`, `docker.io/x/y:z`, as
 * docker save writes them) as it is; else the file name without extension, with the tag (`busybox:latest` for
 * `./busybox:latest`), or `:latest`.
 */
export function defaultImageName(ref: string, exists?: (path: string) => boolean): string {
  const parsed = exists === undefined ? parseImageRef(ref) : parseImageRef(ref, exists);
  const tag = parsed.tag;
  if (tag !== undefined && (tag.includes(':') || tag.includes('/'))) return tag.slice(tag.lastIndexOf('/') + 1).includes(':') ? tag : `${tag}:latest`;
  const base = basename(parsed.path).replace(/\.(tar|tar\.gz|tgz|oci|oci\.tar)$/, '');
  return `${base}:${tag ?? 'latest'}`;
}

/** A default name normalised; one that is not a valid name asks for a name. */
function defaultName(name: string): string {
  const normal = tryNormalizeImageName(name);
  if (normal === undefined) {
    throw new CtError('STORE_NAME_INVALID', `import: the default name ${JSON.stringify(name)} (from the image's path or tag) is not a valid image name: give one (--name)`);
  }
  return normal;
}

async function storeBlob(paths: StorePaths, image: ResolvedImage, desc: Descriptor, staging: string): Promise<void> {
  const file = join(paths.blobs, digestHex(desc.digest));
  if (existsSync(file)) return;
  const tmp = join(staging, `blob-${digestHex(desc.digest)}`);
  await pipeline(image.source.openBlob(desc), createWriteStream(tmp, { mode: 0o644 }));
  renameSync(tmp, file);
}

/** The file-content bytes of layer `i` (`layerBytes` from this import's unpack, else its record, else its blob's size). */
function layerSize(paths: StorePaths, image: ResolvedImage, chainId: string, i: number, layerBytes: ReadonlyMap<number, number>): number {
  const unpacked = layerBytes.get(i);
  if (unpacked !== undefined) return unpacked;
  return readLayerRecord(paths, chainId)?.size ?? Number(image.layers[i]!.descriptor.size);
}

async function commit(
  paths: StorePaths, image: ResolvedImage, staging: string, name: string, reused: number, layerBytes: ReadonlyMap<number, number>,
): Promise<ImportResult> {
  const diffIds = image.layers.map((l) => l.diffId);
  const chains = chainIds(diffIds);
  const added: string[] = [];
  for (const [i, chainId] of chains.entries()) {
    if (i < reused || layerComplete(paths, chainId)) continue;
    // A leftover without its record (cannot happen through rename, but a hand-made one): replace it.
    if (existsSync(layerDir(paths, chainId))) await removeTree(layerDir(paths, chainId));
    const dir = join(staging, `layer-${i}`);
    mkdirSync(dir, { mode: 0o755 });
    renameSync(join(staging, 'bundle', 'layers', String(i)), join(dir, 'diff'));
    const bytes = layerBytes.get(i);
    const record: LayerRecord = {
      chainId, diffId: diffIds[i]!, digest: image.layers[i]!.descriptor.digest, ...(bytes !== undefined ? { size: bytes } : {}),
      completed: new Date().toISOString(),
    };
    writeJsonAtomic(join(dir, 'layer.json'), record);
    renameSync(dir, layerDir(paths, chainId));
    added.push(chainId);
    stopPoint('import:layer-committed');
  }
  await storeBlob(paths, image, image.manifestDescriptor, staging);
  await storeBlob(paths, image, image.manifest.config, staging);
  stopPoint('import:blobs-stored');
  // The runtime config template (user resolved in the merged layers) is kept beside the image record.
  const digest = image.manifestDescriptor.digest;
  if (existsSync(join(staging, 'bundle', 'config.json'))) renameSync(join(staging, 'bundle', 'config.json'), runtimeConfigPath(paths, digest));
  // One image per name: the name moves here from any other image (names compared normalised).
  const records = withEffectiveNames(readImageRecords(paths));
  for (const other of records) {
    if (other.digest !== digest && other.names.includes(name)) {
      writeJsonAtomic(imageRecordPath(paths, other.digest), { ...other, names: other.names.filter((n) => n !== name) });
    }
  }
  const previous = records.find((r) => r.digest === digest);
  const record: ImageRecord = {
    digest, names: [...new Set([...(previous?.names ?? []), name])], configDigest: image.manifest.config.digest,
    layers: chains, diffIds, platform: `${image.config.os}/${image.config.architecture}`,
    imported: new Date().toISOString(),
    size: chains.reduce((n, c, i) => n + layerSize(paths, image, c, i, layerBytes), 0),
  };
  writeJsonAtomic(imageRecordPath(paths, digest), record);
  stopPoint('import:record-written');
  return { image: record, addedLayers: added, reusedLayers: chains.slice(0, reused) };
}

/**
 * Import `ref` into the store under `options.name` (normalised: image-names.ts; an existing name moves to this
 * image).
 * @throws CtError STORE_NAME_INVALID (a bad name, or a default name from the path that is not one: give a name),
 *   OciLayoutError (OCI_TOO_MANY_LAYERS above 500 layers, ...), LayerUnpackError (see unpack), SyscallError; CtError STORE_CORRUPT for an unreadable record.
 * @example
 * ```ts
 * import { importImage } from '@ct/oci';
 * // a layout directory, oci-archive or docker save tarball; the layers already in the store are not unpacked again
 * const { image, addedLayers } = await importImage('./busybox.tar', { name: 'busybox:1.36' });
 * console.log(image.names, addedLayers.length);
 * ```
 */
export async function importImage(ref: string, options: ImportOptions = {}): Promise<ImportResult> {
  // a bad name is refused before anything is read or written
  const givenName = options.name !== undefined ? normalizeImageName(options.name) : undefined;
  const paths = storePaths(options);
  ensureStore(paths);
  const parsed = parseImageRef(ref);
  const stagingName = `import-${randomBytes(6).toString('hex')}`;
  const staging = join(paths.tmp, stagingName);
  const stagingLock = await lockFile(join(paths.tmp, `${stagingName}.lock`), 'exclusive');
  let source: Awaited<ReturnType<typeof openImage>> | undefined;
  try {
    mkdirSync(staging, { mode: 0o700 });
    stopPoint('import:staging-created');
    await withStoreLock(paths, 'exclusive', () => clearStaleStaging(paths));
    // An archive is extracted inside the staging dir, so a killed import's extract goes with it.
    source = await openImage(parsed.path, { tmpDir: staging });
    const image = resolveImage(source, parsed);
    // a docker archive names its image by a full reference (RepoTags): that is the default name then
    const refName = image.manifestDescriptor.annotations?.['org.opencontainers.image.ref.name'];
    const name = givenName ?? defaultName(parsed.tag === undefined && refName !== undefined && /[:/]/.test(refName) ? refName : defaultImageName(ref));
    if (image.layers.length > MAX_STORE_LAYERS) {
      throw new OciLayoutError('OCI_TOO_MANY_LAYERS', `import: ${image.manifestDescriptor.digest}: ${image.layers.length} layers, more than the ${MAX_STORE_LAYERS} overlayfs can stack (the store keeps layers in overlay form; ct image unpack makes a flat bundle of any number)`, { digest: image.manifestDescriptor.digest });
    }
    const chains = chainIds(image.layers.map((l) => l.diffId));
    const layerBytes = new Map<number, number>();
    const layerLocks = await lockLayers(paths, chains, (c) => layerComplete(paths, c));
    try {
      // Layers from the first missing one up are unpacked (a complete one above it, which only a partial removal
      // can leave, is unpacked again and its staged copy dropped at commit).
      const missing = layerLocks.complete.indexOf(false);
      const reused = missing < 0 ? chains.length : missing;
      // The same image again: nothing to unpack, its runtime config template is there already.
      if (reused < chains.length || !existsSync(runtimeConfigPath(paths, image.manifestDescriptor.digest))) {
        await unpack(image, join(staging, 'bundle'), {
          format: 'overlay', lowerLayers: chains.slice(0, reused).map((c) => layerDiffDir(paths, c)),
          onProgress: (e) => {
            if (e.kind === 'layer-done') layerBytes.set(e.index, e.bytes);
            options.onProgress?.(e);
          },
        });
      }
      stopPoint('import:staged');
      await options.afterStaging?.();
      return await withStoreLock(paths, 'exclusive', () => commit(paths, image, staging, name, reused, layerBytes));
    } finally {
      layerLocks.release();
    }
  } finally {
    try {
      await source?.close();
      if (existsSync(staging)) await removeTree(staging);
      rmSync(join(paths.tmp, `${stagingName}.lock`), { force: true });
    } finally {
      stagingLock.release();
    }
  }
}
