/**
 * What the containers of a ct state root hold on the host, read from their records, and which of it is still
 * there after a suite's cleanup (issue 24). A suite that removes its private state root removes the records with
 * it: what they named (cgroup directories, a network namespace held in /run/ct-netns, the bridge's CNI lease and the
 * plugins' iptables rules) is then invisible to every cleanup verb of ct and stays on the machine for good, where
 * other suites' leak checks see it. So a suite reads the records first, runs the cleanup verbs, and checks.
 * Man pages: iptables-save(8), proc_pid_cmdline(5).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, processStat, type TreeProcess } from './process-tree.js';

/** ct's CNI network (runtime bridge-cni.ts): host-local keeps its leases under /var/lib/cni/networks/NAME. */
export const CT_BRIDGE_NETWORK = 'ct';

/** What records name on the host. */
export interface HostResources {
  /** Cgroup directories (recorded, and planned by a create that may have been killed). */
  readonly cgroups: readonly string[];
  /** Files a network namespace is held on (bind mounts in /run/ct-netns; /run/netns in older records). */
  readonly netnsHolders: readonly string[];
  /** CNI container ids of bridge attachments (in host-local's lease files and the plugins' rule comments). */
  readonly cniIds: readonly string[];
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
}

/** What the records under `stateRoot` name: each container's state.json and each run bundle's network.json. */
export function recordedHostResources(stateRoot: string): HostResources {
  const cgroups: string[] = [];
  const netnsHolders: string[] = [];
  const cniIds: string[] = [];
  for (const id of subdirs(stateRoot)) {
    const state = readJson<{ cgroupPaths?: string[]; cgroupPlanned?: { paths?: string[] } }>(join(stateRoot, id, 'state.json'));
    cgroups.push(...(state?.cgroupPaths ?? []), ...(state?.cgroupPlanned?.paths ?? []));
  }
  for (const id of subdirs(join(stateRoot, '.bundles'))) {
    const network = readJson<{ netns?: string; cni?: { containerId?: string } }>(join(stateRoot, '.bundles', id, 'network.json'));
    if (network?.netns !== undefined) netnsHolders.push(network.netns);
    if (network?.cni?.containerId !== undefined) cniIds.push(network.cni.containerId);
  }
  return { cgroups, netnsHolders, cniIds };
}

/** Which of `r` is still on the host, one line each (empty: nothing). */
export function hostResourcesLeft(r: HostResources): string[] {
  const left: string[] = [];
  for (const c of r.cgroups) if (existsSync(c)) left.push(`cgroup ${c}`);
  for (const n of r.netnsHolders) if (existsSync(n)) left.push(`netns holder ${n}`);
  if (r.cniIds.length > 0) {
    const leases = `/var/lib/cni/networks/${CT_BRIDGE_NETWORK}`;
    for (const f of existsSync(leases) ? readdirSync(leases) : []) {
      let text = '';
      try {
        text = readFileSync(join(leases, f), 'utf8');
      } catch {
        continue; // released meanwhile
      }
      if (r.cniIds.some((id) => text.includes(id))) left.push(`cni lease ${join(leases, f)}`);
    }
    const rules = spawnSync('iptables-save', [], { encoding: 'utf8' }).stdout ?? '';
    for (const rule of rules.split('\n').filter((l) => r.cniIds.some((id) => l.includes(id)))) left.push(`iptables ${rule}`);
  }
  return left;
}

/** A process found by its command line: its arguments and state letter too. */
export interface NamedProcess extends TreeProcess {
  readonly argv: readonly string[];
  readonly state: string;
}

/** The processes (not this one) whose command line holds `text`: a suite's stragglers when `text` is its private dir. */
export function processesNaming(text: string): NamedProcess[] {
  const found: NamedProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const stat = cmdline.includes(text) ? processStat(Number(name)) : undefined;
    if (stat !== undefined) found.push({ pid: Number(name), ...stat, argv: cmdline.split('\0').slice(0, -1) });
  }
  return found;
}

/**
 * SIGKILL the processes whose command line holds `text` (a ct run a test gave up on, a monitor) and wait for them
 * (5 s at most): what they were making is then as a crash left it, which the cleanup verbs handle.
 * @returns the processes that were killed
 */
export async function killProcessesNaming(text: string): Promise<TreeProcess[]> {
  const found = processesNaming(text);
  for (const p of found) {
    try {
      // a stopped one (CT_TEST_STOP_AT) dies of SIGKILL too
      if (isAlive(p)) process.kill(p.pid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
  for (let i = 0; i < 100 && found.some(isAlive); i++) await sleep(50);
  return found;
}
