/**
 * process.scheduler and process.ioPriority, set on the container's init by ct from outside, at the launch's pause
 * before pivot_root: the init is single-threaded there and has not changed its ids yet, so an unprivileged caller
 * may still set them (sched_setattr(2) and ioprio_set(2) want the caller's uid to be the target's), and both
 * survive the init's later setuid and execve into the user program. runc sets them inside its init at about the
 * same point. What the kernel refuses (a real-time policy or class without CAP_SYS_NICE/CAP_SYS_ADMIN, SCHED_ISO,
 * which Linux lacks) fails create with an error naming the field, as with runc.
 *
 * Man pages: sched_setattr(2), ioprio_set(2), sched(7).
 */
import type { ConfigProcess, SchedulerFlag } from './config/config-process.js';
import { RuntimeError } from './errors.js';

const flagNames: Readonly<Record<SchedulerFlag, 'RESET_ON_FORK' | 'RECLAIM' | 'DL_OVERRUN' | 'KEEP_POLICY' | 'KEEP_PARAMS' | 'UTIL_CLAMP_MIN' | 'UTIL_CLAMP_MAX'>> = {
  SCHED_FLAG_RESET_ON_FORK: 'RESET_ON_FORK', SCHED_FLAG_RECLAIM: 'RECLAIM', SCHED_FLAG_DL_OVERRUN: 'DL_OVERRUN',
  SCHED_FLAG_KEEP_POLICY: 'KEEP_POLICY', SCHED_FLAG_KEEP_PARAMS: 'KEEP_PARAMS', SCHED_FLAG_UTIL_CLAMP_MIN: 'UTIL_CLAMP_MIN',
  SCHED_FLAG_UTIL_CLAMP_MAX: 'UTIL_CLAMP_MAX',
};

/** Whether the process asks for either. */
export function hasScheduling(p: ConfigProcess | undefined): boolean {
  return p?.scheduler !== undefined || p?.ioPriority !== undefined;
}

/** Set the process's scheduler and I/O priority on `pid` (a RuntimeError naming the field when the kernel refuses). */
export async function applyScheduling(pid: number, p: ConfigProcess): Promise<void> {
  const { IOPRIO_CLASS, IOPRIO_WHO, ioprioSet, ioprioValue, SCHED, SCHED_FLAG, schedSetattr } = await import('@ct/syscalls');
  const s = p.scheduler;
  if (s !== undefined) {
    try {
      schedSetattr(pid, {
        policy: SCHED[s.policy.slice('SCHED_'.length) as keyof typeof SCHED],
        flags: s.flags.reduce((bits, f) => bits | SCHED_FLAG[flagNames[f]], 0n),
        nice: s.nice, priority: s.priority, runtime: s.runtime, deadline: s.deadline, period: s.period,
      });
    } catch (err) {
      throw new RuntimeError('ESETUP', `create: process.scheduler: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  const io = p.ioPriority;
  if (io !== undefined) {
    try {
      ioprioSet(IOPRIO_WHO.PROCESS, pid, ioprioValue(IOPRIO_CLASS[io.class.slice('IOPRIO_CLASS_'.length) as keyof typeof IOPRIO_CLASS], io.priority));
    } catch (err) {
      throw new RuntimeError('ESETUP', `create: process.ioPriority: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}
