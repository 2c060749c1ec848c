/**
 * `@ct/oci/spec`: the light entry of @ct/oci. Image-spec and runtime-spec types with their validation, media types,
 * digest strings and the lossless JSON parser; no tar, no filesystem, no addon (the runtime's hot path loads it).
 */
export { parseJson, stringifyJson, type JsonValue, type JsonLimits } from './lossless-json.js';
export { SpecValidationError } from './spec-error.js';
export { CtError } from '../internal/ct-error.js';
export { isDigest, parseDigest, type DigestAlgorithm, type ParsedDigest } from './digest-string.js';
export * from './media-types.js';
export {
  validateDescriptor, validateImageIndex, validateImageManifest, validateImageConfig,
  type Platform, type Descriptor, type ImageIndex, type ImageManifest, type ImageConfig, type ImageExecConfig,
} from './image-spec.js';
export {
  validateRuntimeSpec, type RuntimeSpec, type RuntimeProcess, type RuntimeUser, type RuntimeCapabilities,
  type RuntimeRlimit, type RuntimeMount, type RuntimeNamespace, type RuntimeIdMapping, type RuntimeLinux,
  type RuntimeDevice, type RuntimeDeviceRule, type RuntimeResources,
} from './runtime-spec.js';
export {
  validateRuntimeSeccomp, SECCOMP_ACTIONS, SECCOMP_OPERATORS, type RuntimeSeccomp, type RuntimeSeccompSyscall,
  type RuntimeSeccompArg, type SeccompActionName, type SeccompOperatorName,
} from './runtime-seccomp.js';
export { CAPABILITY_NAMES, capabilityNamesOf, isCapabilityName, type CapabilityName } from './capability-names.js';
