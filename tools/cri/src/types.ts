/**
 * The CRI messages of proto/runtime-v1.proto as the client hands them over: field names in camelCase (the proto's
 * snake_case converted by @grpc/proto-loader), enums as their names, bytes as Buffers, and int64 values as decimal
 * strings (nanosecond timestamps do not fit a JS number; `BigInt(s)` reads them). Requests are partial (proto3:
 * an unset field is its zero value); responses have every scalar and repeated field filled with its default, and
 * a nested message that the server left out is `null`.
 */

/** An int64 field as sent: a number (when it is safe) or a decimal string. */
export type Int64In = number | string;
/** An int64 field as received: a decimal string. */
export type Int64Out = string;

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type MountPropagation = 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
export type ProfileType = 'RuntimeDefault' | 'Unconfined' | 'Localhost';
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface KeyValue { key: string; value: string }
export interface Int64Value { value: Int64In }

export interface NamespaceOption {
  network?: NamespaceMode;
  /** POD: the pod's shared pid namespace (shareProcessNamespace: true); CONTAINER: the container's own. */
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
  targetId?: string;
}

export interface SecurityProfile { profileType?: ProfileType; localhostRef?: string }

export interface Capability { addCapabilities?: string[]; dropCapabilities?: string[]; addAmbientCapabilities?: string[] }

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
  selinuxRelabel?: boolean;
  propagation?: MountPropagation;
}

export interface ImageSpec { image: string; annotations?: Record<string, string> }

export interface LinuxContainerResources {
  cpuPeriod?: Int64In;
  cpuQuota?: Int64In;
  cpuShares?: Int64In;
  memoryLimitInBytes?: Int64In;
  oomScoreAdj?: Int64In;
  cpusetCpus?: string;
  cpusetMems?: string;
  unified?: Record<string, string>;
  memorySwapLimitInBytes?: Int64In;
}

export interface PodSandboxMetadata { name: string; uid: string; namespace: string; attempt?: number }

export interface LinuxSandboxSecurityContext {
  namespaceOptions?: NamespaceOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  readonlyRootfs?: boolean;
  supplementalGroups?: Int64In[];
  privileged?: boolean;
  seccomp?: SecurityProfile;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  logDirectory?: string;
  dnsConfig?: { servers?: string[]; searches?: string[]; options?: string[] };
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: {
    /** cgroupfs syntax, e.g. "/kubepods/pod<uid>": each container's cgroup goes below it. */
    cgroupParent?: string;
    securityContext?: LinuxSandboxSecurityContext;
    sysctls?: Record<string, string>;
  };
}

export interface LinuxContainerSecurityContext {
  capabilities?: Capability;
  privileged?: boolean;
  namespaceOptions?: NamespaceOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  runAsUsername?: string;
  readonlyRootfs?: boolean;
  supplementalGroups?: Int64In[];
  noNewPrivs?: boolean;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  seccomp?: SecurityProfile;
}

export interface ContainerConfig {
  metadata: { name: string; attempt?: number };
  image: ImageSpec;
  /** Replaces the image's Entrypoint. */
  command?: string[];
  /** Replaces the image's Cmd. */
  args?: string[];
  workingDir?: string;
  envs?: KeyValue[];
  mounts?: Mount[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Relative to the sandbox's logDirectory. */
  logPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: { resources?: LinuxContainerResources; securityContext?: LinuxContainerSecurityContext };
}

// ---- responses ----

export interface VersionResponse { version: string; runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }

export interface RuntimeCondition { type: string; status: boolean; reason: string; message: string }
export interface StatusResponse { status: { conditions: RuntimeCondition[] } | null; info: Record<string, string> }

export interface ReceivedResources {
  cpuPeriod: Int64Out;
  cpuQuota: Int64Out;
  cpuShares: Int64Out;
  memoryLimitInBytes: Int64Out;
  oomScoreAdj: Int64Out;
  cpusetCpus: string;
  cpusetMems: string;
  unified: Record<string, string>;
  memorySwapLimitInBytes: Int64Out;
}

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  createdAt: Int64Out;
  network: { ip: string; additionalIps: Array<{ ip: string }> } | null;
  linux: { namespaces: { options: Required<NamespaceOption> | null } | null } | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}
/** `info.info` (verbose) is containerd's JSON: pid, netNamespacePath, runtimeSpec, ... */
export interface PodSandboxStatusResponse { status: PodSandboxStatus | null; info: Record<string, string> }

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  createdAt: Int64Out;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: { name: string; attempt: number } | null;
  image: ImageSpec | null;
  imageRef: string;
  state: ContainerState;
  createdAt: Int64Out;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatus {
  id: string;
  metadata: { name: string; attempt: number } | null;
  state: ContainerState;
  /** Nanoseconds since the epoch, as startedAt and finishedAt ("0": not yet). */
  createdAt: Int64Out;
  startedAt: Int64Out;
  finishedAt: Int64Out;
  exitCode: number;
  image: ImageSpec | null;
  imageRef: string;
  /** "Completed" (exit 0), "Error", "OOMKilled". */
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  mounts: Array<Required<Mount>>;
  logPath: string;
  resources: { linux: ReceivedResources | null } | null;
}
/** `info.info` (verbose) is containerd's JSON: pid, runtimeSpec (the OCI config.json sent to the runtime), ... */
export interface ContainerStatusResponse { status: ContainerStatus | null; info: Record<string, string> }

export interface ExecSyncResponse { stdout: Buffer; stderr: Buffer; exitCode: number }

export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: Int64Out;
  uid: { value: Int64Out } | null;
  username: string;
  spec: ImageSpec | null;
  pinned: boolean;
}

/** Every method of the subset: its request and response. */
export interface CriMethods {
  Version: { request: { version?: string }; response: VersionResponse };
  Status: { request: { verbose?: boolean }; response: StatusResponse };
  RunPodSandbox: { request: { config: PodSandboxConfig; runtimeHandler?: string }; response: { podSandboxId: string } };
  StopPodSandbox: { request: { podSandboxId: string }; response: Record<string, never> };
  RemovePodSandbox: { request: { podSandboxId: string }; response: Record<string, never> };
  PodSandboxStatus: { request: { podSandboxId: string; verbose?: boolean }; response: PodSandboxStatusResponse };
  ListPodSandbox: {
    request: { filter?: { id?: string; state?: { state: PodSandboxState }; labelSelector?: Record<string, string> } };
    response: { items: PodSandbox[] };
  };
  CreateContainer: {
    request: { podSandboxId: string; config: ContainerConfig; sandboxConfig: PodSandboxConfig };
    response: { containerId: string };
  };
  StartContainer: { request: { containerId: string }; response: Record<string, never> };
  /** timeout: seconds from the stop signal to SIGKILL. */
  StopContainer: { request: { containerId: string; timeout?: Int64In }; response: Record<string, never> };
  RemoveContainer: { request: { containerId: string }; response: Record<string, never> };
  ListContainers: {
    request: { filter?: { id?: string; state?: { state: ContainerState }; podSandboxId?: string; labelSelector?: Record<string, string> } };
    response: { containers: Container[] };
  };
  ContainerStatus: { request: { containerId: string; verbose?: boolean }; response: ContainerStatusResponse };
  UpdateContainerResources: {
    request: { containerId: string; linux?: LinuxContainerResources; annotations?: Record<string, string> };
    response: Record<string, never>;
  };
  /** timeout: seconds (0: none); the call's own deadline must be longer. */
  ExecSync: { request: { containerId: string; cmd: string[]; timeout?: Int64In }; response: ExecSyncResponse };
  ListImages: { request: { filter?: { image?: ImageSpec } }; response: { images: Image[] } };
  ImageStatus: { request: { image: ImageSpec; verbose?: boolean }; response: { image: Image | null; info: Record<string, string> } };
}

export type CriMethod = keyof CriMethods;
