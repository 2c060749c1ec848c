/**
 * `--network bridge` (root): the container on ct's bridge `ct0` (10.89.0.0/16, NAT to the outside), through
 * Debian's CNI plugins as podman 4 uses them on this system: `bridge` (the veth pair, the bridge, host-local
 * IPAM, masquerading), `portmap` (published ports as DNAT rules, also for connections from the host itself, to
 * 127.0.0.1 included) and `firewall` (FORWARD accepted for the container's address). Every rule a plugin makes is
 * tagged with the CNI container id (its chains are named from it), so the DEL removes exactly this container's.
 * The container's network namespace is held (netns-holder.ts) from before the ADD until after the DEL: the bridge
 * plugin finds the addresses whose masquerading it must undo in the namespace, which would be gone with the
 * container's last process otherwise.
 * Why CNI rather than netlink code of ct's own: the IPAM with its lock, the iptables chains per container and their
 * removal are the plugins' and are what podman does here (same rules, side by side); the cost is measured in
 * tools/bench (a few exec'd plugins per run).
 * Man pages: CNI SPEC.md (ADD, DEL, prevResult), iptables(8), veth(4), mount(2).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { RuntimeError } from '../errors.js';
import { isMountPoint, removeMasqueradeRules } from './cni-leftovers.js';
import type { CniRecord } from './network-record.js';
import type { PortMapping } from './port-spec.js';

/** ct's bridge network. */
export const CT_BRIDGE = {
  /** The CNI network's name. */
  network: 'ct',
  /** The bridge interface on the host. */
  bridge: 'ct0',
  /** The containers' subnet. */
  subnet: '10.89.0.0/16',
  /** The bridge's address, the containers' gateway. */
  gateway: '10.89.0.1',
} as const;

/** Where Debian installs the CNI plugins. */
export const CNI_PLUGIN_DIR = '/usr/lib/cni';

type Json = Record<string, unknown>;

/** The network list (conflist) of ct's bridge. */
export function bridgeConflist(): { cniVersion: string; name: string; plugins: Json[] } {
  return {
    cniVersion: '1.0.0',
    name: CT_BRIDGE.network,
    plugins: [
      {
        type: 'bridge', bridge: CT_BRIDGE.bridge, isGateway: true, ipMasq: true, hairpinMode: true,
        ipam: { type: 'host-local', routes: [{ dst: '0.0.0.0/0' }], ranges: [[{ subnet: CT_BRIDGE.subnet, gateway: CT_BRIDGE.gateway }]] },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
      { type: 'firewall' },
    ],
  };
}

/** The network config one plugin gets: the list's name and version, its own fields, runtimeConfig, prevResult. */
export function pluginConfig(plugin: Json, ports: readonly PortMapping[], prevResult: unknown): Json {
  const list = bridgeConflist();
  const caps = plugin['capabilities'] as Record<string, boolean> | undefined;
  const portMappings = ports.map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, ...(p.hostIp === '' ? {} : { hostIP: p.hostIp }) }));
  return {
    cniVersion: list.cniVersion, name: list.name, ...plugin,
    ...(caps?.['portMappings'] === true && portMappings.length > 0 ? { runtimeConfig: { portMappings } } : {}),
    ...(prevResult === undefined ? {} : { prevResult }),
  };
}

/** Run one plugin; resolves with its parsed stdout. */
function runPlugin(type: string, command: 'ADD' | 'DEL', config: Json, cni: { containerId: string; netns: string }): Promise<unknown> {
  const env = {
    PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', CNI_COMMAND: command, CNI_CONTAINERID: cni.containerId,
    CNI_NETNS: cni.netns, CNI_IFNAME: 'eth0', CNI_PATH: CNI_PLUGIN_DIR,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(join(CNI_PLUGIN_DIR, type), [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', (e) => reject(new RuntimeError('ESETUP', `network: cni ${type} ${command}: ${e.message} (apt-get install containernetworking-plugins)`, { cause: e })));
    child.on('close', (code) => {
      if (code === 0) {
        try {
          resolve(out.trim() === '' ? undefined : JSON.parse(out));
        } catch {
          resolve(undefined);
        }
        return;
      }
      let why = err.trim() || out.trim();
      try {
        const e = JSON.parse(out) as { msg?: string; details?: string };
        why = [e.msg, e.details].filter((x) => x !== undefined && x !== '').join(': ');
      } catch {
        // not JSON: the text as it is
      }
      reject(new RuntimeError('ESETUP', `network: cni ${type} ${command}: ${why || `exit status ${code}`}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(config));
  });
}

/** The result of a successful attach. */
export interface BridgeAttachment {
  /** The container's address (no prefix length). */
  readonly address: string;
  /** Its gateway: the host as the container reaches it. */
  readonly gateway: string | undefined;
}

/**
 * Put the init `pid` on ct's bridge with `ports` published. `record` is called with the attachment's record
 * before anything is made and after each plugin (crash safety); a failure undoes what was done.
 * @throws RuntimeError ESETUP naming the plugin and its message
 */
export async function attachBridge(netns: string, ports: readonly PortMapping[], containerId: string, record: (c: CniRecord) => void): Promise<BridgeAttachment> {
  const cni: { containerId: string; results: unknown[] } = { containerId, results: [] };
  record({ ...cni, results: [] });
  try {
    for (const plugin of bridgeConflist().plugins) {
      const result = await runPlugin(plugin['type'] as string, 'ADD', pluginConfig(plugin, ports, cni.results.at(-1)), { ...cni, netns });
      cni.results.push(result);
      record({ ...cni, results: [...cni.results] });
    }
  } catch (err) {
    await detachBridge({ ...cni }, netns, ports).catch((undo: unknown) => {
      throw new AggregateError([err, undo], (err as Error).message);
    });
    throw err;
  }
  const ip = ((cni.results[0] as { ips?: { address?: string; gateway?: string }[] } | undefined)?.ips ?? [])[0];
  return { address: (ip?.address ?? '').replace(/\/\d+$/, ''), gateway: ip?.gateway };
}

/**
 * Take a container off the bridge: DEL through the plugins in reverse order (each given the ADD result as
 * prevResult) in the held namespace `netns`. Every plugin is tried; failures are thrown together.
 */
export async function detachBridge(cni: CniRecord, netns: string, ports: readonly PortMapping[]): Promise<void> {
  const errors: unknown[] = [];
  const plugins = bridgeConflist().plugins;
  const last = cni.results.at(-1) ?? cni.results.findLast((r) => r !== undefined);
  // A holder that is no longer a mount (released by a detach that crashed or raced this one) is a plain file to the
  // plugins, which then fail on it: give them a path that does not exist, their "namespace gone" case.
  const held = isMountPoint(netns) ? netns : `${netns}.released`;
  for (const plugin of [...plugins].reverse()) {
    const del = (path: string): Promise<unknown> => runPlugin(plugin['type'] as string, 'DEL', pluginConfig(plugin, ports, last), { ...cni, netns: path });
    try {
      await del(held);
    } catch (err) {
      // released after the check (seen once in 1000 soak runs as root, while other work ran on the machine): the
      // plugin found a plain file; its namespace-gone case then
      if (held !== netns || isMountPoint(netns)) errors.push(err);
      else await del(`${netns}.released`).catch((again: unknown) => errors.push(again));
    }
  }
  // Without the namespace the bridge plugin cannot find the masquerading to undo (cni-leftovers.ts).
  try {
    await removeMasqueradeRules(CT_BRIDGE.network, cni.containerId);
  } catch (err) {
    errors.push(err);
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `network: bridge detach: ${errors.map((e) => (e as Error).message).join('; ')}`);
}
