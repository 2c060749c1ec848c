/**
 * `@ct/oci/unpack`: unpacking an image into a bundle and importing it into the image store, without the registry
 * client and the re-exported spec and store APIs of the main entry: fewer modules to load for `ct image unpack`,
 * `ct image import` and programs that only unpack (Node's module loading is a large part of a small unpack).
 */
export { unpack, unpackImage, type UnpackOptions, type UnpackProgress, type UnpackResult } from './unpack.js';
export { importImage, type ImportOptions, type ImportResult } from './store/store-import.js';
export { importImageStream } from './store/store-import-stream.js';
export { saveImage, type SaveFormat, type SaveOptions, type SaveResult } from './store/store-save.js';
export { describeProgress } from './progress-text.js';
export { removeTree } from './tree-remove.js';
export { parsePlatform } from './platform.js';
