/** The image store of @ct/oci: import, list, inspect, remove, prune, and container roots (store-paths.ts: layout). */
export { defaultStorageRoot, storePaths, type StoreOptions, type StorePaths } from './store-paths.js';
export type { ImageRecord, LayerRecord, ContainerRecord } from './store-records.js';
export { importImage, chainIds, defaultImageName, type ImportOptions, type ImportResult } from './store-import.js';
export { listImages, inspectImage, matchImage, type ImageDetails } from './store-query.js';
export { removeImage, pruneStore, type RemoveImageOptions, type RemovedItems } from './store-remove.js';
export { createContainerRoot, removeContainerRoot, containerDir, type ContainerRoot } from './store-container.js';
