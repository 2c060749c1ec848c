/**
 * `@ct/oci/config`: a container's runtime config as `podman run` makes it, without the addon, tar or registry
 * modules (what `ct container run` loads on every run): the image config → config.json conversion, podman's
 * defaults (capabilities, seccomp profile, masked and read-only paths) and the options of its flags
 * (`--cap-add/--cap-drop`, `--privileged`, `--security-opt seccomp=|no-new-privileges`, `--read-only`,
 * `--read-only-tmpfs`, `--tmpfs`, `-v`). User resolution in an image and `-v ...:U` chowns are in `@ct/oci/store`.
 */
export { buildRuntimeConfig, mergeEnv, type IdMapping, type RuntimeConfigOptions } from './runtime-config.js';
export {
  applyContainerOptions, checkArgStrings, volumesToChown, MAX_ARG_STRLEN, PODMAN_MASKED_PATHS, PODMAN_READONLY_PATHS,
  type ContainerOptions, type SeccompOption,
} from './container/container-options.js';
export { containerCapabilities, normalizeCapability, processBoundingSet, PODMAN_DEFAULT_CAPABILITIES, type CapabilityRequest } from './container/capabilities.js';
export {
  defaultSeccompProfile, parseSeccompProfile, seccompForContainer,
  type SeccompProfile, type SeccompProfileRule, type SeccompFilter, type SeccompTarget,
} from './container/seccomp-profile.js';
export { parseVolume, parseTmpfs, readOnlyTmpfsMounts, sourceMountOptions, type VolumeMount } from './container/mount-options.js';
export { hostDevices, hostDeviceBinds } from './container/host-devices.js';
export type { ExecUser } from './passwd.js';
export { CtError } from './internal/ct-error.js';
export { SpecValidationError } from './spec/spec-error.js';
