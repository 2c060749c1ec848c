/**
 * A process's identity from /proc/PID/stat: its state letter and its start time (field 22, clock ticks after
 * boot). A pid recorded in state.json is trusted only while the start time still matches, so a recycled pid is
 * never signalled (runc does the same check).
 *
 * Man pages: proc_pid_stat(5).
 */
import { readFileSync } from 'node:fs';

/** What /proc/PID/stat tells about a live process. */
export interface ProcStat {
  /** The state letter (R, S, D, Z, T, t, X, I...). */
  readonly state: string;
  /** Field 22, starttime, in clock ticks after boot. */
  readonly startTime: bigint;
}

/**
 * Parse the text of /proc/PID/stat. The comm field (2) is in parentheses and may hold spaces or ')', so the
 * fields are counted after the last ')'.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const end = text.lastIndexOf(')');
  if (end < 0) return undefined;
  const rest = text.slice(end + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state), so field 22 is rest[19].
  const state = rest[0];
  const start = rest[19];
  if (state === undefined || start === undefined || !/^\d+$/.test(start)) return undefined;
  return { state, startTime: BigInt(start) };
}

/** Read /proc/PID/stat, or undefined when the process does not exist. */
export function readProcStat(pid: number, procRoot = '/proc'): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcStat(text);
}
