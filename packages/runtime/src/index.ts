/**
 * @ct/runtime: the OCI runtime's lifecycle behind runc's command line: the state root and per-container state
 * directory, create/start/run/state/list/kill/delete, `spec` and `features`, and config.json → container spec.
 * The CLI (apps/ct) only parses flags, calls one of these functions and prints the result.
 */
export { createContext, type GlobalOptions, type RuntimeContext } from './context.js';
export { containerState, listContainers, toContainerState, type ContainerState } from './container-state.js';
export { deriveStatus, isInitAlive, type ContainerStatus, type StatusProbe } from './container-status.js';
export { killContainer, type KillOptions } from './container-kill.js';
export { deleteContainer, type DeleteOptions } from './container-delete.js';
export { containerProcesses } from './container-ps.js';
export { processTable } from './container-ps-table.js';
export { createContainer, type CreateOptions } from './container-create.js';
export { startContainer } from './container-start.js';
export { pauseContainer, resumeContainer } from './container-pause.js';
export { updateContainer, type UpdateOptions } from './container-update.js';
export { containerOomKills, containerStats, type ContainerStats, type MemoryEntry } from './container-stats.js';
export { cgroupRootFromEnv, DEFAULT_CGROUP_ROOT, FAKE_DEVICE_PROGRAM_FILE } from './container-cgroup.js';
export { execContainer, type ExecOptions } from './container-exec.js';
export { runContainer, type RunOptions } from './container-run.js';
export { imageBundleDir, runImage, type ImageRunOptions, type PullPolicy, type SeccompChoice, type StorageDriver, type Ulimit } from './image-run.js';
export {
  formatRestartPolicy, parseRestartPolicy, shouldRestart, type ExitFacts, type RestartPolicy, type RestartPolicyName,
} from './container-run-monitor/restart-policy.js';
export {
  listImageContainers, imageContainerLog, stopImageContainer, removeImageContainer, type ImageContainer,
} from './image-containers.js';
export { containerPorts, type PortBinding } from './network/container-ports.js';
export { formatNetworkReport, networkReport, type NetworkModeCheck, type NetworkReport } from './network/network-doctor.js';
export {
  defaultNetworkMode, formatNetworkMode, formatPortLine, formatPortMapping, formatPortsColumn, parseNetworkMode, parsePublish, readNetworkRecord,
  CT_BRIDGE, type NetworkMode, type NetworkRecord, type PortMapping, type PortProtocol, type CniRecord, type HelperRecord,
  type DnsFlags, type HostEntry, type RunNetwork,
} from './network/index.js';
export {
  inspectImageContainer, killImageContainer, waitImageContainer, pruneImageContainers, startImageContainer, restartImageContainer,
  type ImageContainerDetails,
} from './image-container-verbs.js';
export { inspectMounts, type InspectMount, type SpecMount, type UsedVolume } from './image-container-mounts.js';
export { topImageContainer, type TopProcess } from './image-container-top.js';
export { copyContainerFiles } from './container-copy.js';
export { writeImageContainerLog, type LogOptions as ContainerLogOptions, type LogWrite } from './image-container-log.js';
export type { LogStream } from './image-container-log-format.js';
export {
  RuntimeError, ContainerNotFoundError, ConfigError, errnoPhrase, type RuntimeErrorCode,
} from './errors.js';
export { ExecProgramError } from './image-exec.js';
// The errors of the layers below that these functions let through (as `cause` or thrown as is), so a caller can
// test for them without depending on those packages itself.
export { CtError, InvalidPlanError, SyscallError } from '@ct/syscalls/errors';
export { CgroupError, ContainerSpecError, IdMapError, NamespaceSetupError } from '@ct/namespaces/engine';
export { LayerUnpackError, OciLayoutError, RegistryError, SpecValidationError } from '@ct/oci/errors';
export { featuresDocument, type FeaturesDocument } from './features.js';
export { createLogger, formatLogLine, silentLogger, type Logger, type LogLevel, type LogOptions } from './log.js';
export { ctVersion, specVersion, versionText } from './oci-version.js';
export { parseProcStat, readProcStat, type ProcStat } from './proc-stat.js';
export { currentIdentity, isInUserNamespace, isRootless, type ProcessIdentity, type RootlessMode } from './rootless.js';
export { parseSignal } from './signals.js';
export { resolveStateRoot, type StateRoot, type StateRootInputs } from './state-root.js';
export { containerPaths, type ContainerPaths, type ContainerRecord } from './state-store.js';
export { specTemplate, writeSpec, type SpecTemplateOptions } from './spec-template.js';
export { parseMountOptions, supportedMountOptions, type MountOptions } from './config/mount-options.js';
export { readBundleConfig, type BundleConfig } from './config/bundle-config.js';
export { HOOK_KINDS, type Hook, type HookKind, type Hooks } from './hooks.js';
export {
  createVolume, listVolumes, inspectVolume, removeVolumes, pruneVolumes, checkVolumeName, VolumeError,
  type CreateVolumeOptions, type RemoveVolumesOptions, type VolumeDetails, type VolumeErrorCode, type VolumeStoreOptions,
} from './volume-store.js';
