/**
 * The host's primary IPv4 address: the one of the interface of its first default route (/proc/net/route), which
 * podman writes as host.containers.internal and pasta copies into the container.
 * Man pages: proc_net(5) (route), route(8).
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

/** The interface of the first IPv4 default route in /proc/net/route text. */
export function defaultRouteInterface(routeTable: string): string | undefined {
  for (const line of routeTable.split('\n').slice(1)) {
    const [iface, destination, , , , , , mask] = line.trim().split(/\s+/);
    if (iface !== undefined && destination === '00000000' && mask === '00000000') return iface;
  }
  return undefined;
}

/** The host's primary IPv4 address, or undefined without a default route. */
export function hostPrimaryAddress(): string | undefined {
  let table: string;
  try {
    table = readFileSync('/proc/net/route', 'utf8');
  } catch {
    return undefined;
  }
  const iface = defaultRouteInterface(table);
  if (iface === undefined) return undefined;
  return networkInterfaces()[iface]?.find((a) => a.family === 'IPv4' && !a.internal)?.address;
}
