/**
 * @ct/oci: read OCI images (layout directories, oci-archive and docker save tarballs), verify them while streaming,
 * and unpack them safely into runtime bundles. The light types and validators are in `@ct/oci/spec`.
 */
export { unpack, unpackImage, withDefaults, type UnpackOptions, type ResolvedUnpackOptions, type UnpackProgress, type UnpackResult } from './unpack.js';
export { openImage, type OpenImageOptions } from './image-open.js';
export { ImageSource, type ImageFormat, type LayoutFiles } from './image-source.js';
export { resolveImage, type ResolvedImage, type ResolvedLayer } from './image-resolve.js';
export { parseImageRef, type ImageRef } from './reference.js';
export { hostPlatform, parsePlatform, formatPlatform, selectPlatform } from './platform.js';
export { unpackLayer, type LayerBlob, type LayerStats, type LayerUnpackOptions } from './layer-unpack.js';
export type { BundleFormat, LayerProgress } from './bundle-build.js';
export { removeTree, type RemoveTreeOptions } from './tree-remove.js';
export { describeProgress } from './progress-text.js';
export type { UserNamespaceOptions } from './userns-run.js';
export { decodeRootlessOwner, encodeRootlessOwner, ROOTLESS_XATTR } from './rootless-owner.js';
export { defaultFsOps, rootlessFsOps, usernsFsOps, type FsOps, type UnpackWarning } from './fs-ops.js';
export * from './config-entry.js';
export { resolveExecUser, resolveContainerUser } from './passwd.js';
export { DigestVerifier, digestOf, type VerifyTarget } from './digest.js';
export { OciLayoutError, LayerUnpackError } from './errors.js';
export { MAX_LONG_HEADER } from './tar-scan.js';
export * from './spec/index.js';

// The image store (issue 10): per-user storage of images, layers in overlay form, container roots.
export * from './store/index.js';

// Registry pulls (issue 11): references as users write them, the distribution API, verified resumable downloads.
export * from './registry/index.js';
