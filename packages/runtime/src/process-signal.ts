/**
 * Signalling a recorded process safely: a pidfd is opened first, then the pid's start time is checked against
 * the recorded one, then the signal goes through the pidfd. The pidfd pins the process the check saw, so a
 * recycled pid is never hit. `--all` finds the container's other processes by their pid namespace. The addon
 * (@ct/syscalls) is loaded on first use, keeping `state` and `list` light.
 *
 * Man pages: kill(2), pidfd_send_signal(2), pid_namespaces(7), proc_pid_stat(5).
 */
import { closeSync, readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError, errnoCode, systemError } from './errors.js';
import { readProcStat } from './proc-stat.js';

/** A pid with the start time it must still have. */
export interface RecordedProcess {
  /** Host pid. */
  readonly pid: number;
  /** Field 22 of /proc/PID/stat, decimal. */
  readonly startTime: string;
}

/** True when the pid is alive (not a zombie) with the recorded start time. */
export function isSameProcess(proc: RecordedProcess, procRoot = '/proc'): boolean {
  const stat = readProcStat(proc.pid, procRoot);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' && String(stat.startTime) === proc.startTime;
}

/**
 * Signal `pid` through a pidfd, after `check` (run with the pidfd open) confirms it is the expected process.
 * Returns false when the process is gone (ESRCH) or fails the check.
 */
async function signalThroughPidfd(pid: number, signal: number, check: () => boolean): Promise<boolean> {
  const { pidfdOpen, pidfdSendSignal } = await import('@ct/syscalls');
  let pidfd: number;
  try {
    pidfd = pidfdOpen(pid);
  } catch (err) {
    if (errnoCode(err) === 'ESRCH') return false;
    throw systemError('pidfd_open', `pid ${pid}`, err);
  }
  try {
    if (!check()) return false;
    pidfdSendSignal(pidfd, signal);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ESRCH') return false;
    throw systemError('pidfd_send_signal', `pid ${pid}`, err);
  } finally {
    closeSync(pidfd);
  }
}

/** Send `signal` to a recorded process; `ENOTRUNNING` ("container not running") when it is gone. */
export async function signalProcess(proc: RecordedProcess, signal: number): Promise<void> {
  if (!(await signalThroughPidfd(proc.pid, signal, () => isSameProcess(proc)))) {
    throw new RuntimeError('ENOTRUNNING', 'container not running');
  }
}

/**
 * The host pids that share the init's pid namespace (the container's processes when it has its own pid
 * namespace), the init first; just the init when the namespace is ours.
 */
export function containerPids(init: RecordedProcess, procRoot = '/proc'): number[] {
  let nsOf: (pid: number | 'self') => string | undefined = (pid) => {
    try {
      return readlinkSync(`${procRoot}/${pid}/ns/pid`);
    } catch {
      return undefined;
    }
  };
  const initNs = nsOf(init.pid);
  if (initNs === undefined || initNs === nsOf('self')) return [init.pid];
  const pids = [init.pid];
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid !== init.pid && nsOf(pid) === initNs) pids.push(pid);
  }
  nsOf = () => undefined;
  return pids;
}

/**
 * Signal `proc` when it is still the process recorded (pid and start time, checked with its pidfd open, so a
 * recycled pid is never hit); false when it is gone.
 */
export async function signalIfSame(proc: RecordedProcess, signal: number): Promise<boolean> {
  return signalThroughPidfd(proc.pid, signal, () => isSameProcess(proc));
}

/** Signal every process of the container (the `--all` of `kill`); a process that vanished meanwhile is skipped. */
export async function signalAll(init: RecordedProcess, signal: number): Promise<void> {
  const pids = containerPids(init);
  await signalProcess(init, signal);
  for (const pid of pids.slice(1)) await signalThroughPidfd(pid, signal, () => true);
}

/** Wait until the recorded process is gone or a zombie (it is not our child: no waitpid). */
export async function waitForExit(proc: RecordedProcess, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; isSameProcess(proc); delay = Math.min(delay * 2, 20)) {
    if (Date.now() > deadline) return false;
    await sleep(delay);
  }
  return true;
}
