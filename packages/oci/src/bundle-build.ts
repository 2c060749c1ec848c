/**
 * Building a bundle's contents in a staging directory: every layer applied onto `rootfs/`, then `config.json` from
 * the image config with the user resolved in the new rootfs. The same code runs in the caller (root, or rootless
 * without a user namespace) and in the unpack worker inside a user namespace (unpack-worker.ts); what differs is
 * the FsOps strategy and where the layer blobs come from.
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

/** Progress of the layers of an unpack (the events of a bundle build). */
export type LayerProgress =
  | { readonly kind: 'layer-start'; readonly index: number; readonly count: number; readonly digest: string; readonly size: bigint }
  | { readonly kind: 'layer-progress'; readonly index: number; readonly count: number; readonly digest: string; readonly entries: number; readonly bytes: number }
  | { readonly kind: 'layer-done'; readonly index: number; readonly count: number; readonly digest: string; readonly entries: number; readonly bytes: number };

/** The image as a bundle build needs it. */
export interface BundleInput {
  readonly layers: readonly ResolvedLayer[];
  readonly config: ImageConfig;
  /** The blob of layer `index`. */
  blob(index: number): LayerBlob;
}

/** How to build. */
export interface BuildOptions {
  readonly fsOps: FsOps;
  readonly forceWalk: boolean;
  readonly maxUncompressedBytes?: number;
  /** Set for an unprivileged caller: the user namespace config.json asks for. */
  readonly rootless?: RuntimeConfigOptions['rootless'];
  readonly onProgress: (event: LayerProgress) => void;
  readonly onWarning: (warning: UnpackWarning) => void;
}

/** Apply every layer of `input` to `staging/rootfs` (made here) and write `staging/config.json`. */
export async function buildBundle(staging: string, input: BundleInput, o: BuildOptions): Promise<void> {
  mkdirSync(join(staging, 'rootfs'), { mode: 0o755 });
  const rootFd = openat(AT.FDCWD, join(staging, 'rootfs'), O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC);
  try {
    o.fsOps.chmodat(rootFd, Buffer.from('.'), 0o755);
    const count = input.layers.length;
    for (const [index, layer] of input.layers.entries()) {
      const { digest, size } = layer.descriptor;
      o.onProgress({ kind: 'layer-start', index, count, digest, size });
      const onProgress = (s: LayerStats): void => o.onProgress({ kind: 'layer-progress', index, count, digest, ...s });
      const options = { fsOps: o.fsOps, forceWalk: o.forceWalk, onWarning: o.onWarning, onProgress,
        ...(o.maxUncompressedBytes !== undefined ? { maxUncompressedBytes: o.maxUncompressedBytes } : {}) };
      const stats = await applyLayer(input.blob(index), layer, new LayerApplier(o.fsOps, rootFd, digest, options), options);
      o.onProgress({ kind: 'layer-done', index, count, digest, ...stats });
    }
    const user = resolveExecUser(input.config.config?.User ?? '',
      readRootFile(o.fsOps, rootFd, 'etc/passwd', o.forceWalk), readRootFile(o.fsOps, rootFd, 'etc/group', o.forceWalk));
    const spec = buildRuntimeConfig(input.config, user, o.rootless !== undefined ? { rootless: o.rootless } : {});
    const text = stringifyJson(spec, 2);
    validateRuntimeSpec(parseJson(text, 'config.json'));
    writeFileSync(join(staging, 'config.json'), `${text}\n`, { mode: 0o644 });
  } finally {
    closeSync(rootFd);
  }
}
