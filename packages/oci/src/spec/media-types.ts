/**
 * Media types of OCI image-spec v1.1 and Docker image manifest v2 schema 2, and what each may describe.
 * A document whose media type is unknown, or whose descriptor and body disagree, is refused (image-spec
 * descriptor.md: "implementations MUST NOT attempt to retrieve a blob of an unknown media type" for manifests).
 */

/** OCI image index. */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** OCI image manifest. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** OCI image config. */
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
/** OCI layer, an uncompressed tar. */
export const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
/** OCI layer, a gzip-compressed tar. */
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
/** OCI layer, a zstd-compressed tar. */
export const OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
/** Docker schema 2 manifest list (read as an image index). */
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
/** Docker schema 2 image manifest. */
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
/** Docker image config. */
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
/** Docker layer, a gzip-compressed tar. */
export const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
/** Docker layer, an uncompressed tar. */
export const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';
/** Docker foreign layer: not fetched from the registry; an image using one is refused by `resolveImage` (OCI_MEDIA_TYPE_UNKNOWN). */
export const DOCKER_FOREIGN_LAYER = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';
/** OCI non-distributable layer (deprecated by image-spec 1.1): refused by `resolveImage` as the Docker foreign layer is. */
export const OCI_NONDIST_LAYER_GZIP = 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip';

/** The annotation holding a tag in an OCI layout's index.json. */
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';

/** What a descriptor points at. */
export type MediaKind = 'index' | 'manifest' | 'config' | 'layer';
/** How a layer blob is compressed. */
export type LayerCompression = 'none' | 'gzip' | 'zstd';

const KINDS: ReadonlyMap<string, MediaKind> = new Map<string, MediaKind>([
  [OCI_INDEX, 'index'], [DOCKER_MANIFEST_LIST, 'index'],
  [OCI_MANIFEST, 'manifest'], [DOCKER_MANIFEST, 'manifest'],
  [OCI_CONFIG, 'config'], [DOCKER_CONFIG, 'config'],
  [OCI_LAYER_TAR, 'layer'], [OCI_LAYER_GZIP, 'layer'], [OCI_LAYER_ZSTD, 'layer'],
  [DOCKER_LAYER_GZIP, 'layer'], [DOCKER_LAYER_TAR, 'layer'],
]);

const COMPRESSION: ReadonlyMap<string, LayerCompression> = new Map<string, LayerCompression>([
  [OCI_LAYER_TAR, 'none'], [DOCKER_LAYER_TAR, 'none'],
  [OCI_LAYER_GZIP, 'gzip'], [DOCKER_LAYER_GZIP, 'gzip'],
  [OCI_LAYER_ZSTD, 'zstd'],
]);

/** The kind of a known media type, or undefined for an unknown one. */
export function mediaKind(mediaType: string): MediaKind | undefined {
  return KINDS.get(mediaType);
}

/** The compression of a known layer media type, or undefined when it is not a layer type we can apply. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  return COMPRESSION.get(mediaType);
}

/** True for the Docker schema 2 family (their documents carry `mediaType` in the body). */
export function isDockerMediaType(mediaType: string): boolean {
  return mediaType.startsWith('application/vnd.docker.');
}
