/**
 * The /etc/resolv.conf, /etc/hosts and /etc/hostname of a `ct container run` container, as podman 4 writes them:
 * files of ct's (in the bundle) bound read-only over the image's.
 *
 * resolv.conf: the host's search domains, nameservers and options, each replaced by --dns-search, --dns and
 * --dns-option; loopback nameservers (a resolver on the host's lo, which the container cannot reach) are left out
 * unless the mode shares the host's namespace, and when none is left podman's defaults (8.8.8.8, 8.8.4.4) are
 * used; slirp4netns puts its own forwarder (10.0.2.3) first. `none` and `private` get no resolv.conf of ct's
 * (the image's stays: podman binds none either), and --dns* with them are refused as podman refuses them.
 * hosts: the --add-host entries, then the host's /etc/hosts, then host.containers.internal (the host as the
 * container reaches it), then the container's address with its hostname and name.
 * Man pages: resolv.conf(5), hosts(5), hostname(5).
 */
import { isIP } from 'node:net';
import { RuntimeError } from '../errors.js';

/** The DNS flags of `container run`. */
export interface DnsFlags {
  /** --dns: nameservers replacing the host's. */
  readonly dns?: readonly string[] | undefined;
  /** --dns-search: search domains replacing the host's ('.' for none). */
  readonly dnsSearch?: readonly string[] | undefined;
  /** --dns-option: resolver options replacing the host's. */
  readonly dnsOption?: readonly string[] | undefined;
}

/** What resolv.conf holds, parsed. */
export interface ResolvConf {
  readonly nameservers: readonly string[];
  readonly search: readonly string[];
  readonly options: readonly string[];
}

/** podman's nameservers when the host has none the container can use (containers/common's defaults). */
export const DEFAULT_NAMESERVERS: readonly string[] = ['8.8.8.8', '8.8.4.4'];

/** slirp4netns's DNS forwarder (its default --cidr 10.0.2.0/24). */
export const SLIRP_NAMESERVER = '10.0.2.3';

/** Parse resolv.conf text (the last search/domain line wins, as the resolver reads it). */
export function parseResolvConf(text: string): ResolvConf {
  const nameservers: string[] = [];
  let search: string[] = [];
  const options: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...values] = line.split(/\s+/);
    if (key === 'nameserver' && values[0] !== undefined) nameservers.push(values[0]);
    else if (key === 'search' || key === 'domain') search = values;
    else if (key === 'options') options.push(...values);
  }
  return { nameservers, search, options };
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

/**
 * The container's resolv.conf text from the host's and the flags; `sharesHost`: the mode shares the host's
 * network namespace (its loopback resolvers work); `first`: a nameserver of the mode's put first (slirp4netns).
 */
export function resolvConfText(host: ResolvConf, flags: DnsFlags, sharesHost: boolean, first?: string): string {
  let servers = flags.dns !== undefined && flags.dns.length > 0 ? [...flags.dns] : host.nameservers.filter((s) => sharesHost || !isLoopback(s));
  if (flags.dns === undefined || flags.dns.length === 0) {
    if (first !== undefined) servers = [first, ...servers.filter((s) => s !== first)];
    if (servers.length === 0) servers = [...DEFAULT_NAMESERVERS];
  }
  const search = flags.dnsSearch !== undefined && flags.dnsSearch.length > 0 ? flags.dnsSearch.filter((s) => s !== '.') : host.search;
  const options = flags.dnsOption !== undefined && flags.dnsOption.length > 0 ? flags.dnsOption : host.options;
  return [
    ...(search.length > 0 ? [`search ${search.join(' ')}`] : []),
    ...servers.map((s) => `nameserver ${s}`),
    ...(options.length > 0 ? [`options ${options.join(' ')}`] : []),
  ].join('\n') + '\n';
}

/**
 * Check the DNS flags: --dns values are IP addresses.
 * @throws RuntimeError EUSAGE naming the value
 */
export function checkDnsFlags(flags: DnsFlags): void {
  for (const s of flags.dns ?? []) {
    if (isIP(s) === 0) throw new RuntimeError('EUSAGE', `container run: --dns ${s}: not an IP address`);
  }
}

/** One hosts(5) entry. */
export interface HostEntry {
  /** The address. */
  readonly ip: string;
  /** The names it has. */
  readonly names: readonly string[];
}

/**
 * `--add-host NAME:IP` (podman's; the IP may be IPv6, as in `h:::1`) as an entry.
 * @throws RuntimeError EUSAGE naming the value
 */
export function parseAddHost(text: string): HostEntry {
  const colon = text.indexOf(':');
  const name = colon < 0 ? '' : text.slice(0, colon);
  const ip = colon < 0 ? '' : text.slice(colon + 1).replace(/^\[(.*)\]$/, '$1');
  if (name === '' || /\s/.test(name) || isIP(ip) === 0) {
    throw new RuntimeError('EUSAGE', `container run: --add-host ${text}: expected HOST:IP (an IPv4 or IPv6 address)`);
  }
  return { ip, names: [name] };
}

/** Parse hosts(5) text into entries (comments and blank lines dropped). */
export function parseHosts(text: string): HostEntry[] {
  const out: HostEntry[] = [];
  for (const raw of text.split('\n')) {
    const [ip, ...names] = raw.replace(/#.*$/, '').trim().split(/\s+/);
    if (ip !== undefined && ip !== '' && names.length > 0) out.push({ ip, names });
  }
  return out;
}

/** What the hosts file is made of. */
export interface HostsParts {
  /** --add-host entries (first, as podman puts them). */
  readonly extra: readonly HostEntry[];
  /** The host's /etc/hosts entries. */
  readonly base: readonly HostEntry[];
  /** The host's address as the container reaches it (host.containers.internal), if it has one. */
  readonly hostAddress?: string | undefined;
  /** The container's address (127.0.0.1 without an interface of its own). */
  readonly containerIp: string;
  /** The container's hostname and name (one entry, without repeats; none: no entry, as with `host`). */
  readonly names: readonly string[];
}

/** The hosts file text (entries tab-separated, as podman writes them). */
export function hostsText(p: HostsParts): string {
  const entries: HostEntry[] = [...p.extra, ...p.base];
  if (p.hostAddress !== undefined) entries.push({ ip: p.hostAddress, names: ['host.containers.internal'] });
  const names = [...new Set(p.names.filter((n) => n !== ''))];
  if (names.length > 0) entries.push({ ip: p.containerIp, names });
  return entries.map((e) => `${e.ip}\t${e.names.join(' ')}\n`).join('');
}
