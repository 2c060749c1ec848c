/**
 * Reading the store: list the images, find one by name (`busybox`, `busybox:latest`) or digest (full, or a hex
 * prefix of at least 4 digits), inspect one (record, image config, layer dirs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CtError } from '../internal/ct-error.js';
import { parseJson } from '../spec/lossless-json.js';
import type { JsonValue } from '../spec/lossless-json.js';
import { tryNormalizeImageName, withEffectiveNames } from './image-names.js';
import { withStoreLock } from './store-lock.js';
import { digestHex, storePaths, type StoreOptions, type StorePaths } from './store-paths.js';
import { layerComplete, layerDiffDir, readImageRecords, type ImageRecord } from './store-records.js';

/** An image as `image inspect` shows it. */
export interface ImageDetails extends ImageRecord {
  /** The image config (image-spec config.md), as stored. */
  readonly config: JsonValue;
  /** The layer directories in overlay form, bottom first. */
  readonly layerDirs: readonly string[];
}

/** True when the stored `name` is what `query` means (both normalised: `busybox` is `docker.io/library/busybox:latest`). */
export function nameMatches(name: string, query: string): boolean {
  const q = tryNormalizeImageName(query);
  return q !== undefined && (tryNormalizeImageName(name) ?? name) === q;
}

/**
 * The record of `nameOrDigest` among `records`, or undefined: a name (normalised; held by one image: see
 * image-names.ts), else a digest or a hex prefix of 4 digits or more.
 * @throws CtError STORE_IMAGE_AMBIGUOUS for a prefix of several digests.
 */
export function matchImage(records: readonly ImageRecord[], nameOrDigest: string): ImageRecord | undefined {
  const query = nameOrDigest.startsWith('sha256:') ? undefined : tryNormalizeImageName(nameOrDigest);
  const byName = query === undefined ? undefined : withEffectiveNames(records).find((r) => r.names.includes(query));
  if (byName !== undefined) return records.find((r) => r.digest === byName.digest);
  const hex = nameOrDigest.startsWith('sha256:') ? nameOrDigest.slice(7) : nameOrDigest;
  if (!/^[0-9a-f]{4,64}$/.test(hex)) return undefined;
  const hits = records.filter((r) => digestHex(r.digest).startsWith(hex));
  if (hits.length > 1) throw new CtError('STORE_IMAGE_AMBIGUOUS', `find image: ${nameOrDigest}: matches ${hits.length} images`);
  return hits[0];
}

/**
 * The record of `nameOrDigest` (caller holds the store lock).
 * @throws CtError STORE_IMAGE_NOT_FOUND, STORE_IMAGE_AMBIGUOUS, STORE_LAYER_MISSING (a layer dir is gone).
 */
export function findImageLocked(paths: StorePaths, nameOrDigest: string): ImageRecord {
  const records = withEffectiveNames(readImageRecords(paths));
  const record = matchImage(records, nameOrDigest);
  if (record === undefined) throw new CtError('STORE_IMAGE_NOT_FOUND', `find image: ${nameOrDigest}: no such image in ${paths.root}`);
  const missing = record.layers.find((l) => !layerComplete(paths, l));
  if (missing !== undefined) throw new CtError('STORE_LAYER_MISSING', `find image: ${nameOrDigest}: layer ${missing} is not in the store`);
  return record;
}

/** The images of the store, newest import first, their names normalised (one image per name). */
export async function listImages(options: StoreOptions = {}): Promise<ImageRecord[]> {
  const paths = storePaths(options);
  const records = await withStoreLock(paths, 'shared', () => withEffectiveNames(readImageRecords(paths)));
  return records.sort((a, b) => b.imported.localeCompare(a.imported));
}

/**
 * The details of one image.
 * @throws CtError STORE_IMAGE_NOT_FOUND, STORE_IMAGE_AMBIGUOUS, STORE_LAYER_MISSING, STORE_CORRUPT.
 */
export async function inspectImage(nameOrDigest: string, options: StoreOptions = {}): Promise<ImageDetails> {
  const paths = storePaths(options);
  return withStoreLock(paths, 'shared', () => {
    const record = findImageLocked(paths, nameOrDigest);
    const file = join(paths.blobs, digestHex(record.configDigest));
    let config: JsonValue;
    try {
      config = parseJson(readFileSync(file), file);
    } catch (cause) {
      throw new CtError('STORE_CORRUPT', `inspect image: ${file}: ${(cause as Error).message}`, { cause });
    }
    return { ...record, config, layerDirs: record.layers.map((l) => layerDiffDir(paths, l)) };
  });
}
