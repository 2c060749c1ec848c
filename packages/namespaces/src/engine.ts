/**
 * @ct/namespaces/engine: what a runtime needs to build and start containers (the spec, the child plan, id maps,
 * runContainer, capabilities, rlimits, seccomp, cgroups, host helpers, the user-namespace probes), without the
 * Guix-shaped wrappers (callWithContainer, excursions, evalInContainer) and `ct doctor`, whose modules a
 * short-lived `ct create`/`ct run` would load for nothing. The package index re-exports all of it.
 *
 * Man pages: namespaces(7), user_namespaces(7), cgroups(7).
 */
export {
  checkUnprivilegedUserNamespace, setgroupsSupported, unprivilegedUserNamespaceSupported, userNamespaceSupported,
  type ProbeOptions, type UserNamespaceVerdict,
} from './probes.js';
export { NAMESPACES, CLONE_FLAGS, namespacesToBitMask, type NamespaceKind } from './namespaces.js';
export { purifyEnvironment } from './environment.js';
export {
  DEFAULT_RELAYED_SIGNALS, hasNamespace, isNewNamespace, withDefaults,
  type BindMount, type CgroupMount, type CommandSpec, type ConsoleSpec, type ContainerSpec, type FdPassing, type FileSystemMount,
  type IdMapEntry, type Mount, type MountAttribute, type MountFlag, type NamespaceSpec, type OverlayRootSpec, type Propagation,
  type RecursiveAttributes, type ResolvedContainerSpec, type ResolvedNamespace, type RootSpec, type StdioSpec, type TmpfsMount,
} from './spec.js';
export { DEFAULT_DEVICES, type DeviceNode } from './device-plan.js';
export {
  formatIdMap, layoutRanges, planIdMaps, planInnerIdMaps, ROOT_DEFAULT_HOST_UIDS,
  type IdMapContext, type IdMapPlan,
} from './id-map.js';
export {
  initializeUserNamespace, writeIdMaps, type IdMapWriteOptions, type InitializeUserNamespaceOptions,
} from './id-map-write.js';
export { parseSubordinateIds, readSubordinateIds, type SubordinateRange } from './subordinate-ids.js';
export { MOUNT_DATA_MAX, mountFileSystems, overlayMountData, WRITABLE_TMP, type MountPlanContext } from './mount-plan.js';
export type { CgroupMountContext } from './cgroup-mount-plan.js';
export { HOST_DEVICES, INIT_PATH_INSIDE } from './dev-plan.js';
export { buildChildPlan, type ChildPlan, type ChildPlanContext } from './child-plan.js';
export {
  describeChildFailure, drivePauses, pauseStep, unexpectedPause, type PauseHandlers, type PauseLabel,
} from './pause-protocol.js';
export type { PlannedStep } from './planned-step.js';
export { initProgramPath } from './init-program.js';
export { checkShippedProgram } from './shipped-program.js';
export {
  runContainer, type ContainerHandle, type ContainerLifecycle, type RunOptions,
} from './run-container.js';
export { enterContainer, type EnteredProcess, type EnterOptions, type EnterProcess } from './enter-container.js';
export type { WaitOptions } from './wait-options.js';
export type { HostOptions } from './host-context.js';
export { installSignalRelay, type SignalRelay, type SignalTarget } from './signal-relay.js';
export { ContainerSpecError, CtError, IdMapError, NamespaceSetupError, SyscallError } from './errors.js';
export type { EnterJoinOptions, Syscalls } from './internal/syscalls-port.js';
export {
  type ClockOffset, type ConfinementSpec, type ResolvedConfinement, type TimeOffsets,
} from './confinement-spec.js';
export {
  CAPABILITY_NAMES, DEFAULT_CAPABILITIES, DEFAULT_CAPABILITY_SETS, capabilityBit, capabilityNames, planCapabilities, resolveCapabilities,
  type CapabilityMasks, type CapabilityName, type CapabilityPlan, type CapabilitySets, type CapabilitySpec,
} from './capabilities.js';
export {
  RLIM_INFINITY, RLIMIT_RESOURCES, clampRlimits, readRlimitHost, validateRlimits,
  type Rlimit, type RlimitHost, type RlimitName,
} from './rlimits.js';
export {
  DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, hostPathKind, type PathKind,
} from './masked-paths.js';
export {
  type SeccompAction, type SeccompArch, type SeccompArg, type SeccompFlag, type SeccompOperator, type SeccompProfile,
  type SeccompRule, validateSeccompProfile,
} from './seccomp/profile.js';
export { compileSeccomp, SECCOMP_RET, type CompiledSeccomp } from './seccomp/compile.js';
export { sessionKeyringPerm } from './confinement-plan.js';
export {
  hasMemoryTuning, neededControllers, neededV2Controllers, NODE_CGROUP_FS, readOwnCgroups, validateCgroupSpec, type ResourceController,
  type CgroupDirs, type CgroupFs, type CgroupResources, type CgroupSpec, type ContainerCgroup, type DeviceRule, type DeviceRuleType,
  type InterfacePriority, type NetworkResources,
} from './cgroups/resources.js';
export { createContainerCgroup, detectCgroupVersion, openContainerCgroup, type CgroupOptions } from './cgroups/cgroup.js';
export { createV1Cgroup, hierarchyControllers, mountedV1Hierarchies, v1PlacementBase, type V1CreateOptions } from './cgroups/v1.js';
export { v1Settings, writeV1Resources } from './cgroups/v1-resources.js';
export {
  createV2Cgroup, ensureDelegated, sharesToWeight, v2PlacementBase, v2Settings, v2Unsupported, writeV2Resources, type V2WriteOptions,
} from './cgroups/v2.js';
export { DeviceEmulator, deviceRuleString } from './cgroups/device-emulator.js';
export { BPF_DEVCG_ACC, BPF_DEVCG_DEV, buildDeviceFilter } from './cgroups/device-filter.js';
export { attachV2DeviceRules, writeV1DeviceRules } from './cgroups/devices-apply.js';
export { cgroupPathComponents } from './cgroups/nesting.js';
export {
  findContainerCgroups, killCgroupProcesses, plannedCgroupDirs, removeContainerCgroups, type CgroupPlacement, type PlannedCgroupDirs,
} from './cgroups/cleanup.js';
export { DEFAULT_DEVICE_RULES, validateDeviceRules, withDefaultDeviceRules, type DefaultDeviceRule } from './cgroups/device-rules.js';
export {
  cgroupFreezeState, freezeCgroup, readCgroupStats, readOomKills, thawCgroup, updateCgroup,
  type CgroupStats, type FreezeOptions, type FreezeState, type MemoryEntryStats, type MemoryStats,
} from './cgroups/state.js';
export { CgroupError } from './errors.js';
export {
  callerTty, findProgram, gatherIdMapContext, mountPoints, presentHostDevices, runningInUserNamespace, statBindSources,
} from './host-context.js';
