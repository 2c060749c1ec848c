/**
 * `@ct/oci/store`: the image store without the import path (no tar, unpack or registry modules), for what
 * `ct container run` loads on every run: find an image, make and remove a container root. `importImage` is in
 * the main entry.
 */
export { defaultStorageRoot, storePaths, type StoreOptions, type StorePaths } from './store-paths.js';
export type { ImageRecord, LayerRecord, ContainerRecord } from './store-records.js';
export { listImages, inspectImage, matchImage, type ImageDetails } from './store-query.js';
export { removeImage, pruneStore, type RemoveImageOptions, type RemovedItems } from './store-remove.js';
export { storeLeftovers, type StoreLeftovers, type Leftover } from './store-leftovers.js';
export { normalizeImageName } from './image-names.js';
export { tagImage } from './store-tag.js';
export { createContainerRoot, removeContainerRoot, containerDir, type ContainerRoot } from './store-container.js';
export { parseImageRef, type ImageRef } from '../reference.js';
export { resolveImageUser, resolveUserInRoot } from './image-user.js';
export { chownVolume, type ChownVolumeOptions } from './volume-chown.js';
export type { ExecUser } from '../passwd.js';
