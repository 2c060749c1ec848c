/**
 * `unpack(image, bundleDir)`: an OCI runtime bundle (`rootfs/` and `config.json`) made the way umoci unpack makes
 * it, and `unpackImage(ref, bundleDir)` for the CLI (`ct image unpack`). Everything is built in a staging directory
 * beside the bundle (`.NAME.ct-unpack-XXXXXX`) and renamed into place only after every layer verified, so nothing
 * half-unpacked ever looks like a bundle; on failure the staging directory is removed.
 * Three ways, chosen once: root unpacks in this process with every owner and device; an unprivileged caller
 * with a user namespace gets the tree that namespace's root would make (its subuid range as owners): for the merged
 * rootfs written in this process and finished by a small worker in the namespace (deferred-owners.ts,
 * owner-fix.ts), for the overlay form by a worker inside it (userns-unpack.ts); when user namespaces are
 * unavailable or not wanted, in this process recording owners in user.rootlesscontainers.
 * Man pages: rename(2), openat2(2), user_namespaces(7).
 */
import { closeSync, mkdtempSync, openSync, readdirSync, realpathSync, renameSync, rmdirSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { AT, LOCK, O, flockTry, openat } from '@ct/syscalls';
import { buildBundle, type BuildOptions, type BundleFormat, type LayerProgress } from './bundle-build.js';
import { DeferredOwners } from './deferred-owners.js';
import { OciLayoutError } from './errors.js';
import { defaultFsOps, rootlessFsOps, type FsOps, type UnpackWarning } from './fs-ops.js';
import { openImage } from './image-open.js';
import { resolveImage, type ResolvedImage } from './image-resolve.js';
import { sourceBlob } from './layer-unpack.js';
import { parseImageRef } from './reference.js';
import type { Platform } from './spec/image-spec.js';
import { removeTree } from './tree-remove.js';
import { buildBundleInUserNamespace } from './userns-unpack.js';
import { applyOwnerNotes } from './owner-fix.js';
import { userNamespaceAvailable, userNamespaceMappings } from './userns-run.js';
import { removeEntry } from './whiteout.js';

/** Progress of an unpack, for a CLI to show. */
export type UnpackProgress =
  | {
    /** The image was resolved; unpacking starts. */
    readonly kind: 'resolved';
    /** Digest of the chosen manifest. */
    readonly manifestDigest: string;
    /** How many layers it has. */
    readonly layerCount: number;
  }
  | LayerProgress
  | {
    /** Every layer is applied and config.json is written (in the staging directory, renamed next). */
    readonly kind: 'config-written';
    /** Where config.json will be once the bundle is in place. */
    readonly path: string;
  }
  | {
    /** The bundle is in place. */
    readonly kind: 'done';
    /** The bundle directory (absolute). */
    readonly bundle: string;
  };

/** Options of {@link unpack} and {@link unpackImage}. */
export interface UnpackOptions {
  /** Unprivileged mode (owners and device nodes as the caller may); default: true unless running as root. */
  readonly rootless?: boolean;
  /**
   * Rootless only: unpack from a worker inside a user namespace mapping the caller and its subuid range, so files
   * get the owners the container sees (default: when unprivileged user namespaces work).
   */
  readonly userNamespace?: boolean;
  /** With `userNamespace`: map the caller's /etc/subuid and /etc/subgid ranges (default true); false = single id. */
  readonly subordinateIds?: boolean;
  /** The file operations strategy of an in-process unpack; default from `rootless`. */
  readonly fsOps?: FsOps;
  /** Resolve paths with the O_NOFOLLOW walk instead of openat2 RESOLVE_IN_ROOT (both are confined). */
  readonly forceWalk?: boolean;
  /**
   * 'rootfs' (default): one merged rootfs/. 'overlay': each layer in layers/N/ in overlayfs form (whiteout devices,
   * opaque xattrs) with an empty rootfs/ to mount `lowerdir=layers/N:...:layers/0` on (see `layerDirs`).
   */
  readonly format?: BundleFormat;
  /**
   * Overlay format only: directories holding the image's first N layers in overlay form already (bottom first;
   * the image store's `layers/<chainid>/diff`). They serve as the lower layers, are not unpacked again and their
   * blobs are not read; the bundle's `layers/` holds only layers N and up.
   */
  readonly lowerLayers?: readonly string[];
  /** Refuse a layer whose uncompressed tar stream is larger than this (OCI_LAYER_TOO_LARGE); default no limit. */
  readonly maxUncompressedBytes?: number;
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
  /** {@link UnpackOptions.rootless}, default: the effective uid is not 0. */
  readonly rootless: boolean;
  /** 'auto': when the probe of @ct/namespaces says unprivileged user namespaces work (checked by unpack). */
  readonly userNamespace: boolean | 'auto';
  /** {@link UnpackOptions.subordinateIds}, default true. */
  readonly subordinateIds: boolean;
  /** {@link UnpackOptions.fsOps}, default `rootlessFsOps` when rootless, else `defaultFsOps`. */
  readonly fsOps: FsOps;
  /** {@link UnpackOptions.forceWalk}, default false. */
  readonly forceWalk: boolean;
  /** {@link UnpackOptions.format}, default 'rootfs'. */
  readonly format: BundleFormat;
  /** {@link UnpackOptions.lowerLayers}, default none. */
  readonly lowerLayers: readonly string[];
  /** {@link UnpackOptions.maxUncompressedBytes}; absent: no limit. */
  readonly maxUncompressedBytes?: number;
  /** {@link UnpackOptions.platform}; absent: the host's. */
  readonly platform?: Platform;
  /** {@link UnpackOptions.onProgress}, default a no-op. */
  readonly onProgress: (event: UnpackProgress) => void;
  /** {@link UnpackOptions.onWarning}, default a no-op. */
  readonly onWarning: (warning: UnpackWarning) => void;
  /** {@link UnpackOptions.tmpDir}; absent: os.tmpdir(). */
  readonly tmpDir?: string;
}

/** Fill in the defaults of {@link UnpackOptions}. */
export function withDefaults(o: UnpackOptions = {}): ResolvedUnpackOptions {
  const rootless = o.rootless ?? process.geteuid?.() !== 0;
  const userNamespace = rootless && o.fsOps === undefined && (o.userNamespace ?? 'auto');
  return {
    rootless,
    userNamespace,
    subordinateIds: o.subordinateIds ?? true,
    fsOps: o.fsOps ?? (rootless ? rootlessFsOps : defaultFsOps),
    forceWalk: o.forceWalk ?? false,
    format: o.format ?? 'rootfs',
    lowerLayers: o.lowerLayers ?? [],
    onProgress: o.onProgress ?? (() => {}),
    onWarning: o.onWarning ?? (() => {}),
    ...(o.maxUncompressedBytes !== undefined ? { maxUncompressedBytes: o.maxUncompressedBytes } : {}),
    ...(o.platform !== undefined ? { platform: o.platform } : {}),
    ...(o.tmpDir !== undefined ? { tmpDir: o.tmpDir } : {}),
  };
}

/** What {@link unpack} made. */
export interface UnpackResult {
  /** The bundle directory, absolute: `config.json` and `rootfs/` (and `layers/` in overlay form). */
  readonly bundle: string;
  /** Digest of the manifest that was unpacked. */
  readonly manifestDigest: string;
  /** How it was made: 'root', 'userns' (worker in a user namespace) or 'rootless' (in process, owners recorded). */
  readonly mode: 'root' | 'userns' | 'rootless';
  /** Overlay form: the layer directories, bottom first (overlayfs wants `lowerdir` top first); reused ones as given. */
  readonly layerDirs?: readonly string[];
  /** Everything skipped on purpose, in order (the same as given to `onWarning`). */
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

async function removeStaging(o: ResolvedUnpackOptions & { userNamespace: boolean }, staging: string): Promise<void> {
  if (o.userNamespace) {
    await removeTree(staging, { userNamespace: true, subordinateIds: o.subordinateIds });
    return;
  }
  const parent = openat(AT.FDCWD, dirname(staging), O.PATH | O.DIRECTORY | O.CLOEXEC);
  try {
    removeEntry(o.fsOps, parent, Buffer.from(basename(staging)));
  } finally {
    closeSync(parent);
  }
}

/** The staging dirs of unpacks into `bundle` are named this, and a random suffix, beside it. */
function stagingPrefix(bundle: string): string {
  return `.${basename(bundle)}.ct-unpack-`;
}

/**
 * Remove the staging dirs an unpack into `bundle` killed half-way left beside it (its own, `ours`, aside): those
 * no live unpack holds the flock of. Without this each killed `ct image unpack` left one for good.
 */
async function removeStaleStaging(o: ResolvedUnpackOptions & { userNamespace: boolean }, bundle: string, ours: string): Promise<void> {
  const prefix = stagingPrefix(bundle);
  for (const name of readdirSync(dirname(bundle))) {
    const dir = join(dirname(bundle), name);
    if (!name.startsWith(prefix) || dir === ours) continue;
    let fd: number;
    try {
      fd = openSync(dir, 'r');
    } catch {
      continue; // removed meanwhile, or not a directory we may read: not ours to judge
    }
    try {
      if (!flockTry(fd, LOCK.EX)) continue;
      await removeStaging(o, dir);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * The unprivileged merged-rootfs unpack with a user namespace (issue 21): written in this process by the caller,
 * which that namespace sees as root; owners, setuid/setgid modes, file capabilities and restrictive directory
 * modes are noted (deferred-owners.ts) and set at the end, by one small worker in the namespace when some need
 * namespace root (owner-fix.ts). The tree is the one the unpack worker makes, without a second Node process for
 * the whole unpack. config.json is written before the end pass: it reads /etc/passwd while the caller still
 * owns every directory.
 */
async function buildInProcessAsNamespaceRoot(staging: string, image: ResolvedImage,
  o: Omit<BuildOptions, 'rootless' | 'fsOps'> & { subordinateIds: boolean }): Promise<void> {
  const maps = await userNamespaceMappings({ subordinateIds: o.subordinateIds });
  const rootfs = join(realpathSync(staging), 'rootfs');
  const owners = new DeferredOwners(Buffer.from(rootfs), maps.uidMappings, maps.gidMappings);
  const ids = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
  await buildBundle(staging, {
    layers: image.layers, config: image.config, blob: (i) => sourceBlob(image.source, image.layers[i]!),
  }, { ...o, fsOps: owners.fsOps, rootless: { ...ids, ...maps } });
  await applyOwnerNotes(owners, rootfs, { forceWalk: o.forceWalk, subordinateIds: o.subordinateIds });
}

/**
 * Unpack a resolved image into the bundle directory `bundleDir` (which must not exist or be empty).
 * @throws OciLayoutError (OCI_BUNDLE_EXISTS, blob or diff_id mismatch), LayerUnpackError (OCI_LAYER_TOO_LARGE, a
 * refused or failed entry), SyscallError; unprivileged: NamespaceSetupError, CtError OCI_WORKER_FAILED.
 */
export async function unpack(image: ResolvedImage, bundleDir: string, options: UnpackOptions = {}): Promise<UnpackResult> {
  const filled = withDefaults(options);
  const o = { ...filled, userNamespace: filled.userNamespace === 'auto' ? await userNamespaceAvailable() : filled.userNamespace };
  const bundle = resolve(bundleDir);
  const manifestDigest = image.manifestDescriptor.digest;
  const existed = checkBundleFree(bundle, manifestDigest);
  const warnings: UnpackWarning[] = [];
  const onWarning = (w: UnpackWarning): void => { warnings.push(w); o.onWarning(w); };
  o.onProgress({ kind: 'resolved', manifestDigest, layerCount: image.layers.length });
  mkdirSync(dirname(bundle), { recursive: true, mode: 0o755 });
  const staging = mkdtempSync(join(dirname(bundle), stagingPrefix(bundle)));
  // held (flock) while this unpack runs: an unpack killed half-way leaves its staging unlocked (issue 24)
  const held = openSync(staging, 'r');
  flockTry(held, LOCK.EX);
  const common = { format: o.format, forceWalk: o.forceWalk, onProgress: o.onProgress, onWarning,
    ...(o.lowerLayers.length > 0 ? { lowerDirs: o.lowerLayers.map((d) => resolve(d)) } : {}),
    ...(o.maxUncompressedBytes !== undefined ? { maxUncompressedBytes: o.maxUncompressedBytes } : {}) };
  try {
    await removeStaleStaging(o, bundle, staging);
    // Only for a caller without privileges: root asking for the rootless form (tests, `rootless: true`) could mknod
    // and set xattrs the namespace may not, so it keeps the worker, which runs with the namespace's limits.
    if (o.userNamespace && o.format === 'rootfs' && process.geteuid?.() !== 0) {
      await buildInProcessAsNamespaceRoot(staging, image, { ...common, subordinateIds: o.subordinateIds });
    } else if (o.userNamespace) {
      await buildBundleInUserNamespace(staging, image, { ...common, subordinateIds: o.subordinateIds });
    } else {
      const ids = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
      await buildBundle(staging, {
        layers: image.layers, config: image.config, blob: (i) => sourceBlob(image.source, image.layers[i]!),
      }, { ...common, fsOps: o.fsOps, ...(o.rootless ? { rootless: ids } : {}) });
    }
    o.onProgress({ kind: 'config-written', path: join(bundle, 'config.json') });
    if (existed) rmdirSync(bundle);
    renameSync(staging, bundle);
  } catch (err) {
    try {
      await removeStaging(o, staging);
    } catch (cleanup) {
      throw new AggregateError([err, cleanup], `unpack: ${bundle}: failed, and removing ${staging} failed too`, { cause: cleanup });
    }
    throw err;
  } finally {
    closeSync(held);
  }
  o.onProgress({ kind: 'done', bundle });
  const layerDirs = o.format === 'overlay'
    ? { layerDirs: image.layers.map((_, i) => (i < o.lowerLayers.length ? resolve(o.lowerLayers[i]!) : join(bundle, 'layers', String(i)))) }
    : {};
  return { bundle, manifestDigest, mode: o.userNamespace ? 'userns' : o.rootless ? 'rootless' : 'root', ...layerDirs, warnings };
}

/**
 * Open `ref` (`PATH`, `PATH:TAG` or `PATH@DIGEST`; a layout directory, oci-archive or docker save archive), pick
 * the platform, and unpack it into `bundleDir`. The single entry `ct image unpack` calls.
 * @throws OciLayoutError, LayerUnpackError, SpecValidationError, SyscallError (and see {@link unpack}).
 * @example
 * ```ts
 * import { describeProgress, unpackImage } from '@ct/oci';
 * // bundle/config.json and bundle/rootfs/, as `umoci unpack` makes them (rootless when not root)
 * const result = await unpackImage('./busybox:latest', './bundle', {
 *   onProgress: (e) => { const line = describeProgress(e); if (line !== undefined) console.error(line); },
 * });
 * console.log(result.mode, result.warnings);
 * ```
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
