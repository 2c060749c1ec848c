/**
 * The networks of `ct container run` (issue 22): modes (network-mode.ts), published ports (port-spec.ts), the
 * container's /etc files (etc-files.ts), the config part (network-config.ts), the attach after create and the
 * detach (network-attach.ts) through pasta, slirp4netns or ct's CNI bridge, and the record in the bundle.
 */
export {
  defaultNetworkMode, findProgram, formatNetworkMode, modeNeedsAttach, parseNetworkMode, NETWORK_MODE_NAMES,
  type NetworkHelper, type NetworkMode, type NetworkModeKind,
} from './network-mode.js';
export {
  exposedPortMappings, formatPortLine, formatPortMapping, formatPortsColumn, parsePublish, publishedPorts, EXPOSED_PORTS_ANNOTATION,
  type PortMapping, type PortProtocol,
} from './port-spec.js';
export { parseAddHost, parseResolvConf, resolvConfText, hostsText, type DnsFlags, type HostEntry, type ResolvConf } from './etc-files.js';
export { writeNetworkConfig, type NetworkConfig, type NetworkConfigContext, type NetworkFlags } from './network-config.js';
export { detachNetwork, runNetworkOf, RunNetwork } from './network-attach.js';
export { readNetworkRecord, type NetworkRecord, type HelperRecord, type CniRecord } from './network-record.js';
export { CT_BRIDGE } from './bridge-cni.js';
