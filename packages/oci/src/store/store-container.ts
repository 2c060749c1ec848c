/**
 * A container's root from the store: `containers/<id>/` with `upper/` and `work/` for an overlay of the image's
 * layer dirs (mounted by the container's own child, inside its mount namespace: see the runtime's image run) and
 * `merged/`, the mount point, plus `container.json`, which keeps the layers from being pruned while it exists.
 * Where overlay is refused, `merged/` is filled with a copy of the layers instead (`copyLayers`).
 * Man pages: overlayfs (Documentation/filesystems/overlayfs.rst).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CtError } from '../internal/ct-error.js';
import { removeTree } from '../tree-remove.js';
import { withStoreLock } from './store-lock.js';
import { digestHex, storePaths, type StoreOptions } from './store-paths.js';
import { findImageLocked } from './store-query.js';
import { layerDiffDir, runtimeConfigPath, writeJsonAtomic, type ContainerRecord, type ImageRecord } from './store-records.js';

/** What a container run needs from the store. */
export interface ContainerRoot {
  /** The image's record. */
  readonly image: ImageRecord;
  /** The container's directory, `containers/<id>`. */
  readonly dir: string;
  /** The overlay's upperdir (`dir/upper`, empty at first). */
  readonly upper: string;
  /** The overlay's workdir (`dir/work`). */
  readonly work: string;
  /** Where the overlay is to be mounted (`dir/merged`); nothing is mounted by this function. */
  readonly merged: string;
  /** The layer dirs, TOP first (overlayfs lowerdir order). */
  readonly lowerDirs: readonly string[];
  /** The image's runtime config template (config.json text). */
  readonly runtimeConfig: string;
  /** The image config's Entrypoint (the template's args are Entrypoint + Cmd). */
  readonly entrypoint: readonly string[];
  /** The image config's Env (ContainerOptions.imageEnv: a HOME set there stays with `-u`). */
  readonly env: readonly string[];
}

/** The image config's Entrypoint and Env (strings only). */
function readExecConfig(file: string): { entrypoint: string[]; env: string[] } {
  const config = JSON.parse(readFileSync(file, 'utf8')) as { config?: { Entrypoint?: unknown; Env?: unknown } };
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return { entrypoint: strings(config.config?.Entrypoint), env: strings(config.config?.Env) };
}

/** The container dir of `id`. */
export function containerDir(id: string, options: StoreOptions = {}): string {
  return join(storePaths(options).containers, id);
}

/**
 * Make `containers/<id>/` for an overlay of image `nameOrDigest` (under the shared store lock, so a concurrent
 * prune cannot take the layers away between the lookup and the record).
 * @throws CtError STORE_IMAGE_NOT_FOUND, STORE_LAYER_MISSING, STORE_CONTAINER_EXISTS.
 */
export async function createContainerRoot(nameOrDigest: string, id: string, options: StoreOptions = {}): Promise<ContainerRoot> {
  const paths = storePaths(options);
  return withStoreLock(paths, 'shared', () => {
    const image = findImageLocked(paths, nameOrDigest);
    const dir = join(paths.containers, id);
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'EEXIST') throw new CtError('STORE_CONTAINER_EXISTS', `create container root: ${dir}: exists`, { cause });
      throw cause;
    }
    for (const sub of ['upper', 'work', 'merged']) mkdirSync(join(dir, sub), { mode: 0o755 });
    const record: ContainerRecord = { id, image: image.digest, layers: image.layers, created: new Date().toISOString(), rootfs: 'overlay' };
    writeJsonAtomic(join(dir, 'container.json'), record);
    const runtimeConfig = readFileSync(runtimeConfigPath(paths, image.digest), 'utf8');
    return {
      image, dir, upper: join(dir, 'upper'), work: join(dir, 'work'), merged: join(dir, 'merged'),
      lowerDirs: [...image.layers].reverse().map((l) => layerDiffDir(paths, l)), runtimeConfig,
      ...readExecConfig(join(paths.blobs, digestHex(image.configDigest))),
    };
  });
}

/**
 * Remove `containers/<id>/`. Most roots hold only the caller's files (a rootless container's root is the caller),
 * so a plain removal is tried first; files of subuids (written by another user in the container) make it fail
 * with EACCES or EPERM, and the rest goes with removeTree, inside a user namespace.
 */
export async function removeContainerRoot(id: string, options: StoreOptions = {}): Promise<void> {
  const dir = containerDir(id, options);
  try {
    rmSync(dir, { recursive: true, force: true });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw err;
  }
  await removeTree(dir);
}
