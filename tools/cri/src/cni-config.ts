/**
 * A private CNI setup for the CRI plugin (CNI spec 1.0, the containernetworking-plugins' bridge and host-local
 * IPAM): a bin dir of links to the host's plugins (bridge, host-local, loopback: containerd's CRI adds the
 * loopback network itself), a conf dir with one network list on a bridge and a subnet of the test's own, and the
 * IPAM's leases under the test's folder. No gateway and no masquerading: nothing on the host (ip_forward, iptables)
 * is touched, the pods of the bridge reach each other. The bridge itself outlives its pods (the bridge plugin does
 * not delete it): `removeBridge` does, at the end.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CriError } from './errors.js';

/** Where Debian's containernetworking-plugins puts the plugins. */
export const DEBIAN_CNI_PLUGINS = '/usr/lib/cni';
/** The plugins the network uses. */
const PLUGINS = ['bridge', 'host-local', 'loopback'] as const;

export interface CniSetup {
  readonly binDir: string;
  readonly confDir: string;
  /** The network's name in the conflist (and the CNI result). */
  readonly network: string;
  /** The Linux bridge the pods' veths are put on. */
  readonly bridge: string;
  /** The pods' IPv4 subnet, e.g. "10.231.7.0/24". */
  readonly subnet: string;
}

/**
 * Write the bin dir, conf dir and IPAM data dir under `dir` for a bridge network named by `tag` (a few letters
 * and digits: the bridge's name is `ctcri<tag>`, at most 15 bytes).
 * @throws CriError CONTAINERD_FAILED when a plugin is missing from `pluginDir` or no free /24 is found
 */
export function writeCniSetup(dir: string, tag: string, pluginDir = DEBIAN_CNI_PLUGINS): CniSetup {
  const bridge = `ctcri${tag}`;
  if (!/^[a-z0-9]+$/.test(tag) || bridge.length > 15) throw new TypeError(`cni setup: tag ${tag}: letters and digits, at most 10`);
  const binDir = join(dir, 'cni', 'bin');
  const confDir = join(dir, 'cni', 'conf');
  mkdirSync(binDir, { recursive: true });
  mkdirSync(confDir, { recursive: true });
  for (const plugin of PLUGINS) {
    const from = join(pluginDir, plugin);
    if (!existsSync(from)) throw new CriError('cni setup', 'CONTAINERD_FAILED', `${from}: not found (apt-get install containernetworking-plugins)`);
    symlinkSync(from, join(binDir, plugin));
  }
  const subnet = freeSubnet();
  const network = `ct-cri-${tag}`;
  const conflist = {
    cniVersion: '1.0.0',
    name: network,
    plugins: [{
      type: 'bridge', bridge, isGateway: false, ipMasq: false, hairpinMode: false,
      ipam: { type: 'host-local', ranges: [[{ subnet }]], dataDir: join(dir, 'cni', 'ipam') },
    }],
  };
  writeFileSync(join(confDir, '10-ct-cri.conflist'), JSON.stringify(conflist, null, 2) + '\n');
  return { binDir, confDir, network, bridge, subnet };
}

/** Delete the network's bridge (the pods' veths went with their netns). Returns an error text, '' when done or absent. */
export function removeBridge(setup: CniSetup): string {
  if (!existsSync(`/sys/class/net/${setup.bridge}`)) return '';
  const r = spawnSync('ip', ['link', 'delete', setup.bridge], { encoding: 'utf8' });
  return r.status === 0 ? '' : `ip link delete ${setup.bridge}: ${(r.stderr || String(r.error)).trim()}`;
}

/** A 10.x.y.0/24 that no route of the host's main table overlaps (`ip -4 route`), chosen from the pid. */
function freeSubnet(): string {
  const routes = spawnSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout ?? '';
  const used = [...routes.matchAll(/\b10\.(\d+)\.(\d+)\.\d+(?:\/(\d+))?/g)].map((m) => ({ b: Number(m[1]), c: Number(m[2]), len: Number(m[3] ?? 32) }));
  for (let i = 0; i < 200; i++) {
    const b = 200 + ((process.pid + i) % 50);
    const c = (process.pid + 7 * i) % 250;
    const clash = used.some((u) => (u.len < 16 ? true : u.len < 24 ? u.b === b : u.b === b && u.c === c));
    if (!clash) return `10.${b}.${c}.0/24`;
  }
  throw new CriError('cni setup', 'CONTAINERD_FAILED', 'no free 10.x.y.0/24 subnet beside the host\'s routes');
}
