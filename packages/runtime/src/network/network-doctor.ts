/**
 * Which `--network` modes work for the caller, for `ct doctor`: the helper programs installed, /dev/net/tun
 * usable by the caller (pasta, slirp4netns), root and the CNI plugins with iptables (bridge). Checks of what is
 * there, no trial container.
 * Man pages: pasta(1), slirp4netns(1), iptables(8).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CNI_PLUGIN_DIR } from './bridge-cni.js';
import { defaultNetworkMode, findProgram, formatNetworkMode, tunUnusable } from './network-mode.js';

/** One mode's verdict. */
export interface NetworkModeCheck {
  /** The --network value. */
  readonly mode: string;
  /** Whether the mode works for the caller. */
  readonly works: boolean;
  /** Why not, and the fix. */
  readonly why?: string;
}

/** What the network part of `ct doctor` reports. */
export interface NetworkReport {
  /** The mode `container run` uses without --network. */
  readonly defaultMode: string;
  /** Each mode's verdict. */
  readonly modes: readonly NetworkModeCheck[];
}

function helperCheck(name: 'pasta' | 'slirp4netns', tun: string | undefined): NetworkModeCheck {
  if (findProgram(name) === undefined) return { mode: name, works: false, why: `${name} is not installed (apt-get install ${name === 'pasta' ? 'passt' : 'slirp4netns'})` };
  if (tun !== undefined) return { mode: name, works: false, why: tun };
  return { mode: name, works: true };
}

function bridgeCheck(rootless: boolean): NetworkModeCheck {
  if (rootless) return { mode: 'bridge', works: false, why: 'root only (an unprivileged user has pasta or slirp4netns)' };
  const missing = ['bridge', 'host-local', 'portmap', 'firewall'].filter((p) => !existsSync(join(CNI_PLUGIN_DIR, p)));
  if (missing.length > 0) return { mode: 'bridge', works: false, why: `CNI plugins missing in ${CNI_PLUGIN_DIR}: ${missing.join(', ')} (apt-get install containernetworking-plugins)` };
  if (findProgram('iptables') === undefined) return { mode: 'bridge', works: false, why: 'iptables is not installed (apt-get install iptables)' };
  return { mode: 'bridge', works: true };
}

/** The network modes for a caller that is `rootless` (or root). */
export function networkReport(rootless: boolean): NetworkReport {
  const tun = rootless ? tunUnusable() : undefined;
  const modes: NetworkModeCheck[] = [
    { mode: 'none', works: true }, { mode: 'private', works: true }, { mode: 'host', works: true },
    bridgeCheck(rootless), helperCheck('pasta', tun), helperCheck('slirp4netns', tun), { mode: 'container:ID', works: true },
  ];
  return { defaultMode: formatNetworkMode(defaultNetworkMode(rootless)), modes };
}

/** The report as lines for a terminal. */
export function formatNetworkReport(r: NetworkReport): string {
  const lines = [`network: default ${r.defaultMode}`];
  for (const m of r.modes) lines.push(`  ${m.works ? 'ok  ' : 'no  '} --network ${m.mode}${m.why === undefined ? '' : `: ${m.why}`}`);
  return `${lines.join('\n')}\n`;
}
