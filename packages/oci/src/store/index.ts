/** The image store of @ct/oci: import, list, inspect, remove, prune, and container roots (store-paths.ts: layout). */
export {
  defaultStorageRoot, storePaths, listImages, inspectImage, matchImage, removeImage, pruneStore,
  createContainerRoot, removeContainerRoot, containerDir,
  type StoreOptions, type StorePaths, type ImageRecord, type LayerRecord, type ContainerRecord, type ImageDetails,
  type RemoveImageOptions, type RemovedItems, type ContainerRoot,
  resolveImageUser, resolveUserInRoot, chownVolume, type ChownVolumeOptions,
  storeLeftovers, normalizeImageName, tagImage, type StoreLeftovers, type Leftover,
} from './light.js';
export { importImage, chainIds, defaultImageName, type ImportOptions, type ImportResult } from './store-import.js';
export { importImageStream } from './store-import-stream.js';
export { saveImage, type SaveFormat, type SaveOptions, type SaveResult } from './store-save.js';
