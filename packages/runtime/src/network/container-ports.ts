/**
 * `ct container port ID [PRIVATE[/PROTO]]`: the ports a `ct container run` container publishes, from its network
 * record (host ports as the attach picked them), as `podman port` lists them; and their map in `container
 * inspect` (podman's NetworkSettings.Ports).
 */
import type { RuntimeContext } from '../context.js';
import { containerState } from '../container-state.js';
import { RuntimeError } from '../errors.js';
import { readNetworkRecord } from './network-record.js';
import type { PortMapping } from './port-spec.js';

/** The published ports of bundle `bundle` (none without a network record). */
export function bundlePorts(bundle: string): PortMapping[] {
  return [...(readNetworkRecord(bundle)?.ports ?? [])];
}

/**
 * The published ports of container `id`, only those of container port `filter` (`80` or `80/udp`) when given.
 * @throws RuntimeError ENOCONTAINER, EUSAGE (not a `container run` container, or a bad filter)
 */
export function containerPorts(ctx: RuntimeContext, id: string, filter?: string): PortMapping[] {
  const s = containerState(ctx, id);
  if (!s.bundle.startsWith(`${ctx.stateRoot.path}/.bundles/`)) throw new RuntimeError('EUSAGE', `container ${id}: not made by ct container run`);
  const ports = bundlePorts(s.bundle);
  if (filter === undefined) return ports;
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(filter);
  if (m === null) throw new RuntimeError('EUSAGE', `container port: ${filter}: expected PORT or PORT/tcp|udp`);
  return ports.filter((p) => p.containerPort === Number(m[1]) && p.protocol === (m[2] ?? 'tcp'));
}

/** One host side of a published port, as podman's inspect gives it (HostIp '' for every address). */
export interface PortBinding {
  /** The host address the port is published on; '' for every address (podman's shape). */
  readonly HostIp: string;
  /** The host port, as a decimal string (podman's shape). */
  readonly HostPort: string;
}

/** podman inspect's NetworkSettings.Ports: `80/tcp` → its host bindings, in the order published. */
export function inspectPortMap(ports: readonly PortMapping[]): Record<string, PortBinding[]> {
  const map: Record<string, PortBinding[]> = {};
  for (const p of ports) (map[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
  return map;
}
