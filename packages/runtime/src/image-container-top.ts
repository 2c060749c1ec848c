/**
 * `ct container top ID` (podman top's default columns that ct can give without psgo): the container's processes
 * as the container sees them: the user id, the pid and parent pid in its pid namespace (the last NSpid and the
 * parent's), and the command line.
 * Man pages: proc_pid_status(5) (Uid, PPid, NSpid), proc_pid_cmdline(5).
 */
import { readFileSync } from 'node:fs';
import type { RuntimeContext } from './context.js';
import { containerProcesses } from './container-ps.js';
import { checkImageContainer } from './image-containers.js';

/** One process of `container top`. */
export interface TopProcess {
  /** The real uid, as the container sees it (its user namespace's). */
  readonly uid: number;
  /** The pid in the container's pid namespace. */
  readonly pid: number;
  /** The parent's pid there (0 for its init, whose parent is outside). */
  readonly ppid: number;
  /** Its command line. */
  readonly command: string;
}

interface Status {
  readonly uid: number;
  readonly ppid: number;
  /** The pids from the host's namespace down to the process's own. */
  readonly nspids: number[];
}

function readStatus(pid: number): Status | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined; // gone meanwhile
  }
  const field = (name: string): string[] => (new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1] ?? '').trim().split(/\s+/);
  return { uid: Number(field('Uid')[0]), ppid: Number(field('PPid')[0]), nspids: field('NSpid').map(Number) };
}

/** The uid as the container's user namespace maps it (the host's when they share one). */
function uidInContainer(uid: number, initPid: number): number {
  try {
    for (const line of readFileSync(`/proc/${initPid}/uid_map`, 'utf8').trim().split('\n')) {
      const [inside, outside, count] = line.trim().split(/\s+/).map(Number) as [number, number, number];
      if (uid >= outside && uid < outside + count) return inside + (uid - outside);
    }
  } catch {
    // gone meanwhile: the host's id is all there is
  }
  return uid;
}

/**
 * The processes of running container `id`, by pid in the container.
 * @throws RuntimeError ENOCONTAINER, ENOTRUNNING, EUSAGE (not a container of `container run`).
 */
export function topImageContainer(ctx: RuntimeContext, id: string): TopProcess[] {
  const state = checkImageContainer(ctx, id);
  const pids = containerProcesses(ctx, id);
  const statuses = new Map(pids.flatMap((p) => {
    const s = readStatus(p);
    return s === undefined ? [] : [[p, s] as const];
  }));
  const inside = (hostPid: number): number => statuses.get(hostPid)?.nspids.at(-1) ?? 0;
  const out: TopProcess[] = [];
  for (const [pid, s] of statuses) {
    let command = '';
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '').join(' ');
    } catch {
      continue;
    }
    out.push({ uid: uidInContainer(s.uid, state.pid), pid: inside(pid), ppid: inside(s.ppid), command });
  }
  return out.sort((a, b) => a.pid - b.pid);
}
