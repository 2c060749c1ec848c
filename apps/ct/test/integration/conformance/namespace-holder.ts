/**
 * Namespaces for a case to join by path: a holder process (`unshare --fork ... sleep 600`, util-linux) that owns
 * new namespaces of the types asked, run as the runtime's user, killed with its process group after the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { HolderNamespace } from './case-types.js';
import type { TestUser } from './lifecycle.js';

/** A running holder: its process (for stopHolder), the sleep's pid and the paths of its namespaces by type. */
export interface NamespaceHolder {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly paths: Record<HolderNamespace, string>;
}

const UNSHARE_FLAG: Record<HolderNamespace, string> = {
  pid: '--pid', network: '--net', ipc: '--ipc', uts: '--uts', mount: '--mount', cgroup: '--cgroup', user: '--user',
};
const NS_FILE: Record<HolderNamespace, string> = {
  pid: 'pid', network: 'net', ipc: 'ipc', uts: 'uts', mount: 'mnt', cgroup: 'cgroup', user: 'user',
};

/** Descendants of `pid`, depth first (from /proc/PID/task/PID/children). */
function descendants(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((s) => s !== '').map(Number);
  } catch {
    return [];
  }
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

/** Start `unshare ... sleep 600` (as `user` when given) and wait for the sleep inside the new namespaces. */
export async function startHolder(user: TestUser | undefined, types: readonly HolderNamespace[]): Promise<NamespaceHolder> {
  const flags = types.map((t) => UNSHARE_FLAG[t]);
  if (types.includes('user')) flags.push('--map-root-user');
  const argv = ['unshare', '--fork', ...flags, 'sleep', '600'];
  const cmd = user === undefined ? argv : ['runuser', '-u', user.name, '--', ...argv];
  const child = spawn(cmd[0] ?? '', cmd.slice(1), { stdio: 'ignore', detached: true });
  for (let i = 0; i < 200; i++) {
    const sleeper = child.pid === undefined ? undefined : descendants(child.pid).find((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'sleep';
      } catch {
        return false;
      }
    });
    if (sleeper !== undefined) return { child, pid: sleeper, paths: Object.fromEntries(types.map((t) => [t, `/proc/${sleeper}/ns/${NS_FILE[t]}`])) as Record<HolderNamespace, string> };
    await new Promise((r) => setTimeout(r, 25));
  }
  stopHolder(child);
  throw new Error(`conformance: the namespace holder (${cmd.join(' ')}) did not start`);
}

/** Kill a holder's process group (it was started detached: unshare, its sleep, runuser when there is one). */
export function stopHolder(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // gone already
  }
}
