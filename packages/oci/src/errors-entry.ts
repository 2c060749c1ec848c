/**
 * @ct/oci/errors: every error class @ct/oci throws, without loading the rest of the package (the layers above
 * re-export them from their own entries at no load cost).
 */
export { CtError, SyscallError } from './internal/ct-error.js';
export { LayerUnpackError, OciLayoutError } from './errors.js';
export { RegistryError } from './registry/registry-error.js';
export { SpecValidationError } from './spec/spec-error.js';
