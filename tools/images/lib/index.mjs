// @ct/images-tools: a small deterministic OCI image layout writer for test images and fixtures.
// See README.md beside this file for the API and an example.

export { writeTar } from './tar-writer.mjs';
export { entriesFromDirectory } from './directory-source.mjs';
export { compressLayer, LAYER_MEDIA_TYPES } from './compress.mjs';
export {
  createLayer, writeBlob, writeImage, sha256Digest, hostArchitecture, MEDIA_TYPES, REF_NAME_ANNOTATION,
} from './image-layout.mjs';
export { ImageToolError } from './errors.mjs';
