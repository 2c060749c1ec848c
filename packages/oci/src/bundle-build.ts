/**
 * Building a bundle's contents in a staging directory: every layer applied onto `rootfs/` (or, in overlay form,
 * each into `layers/N/` with an empty `rootfs/` to mount them on), then `config.json` from the image config with
 * the user resolved in the new root. The same code runs in the caller (root, or rootless
 * without a user namespace) and in the unpack worker inside a user namespace (unpack-worker.ts); what differs is
 * the FsOps strategy and where the layer blobs come from. In overlay form the first layers may come ready-made
 * (`lowerDirs`: layers the image store holds already), so only the layers above them are applied.
 * Man pages: openat2(2), fchmodat(2).
 */
import { closeSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AT, O, openat } from '@ct/syscalls';
import type { FsOps, UnpackWarning } from './fs-ops.js';
import type { ResolvedLayer } from './image-resolve.js';
import { applyLayer, type LayerBlob, type LayerStats } from './layer-unpack.js';
import { readRootFile, resolveExecUser } from './passwd.js';
import { buildRuntimeConfig, type RuntimeConfigOptions } from './runtime-config.js';
import type { ImageConfig } from './spec/image-spec.js';
import { parseJson, stringifyJson } from './spec/lossless-json.js';
import { validateRuntimeSpec } from './spec/runtime-spec.js';
import { LayerApplier } from './tar-extract.js';
import { stopPoint } from './internal/stop-point.js';
import { opaqueXattrsFor, readMergedFile, type OverlayContext } from './overlay-layer.js';

/** Progress of the layers of an unpack (the events of a bundle build). */
export type LayerProgress =
  | {
    /** A layer is about to be applied. */
    readonly kind: 'layer-start';
    /** The layer's position, 0 for the base layer. */
    readonly index: number;
    /** How many layers the image has. */
    readonly count: number;
    /** The layer blob's digest. */
    readonly digest: string;
    /** The compressed blob's size in bytes. */
    readonly size: bigint;
  }
  | {
    /** Some of the layer was applied (reported every 4 MiB of file contents). */
    readonly kind: 'layer-progress';
    /** The layer's position, 0 for the base layer. */
    readonly index: number;
    /** How many layers the image has. */
    readonly count: number;
    /** The layer blob's digest. */
    readonly digest: string;
    /** Tar entries applied so far. */
    readonly entries: number;
    /** Bytes of file contents written so far. */
    readonly bytes: number;
  }
  | {
    /** The layer was applied and its blob and diff_id verified. */
    readonly kind: 'layer-done';
    /** The layer's position, 0 for the base layer. */
    readonly index: number;
    /** How many layers the image has. */
    readonly count: number;
    /** The layer blob's digest. */
    readonly digest: string;
    /** Tar entries applied. */
    readonly entries: number;
    /** Bytes of file contents written. */
    readonly bytes: number;
  }
  | {
    /** Overlay form with `lowerDirs`: the layer is already unpacked there and is not applied again. */
    readonly kind: 'layer-reused';
    /** The layer's position, 0 for the base layer. */
    readonly index: number;
    /** How many layers the image has. */
    readonly count: number;
    /** The layer blob's digest. */
    readonly digest: string;
  };

/** The image as a bundle build needs it. */
export interface BundleInput {
  readonly layers: readonly ResolvedLayer[];
  readonly config: ImageConfig;
  /** The blob of layer `index`. */
  blob(index: number): LayerBlob;
}

/** The on-disk form: one merged `rootfs/`, or each layer in `layers/N/` in overlayfs form (and an empty rootfs/). */
export type BundleFormat = 'rootfs' | 'overlay';

/** How to build. */
export interface BuildOptions {
  readonly fsOps: FsOps;
  readonly format: BundleFormat;
  readonly forceWalk: boolean;
  readonly maxUncompressedBytes?: number;
  /**
   * Overlay form only: directories that hold the first N layers in overlay form already (bottom first, e.g. the
   * image store's): they are the lower layers of the others, are not applied again and their blobs are not read.
   */
  readonly lowerDirs?: readonly string[];
  /** Set for an unprivileged caller: the user namespace config.json asks for. */
  readonly rootless?: RuntimeConfigOptions['rootless'];
  readonly onProgress: (event: LayerProgress) => void;
  readonly onWarning: (warning: UnpackWarning) => void;
}

/** Apply every layer of `input` into `staging` in the chosen {@link BundleFormat} and write `staging/config.json`. */
export async function buildBundle(staging: string, input: BundleInput, o: BuildOptions): Promise<void> {
  mkdirSync(join(staging, 'rootfs'), { mode: 0o755 });
  if (o.format === 'overlay') mkdirSync(join(staging, 'layers'), { mode: 0o755 });
  const roots: number[] = [];
  const openRoot = (dir: string): number => {
    const fd = openat(AT.FDCWD, dir, O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC);
    roots.push(fd);
    o.fsOps.chmodat(fd, Buffer.from('.'), 0o755);
    return fd;
  };
  const reused = o.lowerDirs ?? [];
  if (reused.length > 0 && o.format !== 'overlay') throw new RangeError('buildBundle: lowerDirs needs the overlay format');
  if (reused.length > input.layers.length) throw new RangeError(`buildBundle: ${reused.length} lower dirs for ${input.layers.length} layers`);
  try {
    const rootFd = openRoot(join(staging, 'rootfs'));
    // Not openRoot: a reused layer is only read, never chmod'ed.
    for (const dir of reused) roots.push(openat(AT.FDCWD, dir, O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC));
    const opaqueXattrs = opaqueXattrsFor(o.fsOps);
    const count = input.layers.length;
    for (const [index, layer] of input.layers.entries()) {
      const { digest, size } = layer.descriptor;
      if (index < reused.length) {
        o.onProgress({ kind: 'layer-reused', index, count, digest });
        continue;
      }
      o.onProgress({ kind: 'layer-start', index, count, digest, size });
      const onProgress = (s: LayerStats): void => o.onProgress({ kind: 'layer-progress', index, count, digest, ...s });
      let target = rootFd;
      let overlay: OverlayContext | undefined;
      if (o.format === 'overlay') {
        overlay = { lowerRoots: roots.slice(1), opaqueXattrs };
        mkdirSync(join(staging, 'layers', String(index)), { mode: 0o755 });
        target = openRoot(join(staging, 'layers', String(index)));
      }
      const options = { fsOps: o.fsOps, forceWalk: o.forceWalk, onWarning: o.onWarning, onProgress,
        ...(overlay !== undefined ? { overlay } : {}),
        ...(o.maxUncompressedBytes !== undefined ? { maxUncompressedBytes: o.maxUncompressedBytes } : {}) };
      stopPoint('unpack:layer-begun');
      const stats = await applyLayer(input.blob(index), layer, new LayerApplier(o.fsOps, target, digest, options), options);
      stopPoint('unpack:layer-applied');
      o.onProgress({ kind: 'layer-done', index, count, digest, ...stats });
    }
    const read = (path: string): string => (o.format === 'overlay'
      ? readMergedFile(o.fsOps, { lowerRoots: roots.slice(1), opaqueXattrs }, path)
      : readRootFile(o.fsOps, rootFd, path, o.forceWalk));
    const user = resolveExecUser(input.config.config?.User ?? '', read('etc/passwd'), read('etc/group'));
    const spec = buildRuntimeConfig(input.config, user, o.rootless !== undefined ? { rootless: o.rootless } : {});
    const text = stringifyJson(spec, 2);
    validateRuntimeSpec(parseJson(text, 'config.json'));
    writeFileSync(join(staging, 'config.json'), `${text}\n`, { mode: 0o644 });
    stopPoint('unpack:config-written');
  } finally {
    for (const fd of roots) closeSync(fd);
  }
}
