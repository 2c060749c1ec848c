/**
 * The network part of a `ct container run` config, written with the rest of config.json (image-run-config.ts):
 * the mode chosen (podman's default when none is given) and checked against the flags, the container's
 * /etc/hostname, /etc/hosts and /etc/resolv.conf written into the bundle and bound read-only, linux.namespaces
 * adjusted (`host`: no network namespace; `container:ID`: the other container's, with its resolv.conf and hosts,
 * and rootless its user namespace too), and the network record (network-record.ts) that
 * the attach after create (network-attach.ts) starts from.
 * Man pages: network_namespaces(7), user_namespaces(7), setns(2).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { dirname, join } from 'node:path';
import { RuntimeError } from '../errors.js';
import {
  checkDnsFlags, hostsText, parseAddHost, parseHosts, parseResolvConf, resolvConfText, SLIRP_NAMESERVER, type DnsFlags, type HostEntry,
} from './etc-files.js';
import { hostPrimaryAddress } from './host-address.js';
import { defaultNetworkMode, findProgram, formatNetworkMode, parseNetworkMode, tunUnusable, type NetworkMode } from './network-mode.js';
import { writeNetworkRecord, type NetworkRecord } from './network-record.js';
import { checkPastaPorts } from './pasta.js';
import { EXPOSED_PORTS_ANNOTATION, publishedPorts } from './port-spec.js';

/** The network flags of `container run`. */
export interface NetworkFlags extends DnsFlags {
  /** --network: none, host, private, pasta, slirp4netns, bridge or container:ID (default: podman's, see network-mode.ts). */
  readonly network?: string | undefined;
  /** -p/--publish values. */
  readonly publish?: readonly string[] | undefined;
  /** -P/--publish-all: every port the image exposes, on host ports ct picks. */
  readonly publishAll?: boolean | undefined;
  /** --add-host HOST:IP entries. */
  readonly addHost?: readonly string[] | undefined;
  /** --hostname, when given (`host` takes the host's hostname otherwise, as podman does). */
  readonly hostname?: string | undefined;
}

/** What writeNetworkConfig needs besides the flags. */
export interface NetworkConfigContext {
  readonly bundle: string;
  /** The container's name (id). */
  readonly id: string;
  readonly hostname: string;
  readonly rootless: boolean;
  /** The image config's annotations (its exposed ports for -P). */
  readonly annotations: Readonly<Record<string, string>>;
  /** The init pid of a running container of the same state root (for container:ID). */
  readonly containerPid: (id: string) => number;
  readonly warn: (message: string) => void;
  /** Where the host's files are read (tests). */
  readonly hostFiles?: { readonly resolvConf: string; readonly hosts: string } | undefined;
}

type Json = Record<string, unknown>;

/** What the config takes from the network part. */
export interface NetworkConfig {
  /** Mounts to append (the /etc files). */
  readonly mounts: readonly Json[];
  /** linux.namespaces as the mode wants them. */
  namespaces(current: readonly Json[]): Json[];
  readonly mode: NetworkMode;
  /** The container's hostname: the context's, or with `host` and no --hostname the host's (podman's). */
  readonly hostname: string;
  /** Drop linux.uidMappings/gidMappings: rootless `container:ID` joins that container's user namespace (its maps). */
  readonly dropIdMappings: boolean;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The mode for the flags, checked: its helper installed, bridge as root only. */
function chooseMode(c: NetworkConfigContext, text: string | undefined): NetworkMode {
  if (text === undefined || text === '') {
    const { why, ...mode } = defaultNetworkMode(c.rootless);
    if (why !== undefined) c.warn(`container run: the container has lo only: ${why}`);
    return mode;
  }
  const mode = parseNetworkMode(text);
  if (mode.kind === 'bridge' && c.rootless) {
    throw new RuntimeError('EUSAGE', 'container run: --network bridge: needs root (an unprivileged user has pasta or slirp4netns)');
  }
  if ((mode.kind === 'pasta' || mode.kind === 'slirp4netns') && findProgram(mode.kind) === undefined) {
    throw new RuntimeError('EUSAGE', `container run: --network ${mode.kind}: ${mode.kind} is not installed (apt-get install ${mode.kind === 'pasta' ? 'passt' : 'slirp4netns'})`);
  }
  const unusable = mode.kind === 'pasta' || mode.kind === 'slirp4netns' ? tunUnusable() : undefined;
  if (unusable !== undefined) throw new RuntimeError('EUSAGE', `container run: --network ${mode.kind}: ${unusable}`);
  return mode;
}

/** podman's refusals: ports and DNS settings need a network ct configures. */
function checkFlags(mode: NetworkMode, flags: NetworkFlags): void {
  const publishes = (flags.publish ?? []).length > 0 || flags.publishAll === true;
  const own = mode.kind === 'pasta' || mode.kind === 'slirp4netns' || mode.kind === 'bridge';
  if (publishes && !own) {
    throw new RuntimeError('EUSAGE', `container run: -p/-P: the network mode ${formatNetworkMode(mode)} publishes no ports (use bridge, pasta or slirp4netns)`);
  }
  if (mode.kind === 'container' && (flags.addHost ?? []).length > 0) {
    throw new RuntimeError('EUSAGE', `container run: conflicting options: --add-host and the network mode ${formatNetworkMode(mode)} (the hosts file is that container's)`);
  }
  const dns = [flags.dns, flags.dnsSearch, flags.dnsOption].some((v) => v !== undefined && v.length > 0);
  if (dns && (mode.kind === 'none' || mode.kind === 'container')) {
    throw new RuntimeError('EUSAGE', `container run: conflicting options: --dns* and the network mode ${formatNetworkMode(mode)}`);
  }
  checkDnsFlags(flags);
}

/**
 * The address the container reaches the host at, by mode (host.containers.internal); none where there is none to
 * give. slirp4netns: its gateway 10.0.2.2 is the host's loopback, out of reach unless `hostLoopback`; podman 4.3
 * then writes the host's own address, which slirp4netns reaches through its NAT.
 */
export function hostAddressFor(mode: NetworkMode, hostLoopback = false): string | undefined {
  switch (mode.kind) {
    case 'slirp4netns': return hostLoopback ? '10.0.2.2' : hostPrimaryAddress();
    // pasta gives the container the host's own address: the host is not reachable under a name of its own
    case 'pasta': case 'container': case 'bridge': return undefined; // bridge: its gateway, written at attach
    default: return hostPrimaryAddress();
  }
}

/** The container's address before the attach knows it (slirp4netns's is fixed; pasta's is the host's). */
export function initialAddress(mode: NetworkMode): string {
  if (mode.kind === 'slirp4netns') return '10.0.2.100';
  if (mode.kind === 'pasta') return hostPrimaryAddress() ?? '127.0.0.1';
  return '127.0.0.1';
}

/** Write the /etc files and the network record into the bundle; returns what the config takes from them. */
export function writeNetworkConfig(c: NetworkConfigContext, flags: NetworkFlags): NetworkConfig {
  const mode = chooseMode(c, flags.network);
  checkFlags(mode, flags);
  const ports = publishedPorts(flags.publish ?? [], flags.publishAll === true, c.annotations[EXPOSED_PORTS_ANNOTATION]);
  if (mode.kind === 'pasta') checkPastaPorts(ports);
  const hostLoopback = mode.kind === 'slirp4netns' && ports.some((p) => p.protocol === 'udp');
  if (hostLoopback) c.warn('container run: --network slirp4netns with UDP published: the container can reach the host\'s loopback (127.0.0.1) services (slirp4netns answers loopback clients over UDP only then)');
  const extra: HostEntry[] = (flags.addHost ?? []).map(parseAddHost);
  const joined = mode.kind === 'container' ? c.containerPid(mode.id) : undefined;
  const hostFiles = c.hostFiles ?? { resolvConf: '/etc/resolv.conf', hosts: '/etc/hosts' };
  const base = parseHosts(readText(hostFiles.hosts));
  // podman: the host network keeps the host's hostname and names no container in /etc/hosts
  const hostname = mode.kind === 'host' && flags.hostname === undefined ? osHostname() : c.hostname;
  const names = mode.kind === 'host' ? [] : [hostname, c.id];
  writeFileSync(join(c.bundle, 'hostname'), `${hostname}\n`);
  writeFileSync(join(c.bundle, 'hosts'), hostsText({ extra, base, hostAddress: hostAddressFor(mode, hostLoopback), containerIp: initialAddress(mode), names }));
  // container:ID: the other container's resolv.conf and hosts (in its bundle when `container run` made it: `joined`
  // checked the id), as podman binds them for containers sharing a network namespace (a pod)
  const other = mode.kind === 'container' ? join(dirname(c.bundle), mode.id) : undefined;
  const source = (name: string): string => (other !== undefined && name !== 'hostname' && existsSync(join(other, name)) ? join(other, name) : join(c.bundle, name));
  // none and private have no resolver to reach: podman binds no resolv.conf then
  const resolv = mode.kind === 'container' ? source('resolv.conf') !== join(c.bundle, 'resolv.conf') : mode.kind !== 'none' && mode.kind !== 'private';
  if (resolv && mode.kind !== 'container') {
    const host = parseResolvConf(readText(hostFiles.resolvConf));
    writeFileSync(join(c.bundle, 'resolv.conf'), resolvConfText(host, flags, mode.kind === 'host', mode.kind === 'slirp4netns' ? SLIRP_NAMESERVER : undefined));
  }
  const record: NetworkRecord = {
    mode, ports, rootless: c.rootless, ...(hostLoopback ? { hostLoopback } : {}), dns: { dns: flags.dns, dnsSearch: flags.dnsSearch, dnsOption: flags.dnsOption }, hosts: { extra, base, names },
  };
  writeNetworkRecord(c.bundle, record);
  const etc = (name: string): Json => ({ destination: `/etc/${name}`, type: 'bind', source: source(name), options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] });
  return {
    mode,
    hostname,
    mounts: [etc('hosts'), etc('hostname'), ...(resolv ? [etc('resolv.conf')] : [])],
    // rootless, only the owner of the other's network namespace may join it: its user namespace is joined first
    // and the container's other namespaces are made inside it (the launch unshares them after that setns)
    dropIdMappings: joined !== undefined && c.rootless,
    namespaces(current) {
      if (mode.kind === 'host') return current.filter((n) => n['type'] !== 'network');
      if (joined === undefined) return [...current];
      const path = (type: string): string => `/proc/${joined}/ns/${type === 'network' ? 'net' : 'user'}`;
      return current.map((n) => (n['type'] === 'network' || (c.rootless && n['type'] === 'user') ? { type: n['type'], path: path(n['type'] as string) } : n));
    },
  };
}
