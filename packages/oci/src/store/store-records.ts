/**
 * The store's records: an image record per manifest digest (`images/<hex>.json`), the completion record of a
 * layer (`layers/<chainid>/layer.json`), and a container's record (`containers/<id>/container.json`). Every record
 * is written to a temporary file and renamed, so a reader sees the old or the new one, never half of one.
 * Man pages: rename(2).
 */
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CtError } from '../internal/ct-error.js';
import { digestHex, type StorePaths } from './store-paths.js';

/** One image of the store. */
export interface ImageRecord {
  /** The manifest digest (sha256:...). */
  readonly digest: string;
  /** Names given at import (`busybox:latest`); may be empty after `image rm` of one of several names. */
  readonly names: readonly string[];
  /** The config blob's digest. */
  readonly configDigest: string;
  /** Layer chain ids, bottom first (directories `layers/<hex>`). */
  readonly layers: readonly string[];
  /** Layer diff ids, bottom first. */
  readonly diffIds: readonly string[];
  /** Platform as `os/arch`. */
  readonly platform: string;
  /** When it was imported (ISO 8601). */
  readonly imported: string;
  /**
   * Bytes of file contents in its layers (the same however the image was archived or compressed, as podman's size
   * is); a layer recorded by an older ct without its size counts its blob's size.
   */
  readonly size: number;
}

/** A layer's completion record. */
export interface LayerRecord {
  /** The layer's chain id (sha256:...), its directory's name. */
  readonly chainId: string;
  /** The digest of its uncompressed tar. */
  readonly diffId: string;
  /** The digest of the blob it was unpacked from. */
  readonly digest: string;
  /** Bytes of file contents it holds (absent in records of older ct). */
  readonly size?: number;
  /** When it was completed (ISO 8601). */
  readonly completed: string;
}

/** A container's record: what it holds on in the store. */
export interface ContainerRecord {
  /** The container id (its directory's name under `containers/`). */
  readonly id: string;
  /** The manifest digest of its image. */
  readonly image: string;
  /** The chain ids of the layers it uses, bottom first (kept from pruning while the record exists). */
  readonly layers: readonly string[];
  /** When it was made (ISO 8601). */
  readonly created: string;
  /** 'overlay' (upper and work dirs) or 'copy' (merged/ is a copy of the layers). */
  readonly rootfs: 'overlay' | 'copy';
}

/** Write `value` as JSON to `file` atomically. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (cause) {
    throw new CtError('STORE_CORRUPT', `read store record: ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** The image record file of `digest`. */
export function imageRecordPath(paths: StorePaths, digest: string): string {
  return join(paths.images, `${digestHex(digest)}.json`);
}

/** The runtime config template of image `digest` (config.json with the user resolved in its layers). */
export function runtimeConfigPath(paths: StorePaths, digest: string): string {
  return join(paths.images, `${digestHex(digest)}.runtime.json`);
}

/** Every image record. */
export function readImageRecords(paths: StorePaths): ImageRecord[] {
  if (!existsSync(paths.images)) return [];
  return readdirSync(paths.images).filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).map((n) => readJson<ImageRecord>(join(paths.images, n)));
}

/** Every container record. */
export function readContainerRecords(paths: StorePaths): ContainerRecord[] {
  if (!existsSync(paths.containers)) return [];
  const out: ContainerRecord[] = [];
  for (const id of readdirSync(paths.containers)) {
    const file = join(paths.containers, id, 'container.json');
    if (existsSync(file)) out.push(readJson<ContainerRecord>(file));
  }
  return out;
}

/** The directory of layer `chainId`. */
export function layerDir(paths: StorePaths, chainId: string): string {
  return join(paths.layers, digestHex(chainId));
}

/** True when layer `chainId` is in the store, complete. */
export function layerComplete(paths: StorePaths, chainId: string): boolean {
  return existsSync(join(layerDir(paths, chainId), 'layer.json'));
}

/** The record of layer `chainId`, or undefined when it is not complete or not readable. */
export function readLayerRecord(paths: StorePaths, chainId: string): LayerRecord | undefined {
  try {
    return readJson<LayerRecord>(join(layerDir(paths, chainId), 'layer.json'));
  } catch {
    return undefined;
  }
}

/** The overlay-form tree of layer `chainId`. */
export function layerDiffDir(paths: StorePaths, chainId: string): string {
  return join(layerDir(paths, chainId), 'diff');
}
