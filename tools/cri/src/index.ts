/**
 * @ct/cri-client: a Kubernetes CRI (runtime.v1) client over gRPC, and a private containerd with its CRI plugin,
 * for ct's tests of the kubelet → containerd → runc shim → ct path. See README.md.
 */
export { CriClient, CRI_PROTO, type CallOptions, type ConnectOptions } from './client.js';
export { CriError, type CriErrorCode } from './errors.js';
export { containerdCriConfig, containerdPaths, handlerRoot, tomlTable, type ContainerdConfigOptions, type RuntimeHandler } from './containerd-config.js';
export { writeCniSetup, removeBridge, DEBIAN_CNI_PLUGINS, type CniSetup } from './cni-config.js';
export {
  CriContainerd, CRI_NAMESPACE, processesNaming, mountsUnder,
  type CriContainerdOptions, type LayoutImage, type Leftovers, type CtrRun,
} from './cri-containerd.js';
export { PodCgroup, cgroupMounts, pidAlive, removeCgroupTree, removeStaleCgroupRoots } from './pod-cgroup.js';
export { poll } from './poll.js';
export type * from './types.js';
