/**
 * Where the image store lives and how it is laid out (shared/DESIGN.md, "Data on disk"): per user
 * `$XDG_DATA_HOME/ct/storage` (default `~/.local/share/ct/storage`), `/var/lib/ct/storage` as root, or the
 * `storageRoot` option. Inside: `blobs/sha256/<hex>` (manifests and configs, verified), `layers/<chainid>/`
 * (`diff/` in overlayfs form and `layer.json`, the completion record written before the directory is renamed into
 * place), `images/<hex>.json` (one record per manifest digest, with its names), `containers/<id>/` (upper, work,
 * merged), `tmp/` (staging dirs, each guarded by a held flock on `tmp/<name>.lock`), `locks/<chainid hex>.lock`
 * (one per layer: see store-lock.ts), `store.lock`.
 * Layers are keyed by chain id, not diff id: a layer in overlay form carries copy-ups from the layers below it
 * (overlay-layer.ts), so the same diff on another base is a different directory.
 * Man pages: rename(2), flock(2).
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Options every store function takes. */
export interface StoreOptions {
  /** The store's root directory (default: {@link defaultStorageRoot}). */
  readonly storageRoot?: string | undefined;
}

/** The paths of one store. */
export interface StorePaths {
  /** The store's root directory, absolute. */
  readonly root: string;
  /** `blobs/sha256`: manifests and configs, one file per hex digest. */
  readonly blobs: string;
  /** `layers`: one directory per layer chain id (hex). */
  readonly layers: string;
  /** `images`: one record per manifest digest (`<hex>.json`). */
  readonly images: string;
  /** `containers`: one directory per container id. */
  readonly containers: string;
  /** `tmp`: staging directories of imports in progress. */
  readonly tmp: string;
  /** The per-layer lock files. */
  readonly locks: string;
  /** `store.lock`: one flock, shared to read records and start containers, exclusive to commit an import, remove or prune. */
  readonly lock: string;
}

/** The default store root for this process's user and environment. */
export function defaultStorageRoot(env: NodeJS.ProcessEnv = process.env, euid: number = process.geteuid?.() ?? 0): string {
  if (euid === 0) return '/var/lib/ct/storage';
  const data = env['XDG_DATA_HOME'] !== undefined && env['XDG_DATA_HOME'] !== '' ? env['XDG_DATA_HOME'] : join(env['HOME'] ?? homedir(), '.local', 'share');
  return join(data, 'ct', 'storage');
}

/** The layout of the store at `options.storageRoot` (or the default). */
export function storePaths(options: StoreOptions = {}): StorePaths {
  const root = resolve(options.storageRoot ?? defaultStorageRoot());
  return {
    root,
    blobs: join(root, 'blobs', 'sha256'),
    layers: join(root, 'layers'),
    images: join(root, 'images'),
    containers: join(root, 'containers'),
    tmp: join(root, 'tmp'),
    locks: join(root, 'locks'),
    lock: join(root, 'store.lock'),
  };
}

/** The hex part of `sha256:HEX`. */
export function digestHex(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}
