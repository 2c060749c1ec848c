/**
 * What the CNI bridge plugin cannot undo once the container's network namespace is gone. Its DEL releases the
 * address (host-local) either way, but it finds the masquerading to undo from the addresses inside the namespace:
 * when the held namespace is already released (a crash between the two steps of a detach, two detaches racing),
 * the plugin either fails ("unknown FS magic" for a holder file that is no longer a mount) or returns without
 * touching iptables, and the container's POSTROUTING rule and its `CNI-…` chain stay for good. These helpers let
 * the detach give the plugins a namespace path they understand and remove those rules by the comment the plugin
 * tags them with (`name: "NETWORK" id: "CONTAINERID"`), which is idempotent.
 * Man pages: iptables(8), iptables-extensions(8) (comment).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mountPoints } from '@ct/namespaces/engine';
import { RuntimeError } from '../errors.js';

const run = promisify(execFile);

/** Whether `path` is a mount point in this mount namespace (a held namespace is one: a bind of /proc/PID/ns/net). */
export function isMountPoint(path: string): boolean {
  return mountPoints().includes(path);
}

/** The comment the CNI plugins tag a container's rules with (containernetworking/plugins utils.FormatComment). */
export function cniComment(network: string, containerId: string): string {
  return `name: "${network}" id: "${containerId}"`;
}

/**
 * Remove the nat POSTROUTING rules tagged for `containerId` on `network` and the chains they jump to.
 * @returns the chains removed (none when the plugin's DEL already did it)
 * @throws {RuntimeError} ESETUP naming the iptables command that failed
 */
export async function removeMasqueradeRules(network: string, containerId: string): Promise<string[]> {
  const iptables = async (...args: string[]): Promise<string> => {
    try {
      return (await run('iptables', ['-w', '-t', 'nat', ...args], { encoding: 'utf8' })).stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new RuntimeError('ESETUP', `network: iptables -t nat ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`, { cause: err });
    }
  };
  const tag = `--comment "${cniComment(network, containerId).replace(/"/g, '\\"')}"`;
  const rules = (await iptables('-S', 'POSTROUTING')).split('\n').filter((l) => l.startsWith('-A POSTROUTING ') && l.includes(tag));
  const chains: string[] = [];
  for (const rule of rules) {
    const chain = /-j (CNI-[0-9a-f]+)$/.exec(rule)?.[1];
    // -S prints each rule as its own arguments; the comment is the one quoted one
    const args = rule.slice('-A POSTROUTING '.length).split(tag);
    const words = (t: string | undefined): string[] => (t ?? '').trim().split(/\s+/).filter(Boolean);
    await iptables('-D', 'POSTROUTING', ...words(args[0]), '--comment', cniComment(network, containerId), ...words(args[1]));
    if (chain !== undefined) {
      await iptables('-F', chain);
      await iptables('-X', chain);
      chains.push(chain);
    }
  }
  return chains;
}
