/**
 * `unpack(image, bundleDir)`: an OCI runtime bundle (`rootfs/` and `config.json`) made the way umoci unpack makes
 * it, and `unpackImage(ref, bundleDir)` for the CLI (`ct image unpack`). Everything is built in a staging directory
 * beside the bundle (`.NAME.ct-unpack-XXXXXX`) and renamed into place only after every layer verified, so nothing
 * half-unpacked ever looks like a bundle; on failure the staging directory is removed.
 * Man pages: rename(2), openat2(2).
 */
import { closeSync, mkdtempSync, readdirSync, renameSync, rmdirSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { AT, O, openat } from '@ct/syscalls';
import { OciLayoutError } from './errors.js';
import { defaultFsOps, rootlessFsOps, type FsOps, type UnpackWarning } from './fs-ops.js';
import { openImage } from './image-open.js';
import { resolveImage, type ResolvedImage } from './image-resolve.js';
import { unpackLayer } from './layer-unpack.js';
import { readRootFile, resolveExecUser } from './passwd.js';
import { parseImageRef } from './reference.js';
import { buildRuntimeConfig } from './runtime-config.js';
import type { Platform } from './spec/image-spec.js';
import { parseJson, stringifyJson } from './spec/lossless-json.js';
import { validateRuntimeSpec } from './spec/runtime-spec.js';
import { removeTree } from './whiteout.js';

/** Progress of an unpack, for a CLI to show. */
export type UnpackProgress =
  | { readonly kind: 'resolved'; readonly manifestDigest: string; readonly layerCount: number }
  | { readonly kind: 'layer-start'; readonly index: number; readonly count: number; readonly digest: string; readonly size: bigint }
  | { readonly kind: 'layer-done'; readonly index: number; readonly count: number; readonly digest: string; readonly entries: number; readonly bytes: number }
  | { readonly kind: 'config-written'; readonly path: string }
  | { readonly kind: 'done'; readonly bundle: string };

/** Options of {@link unpack} and {@link unpackImage}. */
export interface UnpackOptions {
  /** Unprivileged mode (owners and device nodes not applied); default: true unless running as root. */
  readonly rootless?: boolean;
  /** The file operations strategy; default from `rootless`. */
  readonly fsOps?: FsOps;
  /** Resolve paths with the O_NOFOLLOW walk instead of openat2 RESOLVE_IN_ROOT (both are confined). */
  readonly forceWalk?: boolean;
  /** Platform to choose from an index (default: the host's). */
  readonly platform?: Platform;
  /** Called with progress events. */
  readonly onProgress?: (event: UnpackProgress) => void;
  /** Called for everything skipped on purpose (device nodes when rootless, ...). */
  readonly onWarning?: (warning: UnpackWarning) => void;
  /** Where archives are read into (default os.tmpdir()). */
  readonly tmpDir?: string;
}

/** {@link UnpackOptions} with every default filled in (umoci's `fill()`). */
export interface ResolvedUnpackOptions {
  readonly rootless: boolean;
  readonly fsOps: FsOps;
  readonly forceWalk: boolean;
  readonly platform?: Platform;
  readonly onProgress: (event: UnpackProgress) => void;
  readonly onWarning: (warning: UnpackWarning) => void;
  readonly tmpDir?: string;
}

/** Fill in the defaults of {@link UnpackOptions}. */
export function withDefaults(o: UnpackOptions = {}): ResolvedUnpackOptions {
  const rootless = o.rootless ?? process.geteuid?.() !== 0;
  return {
    rootless,
    fsOps: o.fsOps ?? (rootless ? rootlessFsOps : defaultFsOps),
    forceWalk: o.forceWalk ?? false,
    onProgress: o.onProgress ?? (() => {}),
    onWarning: o.onWarning ?? (() => {}),
    ...(o.platform !== undefined ? { platform: o.platform } : {}),
    ...(o.tmpDir !== undefined ? { tmpDir: o.tmpDir } : {}),
  };
}

/** What {@link unpack} made. */
export interface UnpackResult {
  readonly bundle: string;
  readonly manifestDigest: string;
  readonly warnings: readonly UnpackWarning[];
}

function checkBundleFree(bundle: string, manifestDigest: string): boolean {
  try {
    if (!statSync(bundle).isDirectory() || readdirSync(bundle).length > 0) {
      throw new OciLayoutError('OCI_BUNDLE_EXISTS', `unpack: ${bundle}: exists and is not an empty directory`, { digest: manifestDigest });
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

function removeStaging(fs: FsOps, staging: string): void {
  const parent = openat(AT.FDCWD, dirname(staging), O.PATH | O.DIRECTORY | O.CLOEXEC);
  try {
    removeTree(fs, parent, Buffer.from(basename(staging)));
  } finally {
    closeSync(parent);
  }
}

/**
 * Unpack a resolved image into the bundle directory `bundleDir` (which must not exist or be empty).
 * @throws OciLayoutError (OCI_BUNDLE_EXISTS, blob or diff_id mismatch), LayerUnpackError, SyscallError.
 */
export async function unpack(image: ResolvedImage, bundleDir: string, options: UnpackOptions = {}): Promise<UnpackResult> {
  const o = withDefaults(options);
  const bundle = resolve(bundleDir);
  const manifestDigest = image.manifestDescriptor.digest;
  const existed = checkBundleFree(bundle, manifestDigest);
  const warnings: UnpackWarning[] = [];
  const onWarning = (w: UnpackWarning): void => { warnings.push(w); o.onWarning(w); };
  o.onProgress({ kind: 'resolved', manifestDigest, layerCount: image.layers.length });
  mkdirSync(dirname(bundle), { recursive: true, mode: 0o755 });
  const staging = mkdtempSync(join(dirname(bundle), `.${basename(bundle)}.ct-unpack-`));
  try {
    mkdirSync(join(staging, 'rootfs'), { mode: 0o755 });
    const rootFd = openat(AT.FDCWD, join(staging, 'rootfs'), O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC);
    try {
      o.fsOps.chmodat(rootFd, Buffer.from('.'), 0o755);
      const count = image.layers.length;
      for (const [index, layer] of image.layers.entries()) {
        const { digest, size } = layer.descriptor;
        o.onProgress({ kind: 'layer-start', index, count, digest, size });
        const stats = await unpackLayer(image.source, layer, rootFd, { fsOps: o.fsOps, forceWalk: o.forceWalk, onWarning });
        o.onProgress({ kind: 'layer-done', index, count, digest, ...stats });
      }
      const user = resolveExecUser(image.config.config?.User ?? '',
        readRootFile(o.fsOps, rootFd, 'etc/passwd', o.forceWalk), readRootFile(o.fsOps, rootFd, 'etc/group', o.forceWalk));
      const ids = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
      const spec = buildRuntimeConfig(image.config, user, o.rootless ? { rootless: ids } : {});
      const text = stringifyJson(spec, 2);
      validateRuntimeSpec(parseJson(text, 'config.json'));
      writeFileSync(join(staging, 'config.json'), `${text}\n`, { mode: 0o644 });
      o.onProgress({ kind: 'config-written', path: join(bundle, 'config.json') });
    } finally {
      closeSync(rootFd);
    }
    if (existed) rmdirSync(bundle);
    renameSync(staging, bundle);
  } catch (err) {
    try {
      removeStaging(o.fsOps, staging);
    } catch (cleanup) {
      throw new AggregateError([err, cleanup], `unpack: ${bundle}: failed, and removing ${staging} failed too`);
    }
    throw err;
  }
  o.onProgress({ kind: 'done', bundle });
  return { bundle, manifestDigest, warnings };
}

/**
 * Open `ref` (`PATH`, `PATH:TAG` or `PATH@DIGEST`; a layout directory, oci-archive or docker save archive), pick
 * the platform, and unpack it into `bundleDir`. The single entry `ct image unpack` calls.
 * @throws OciLayoutError, LayerUnpackError, SpecValidationError, SyscallError.
 */
export async function unpackImage(ref: string, bundleDir: string, options: UnpackOptions = {}): Promise<UnpackResult> {
  const parsed = parseImageRef(ref);
  const source = await openImage(parsed.path, options.tmpDir !== undefined ? { tmpDir: options.tmpDir } : {});
  try {
    const image = resolveImage(source, parsed, options.platform);
    return await unpack(image, bundleDir, options);
  } finally {
    await source.close();
  }
}
