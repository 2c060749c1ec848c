/**
 * Published ports: podman's `-p/--publish [IP:][HOST:]CONTAINER[/PROTOCOL]` (ranges as `8000-8002:80-82`, an
 * IPv6 address in brackets, `IP::CONTAINER` or a bare CONTAINER for a host port ct picks), `-P/--publish-all`
 * from the image's exposed ports (the `org.opencontainers.image.exposedPorts` annotation of its runtime config:
 * `80/tcp,53/udp`), each range expanded to one mapping per port, and the text `ct container port` and `ps` show.
 */
import { isIP } from 'node:net';
import { RuntimeError } from '../errors.js';

/** The protocols a port is published for. */
export type PortProtocol = 'tcp' | 'udp';

/** One published port. */
export interface PortMapping {
  /** The host address it is bound to ('' for every address). */
  readonly hostIp: string;
  /** The host port; 0 until ct picks one (a spec without HOST, or -P). */
  readonly hostPort: number;
  /** The port inside the container. */
  readonly containerPort: number;
  /** tcp or udp. */
  readonly protocol: PortProtocol;
}

/** The annotation the image's runtime config carries its ExposedPorts in (image-spec's conversion). */
export const EXPOSED_PORTS_ANNOTATION = 'org.opencontainers.image.exposedPorts';

function usage(spec: string, why: string): RuntimeError {
  return new RuntimeError('EUSAGE', `container run: -p ${spec}: ${why} (expected [IP:][HOST:]CONTAINER[/tcp|udp], ports 1-65535, ranges as 8000-8001)`);
}

/** `N` or `N-M` as [first, last]. */
function parseRange(text: string, spec: string): [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (m === null) throw usage(spec, `${JSON.stringify(text)} is not a port or a range`);
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  if (first < 1 || last > 65535 || last < first) throw usage(spec, `${text}: not a port range within 1-65535`);
  return [first, last];
}

/** Split `[IP:][HOST:]CONTAINER` into its parts (IPv6 in brackets). */
function splitSpec(body: string, spec: string): { ip: string; host: string; container: string } {
  let ip = '';
  let rest = body;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']:');
    if (close < 0) throw usage(spec, 'an IPv6 address must be followed by ]:');
    ip = rest.slice(1, close);
    rest = rest.slice(close + 2);
    const parts = rest.split(':');
    if (parts.length !== 2) throw usage(spec, 'expected [IPv6]:HOST:CONTAINER');
    return { ip, host: parts[0]!, container: parts[1]! };
  }
  const parts = rest.split(':');
  if (parts.length === 1) return { ip, host: '', container: parts[0]! };
  if (parts.length === 2) return { ip, host: parts[0]!, container: parts[1]! };
  if (parts.length === 3) return { ip: parts[0]!, host: parts[1]!, container: parts[2]! };
  throw usage(spec, 'too many colons');
}

/**
 * One `-p` value as its mappings (one per port; host port 0 where ct picks it).
 * @throws RuntimeError EUSAGE naming the value and what is wrong with it
 */
export function parsePublish(spec: string): PortMapping[] {
  const slash = spec.lastIndexOf('/');
  const body = slash >= 0 && !spec.slice(slash).includes(':') ? spec.slice(0, slash) : spec;
  const proto = body === spec ? 'tcp' : spec.slice(slash + 1);
  if (proto !== 'tcp' && proto !== 'udp') throw usage(spec, `protocol ${JSON.stringify(proto)}: ct publishes tcp and udp`);
  const { ip, host, container } = splitSpec(body, spec);
  if (ip !== '' && isIP(ip) === 0) throw usage(spec, `${JSON.stringify(ip)} is not an IP address`);
  const [cFirst, cLast] = parseRange(container, spec);
  const count = cLast - cFirst + 1;
  let hFirst = 0;
  if (host !== '') {
    const [first, last] = parseRange(host, spec);
    if (last - first + 1 !== count) throw usage(spec, `the host range ${host} and the container range ${container} differ in length`);
    hFirst = first;
  }
  const out: PortMapping[] = [];
  for (let i = 0; i < count; i++) {
    out.push({ hostIp: ip, hostPort: hFirst === 0 ? 0 : hFirst + i, containerPort: cFirst + i, protocol: proto });
  }
  return out;
}

/** The image's exposed ports (`80/tcp,53/udp`; a bare port is tcp), each for a host port ct picks (-P). */
export function exposedPortMappings(annotation: string | undefined): PortMapping[] {
  const out: PortMapping[] = [];
  for (const entry of (annotation ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [port, proto = 'tcp'] = entry.split('/');
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535 || (proto !== 'tcp' && proto !== 'udp')) continue; // sctp and oddities: not published
    out.push({ hostIp: '', hostPort: 0, containerPort: n, protocol: proto });
  }
  return out;
}

/**
 * All the mappings of a run: the `-p` values, then (with -P) each exposed port no `-p` publishes already.
 * @throws RuntimeError EUSAGE for a bad value, or one host port published twice
 */
export function publishedPorts(specs: readonly string[], publishAll: boolean, exposed: string | undefined): PortMapping[] {
  const out = specs.flatMap(parsePublish);
  if (publishAll) {
    for (const e of exposedPortMappings(exposed)) {
      if (!out.some((m) => m.containerPort === e.containerPort && m.protocol === e.protocol)) out.push(e);
    }
  }
  const seen = new Set<string>();
  for (const m of out) {
    if (m.hostPort === 0) continue;
    const key = `${m.hostIp}:${m.hostPort}/${m.protocol}`;
    if (seen.has(key)) throw new RuntimeError('EUSAGE', `container run: -p: host port ${m.hostPort}/${m.protocol} is published twice`);
    seen.add(key);
  }
  return out;
}

/** The host address as podman shows it: `0.0.0.0` for every address, IPv6 in brackets. */
function hostIpText(m: PortMapping): string {
  return m.hostIp === '' ? '0.0.0.0' : m.hostIp.includes(':') ? `[${m.hostIp}]` : m.hostIp;
}

/** `127.0.0.1:8080->80/tcp` (one mapping of podman's PORTS column). */
export function formatPortMapping(m: PortMapping): string {
  return `${hostIpText(m)}:${m.hostPort}->${m.containerPort}/${m.protocol}`;
}

/**
 * podman's PORTS column: the mappings joined by `, `, a run of consecutive ports on one address and protocol
 * (host and container both counting up) shown as one range, `127.0.0.1:8080-8081->80-81/tcp`, as podman shows
 * the ranges it stores.
 */
export function formatPortsColumn(mappings: readonly PortMapping[]): string {
  const runs: { first: PortMapping; length: number }[] = [];
  for (const m of mappings) {
    const last = runs.at(-1);
    const continues = last !== undefined && m.hostIp === last.first.hostIp && m.protocol === last.first.protocol
      && m.hostPort === last.first.hostPort + last.length && m.containerPort === last.first.containerPort + last.length;
    if (continues) last.length += 1;
    else runs.push({ first: m, length: 1 });
  }
  return runs.map(({ first, length }) => {
    if (length === 1) return formatPortMapping(first);
    return `${hostIpText(first)}:${first.hostPort}-${first.hostPort + length - 1}->${first.containerPort}-${first.containerPort + length - 1}/${first.protocol}`;
  }).join(', ');
}

/** The lines of `podman port`: `80/tcp -> 127.0.0.1:8080`. */
export function formatPortLine(m: PortMapping): string {
  return `${m.containerPort}/${m.protocol} -> ${hostIpText(m)}:${m.hostPort}`;
}
