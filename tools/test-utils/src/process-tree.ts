/**
 * The processes below a test's child, for the crash-point suites (issue 24): which of them ct stopped itself in
 * (CT_TEST_STOP_AT), and which are still alive after the cleanup verbs. A process is named by its pid and start
 * time, so a recycled pid is never mistaken for one of them.
 * Man pages: proc_pid_stat(5), proc(5) (/proc/PID/task/TID/children).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** A process: its pid and start time (field 22 of /proc/PID/stat). */
export interface TreeProcess {
  readonly pid: number;
  readonly startTime: bigint;
}

/** The state letter and start time of `pid` (the comm field may hold spaces: fields are counted after its ')'). */
export function processStat(pid: number): { state: string; startTime: bigint } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const start = fields[19];
  return state === undefined || start === undefined || !/^\d+$/.test(start) ? undefined : { state, startTime: BigInt(start) };
}

/** `pid`'s children, from every thread's children list. */
function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.flatMap((t) => {
    try {
      return readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(' ').filter((c) => c !== '').map(Number);
    } catch {
      return [];
    }
  });
}

/** Every process below `pid` (not `pid` itself), with its start time. */
export function descendants(pid: number): TreeProcess[] {
  const out: TreeProcess[] = [];
  for (const c of childrenOf(pid)) {
    const stat = processStat(c);
    if (stat !== undefined) out.push({ pid: c, startTime: stat.startTime });
    out.push(...descendants(c));
  }
  return out;
}

/** True while `p` lives (not a zombie, and its pid not recycled). */
export function isAlive(p: TreeProcess): boolean {
  const stat = processStat(p.pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' && stat.startTime === p.startTime;
}
