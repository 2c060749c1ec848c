/**
 * Removing from the store: `removeImage` drops a name (and the image when no name is left), `pruneStore` removes
 * what nothing refers to any more (nameless images no container uses, layers and blobs of no image and no
 * container, staging dirs of dead imports). All under the exclusive store lock; a layer some import holds the lock
 * of (it builds on it) is left for a later prune. The trees go with removeTree,
 * which runs `rm` inside a user namespace when unprivileged (files owned by the caller's subuids).
 * Man pages: flock(2), user_namespaces(7).
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CtError } from '../internal/ct-error.js';
import { removeTree } from '../tree-remove.js';
import { clearStaleStaging, layerLockPath, tryLockFile, withStoreLock } from './store-lock.js';
import { abandonedDownloads, abandonedStaging } from './store-leftovers.js';
import { digestHex, storePaths, type StoreOptions, type StorePaths } from './store-paths.js';
import { withEffectiveNames } from './image-names.js';
import { findImageLocked, nameMatches } from './store-query.js';
import { imageRecordPath, readContainerRecords, runtimeConfigPath, readImageRecords, writeJsonAtomic } from './store-records.js';

/** Options of {@link removeImage}. */
export interface RemoveImageOptions extends StoreOptions {
  /** Remove the image even when containers use it (their roots stay until they are removed). */
  readonly force?: boolean | undefined;
}

/** What a removal or prune took away. */
export interface RemovedItems {
  /** Manifest digests of the images removed. */
  readonly images: readonly string[];
  /** Chain ids (sha256:...) of the layers removed. */
  readonly layers: readonly string[];
  /** Digests of the blobs (manifests, configs) removed. */
  readonly blobs: readonly string[];
  /** Staging dirs of dead imports (`tmp/` names). */
  readonly staging: readonly string[];
  /** Download layouts no pull used (`downloads/` names: partial blobs of killed pulls). */
  readonly downloads: readonly string[];
  /** The bytes the staging dirs and downloads took (what could be read of them). */
  readonly leftoverBytes: number;
}

async function collect(paths: StorePaths): Promise<Pick<RemovedItems, 'layers' | 'blobs'>> {
  const images = readImageRecords(paths);
  const containers = readContainerRecords(paths);
  const liveLayers = new Set([...images.flatMap((r) => r.layers), ...containers.flatMap((c) => c.layers)].map(digestHex));
  const liveBlobs = new Set(images.flatMap((r) => [r.digest, r.configDigest]).map(digestHex));
  const layers: string[] = [];
  for (const hex of readdirSync(paths.layers)) {
    if (liveLayers.has(hex)) continue;
    // A running import holds the layer's lock while it builds on it: such a layer waits for a later prune.
    const lock = tryLockFile(layerLockPath(paths, hex));
    if (lock === undefined) continue;
    try {
      await removeTree(join(paths.layers, hex));
      rmSync(layerLockPath(paths, hex), { force: true });
    } finally {
      lock.release();
    }
    layers.push(`sha256:${hex}`);
  }
  // Lock files of layers not in the store that nobody holds (importers check the path after locking).
  for (const name of existsSync(paths.locks) ? readdirSync(paths.locks) : []) {
    if (existsSync(join(paths.layers, name.replace(/\.lock$/, '')))) continue;
    const lock = tryLockFile(join(paths.locks, name));
    if (lock === undefined) continue;
    rmSync(join(paths.locks, name), { force: true });
    lock.release();
  }
  const blobs: string[] = [];
  for (const hex of readdirSync(paths.blobs)) {
    if (liveBlobs.has(hex)) continue;
    rmSync(join(paths.blobs, hex), { force: true });
    blobs.push(`sha256:${hex}`);
  }
  return { layers, blobs };
}

function dropImage(paths: StorePaths, digest: string): void {
  rmSync(imageRecordPath(paths, digest), { force: true });
  rmSync(runtimeConfigPath(paths, digest), { force: true });
}

/**
 * Remove the name `nameOrDigest` (a digest removes the image with all its names), then its layers and blobs when
 * nothing else uses them.
 * @throws CtError STORE_IMAGE_NOT_FOUND, STORE_IMAGE_AMBIGUOUS, STORE_IMAGE_IN_USE (a container uses it; see force).
 */
export async function removeImage(nameOrDigest: string, options: RemoveImageOptions = {}): Promise<RemovedItems> {
  const paths = storePaths(options);
  return withStoreLock(paths, 'exclusive', async () => {
    const record = findImageLocked(paths, nameOrDigest);
    const byName = record.names.filter((n) => nameMatches(n, nameOrDigest));
    const names = byName.length > 0 ? record.names.filter((n) => !byName.includes(n)) : [];
    if (names.length > 0) {
      writeJsonAtomic(imageRecordPath(paths, record.digest), { ...record, names });
      return { images: [], layers: [], blobs: [], staging: [], downloads: [], leftoverBytes: 0 };
    }
    const users = readContainerRecords(paths).filter((c) => c.image === record.digest);
    if (users.length > 0 && options.force !== true) {
      throw new CtError('STORE_IMAGE_IN_USE', `remove image: ${nameOrDigest}: used by container ${users.map((c) => c.id).join(', ')}`);
    }
    dropImage(paths, record.digest);
    return { images: [record.digest], ...await collect(paths), staging: [], downloads: [], leftoverBytes: 0 };
  });
}

/**
 * Remove nameless images (also those whose names a newer import took) no container uses, unused layers and
 * blobs, the staging dirs of dead imports and the download layouts of no running pull (store-leftovers.ts).
 * @throws SyscallError, CtError OCI_REMOVE_FAILED.
 */
export async function pruneStore(options: StoreOptions = {}): Promise<RemovedItems> {
  const paths = storePaths(options);
  return withStoreLock(paths, 'exclusive', async () => {
    const used = new Set(readContainerRecords(paths).map((c) => c.image));
    const images: string[] = [];
    for (const r of withEffectiveNames(readImageRecords(paths))) {
      if (r.names.length > 0 || used.has(r.digest)) continue;
      dropImage(paths, r.digest);
      images.push(r.digest);
    }
    const leftovers = [...abandonedStaging(paths), ...abandonedDownloads(paths)];
    const leftoverBytes = leftovers.reduce((n, l) => n + l.bytes, 0);
    const staging = existsSync(paths.tmp) ? await clearStaleStaging(paths) : [];
    const downloads: string[] = [];
    for (const d of abandonedDownloads(paths)) {
      await removeTree(join(paths.root, 'downloads', d.name));
      downloads.push(d.name);
    }
    return { images, ...await collect(paths), staging, downloads, leftoverBytes };
  });
}
