/**
 * enter(target, namespaces, plan): run a plan inside a running process's namespaces (runc exec, nsenter, Guix's
 * container-excursion). A forked child joins them all at once with setns(pidfd, flags) (Linux 5.8; the kernel
 * orders user first and mnt last and applies them atomically), skipping the ones the caller already shares
 * (setns into one's own user ns is EINVAL). A pid or time namespace only applies to children, so the child then
 * forks a new process with CLONE_PARENT and exits at once (runc's nsexec does the same): the new process, the one
 * that runs the plan, is the caller's own child, and the handle (pid, pidfd, events, exit) is its.
 *
 * Man pages: setns(2), pidfd_open(2), pid_namespaces(7), time_namespaces(7).
 */
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import type { ChildHandle, SpawnPlan } from './plan.js';
import { CtError, SyscallError } from './errors.js';
import { CLONE } from './constants.js';
import { pidfdOpen } from './process.js';
import { launch } from './spawn.js';
import { checkNamespaces } from './internal/plan-encode.js';
import { FLAG_ENTER_FORK } from './internal/plan-layout.js';

/** The process to enter: an open pidfd (not closed by enter) or a pid (a pidfd is opened and closed). */
export type EnterTarget = {
  /** A pidfd of the process, left open. */
  readonly pidfd: number;
} | {
  /** The process's pid in the caller's pid namespace. */
  readonly pid: number;
};

/** What enter() runs: a spawn plan whose namespaces come from the target. */
export type EnterPlan = Omit<SpawnPlan, 'namespaces'>;

const NS_FILES: readonly [number, string][] = [
  [CLONE.NEWUSER, 'user'], [CLONE.NEWNS, 'mnt'], [CLONE.NEWPID, 'pid'], [CLONE.NEWNET, 'net'], [CLONE.NEWUTS, 'uts'],
  [CLONE.NEWIPC, 'ipc'], [CLONE.NEWCGROUP, 'cgroup'], [CLONE.NEWTIME, 'time'],
];
/** Namespaces that apply to the children of the process that joins them. */
const CHILD_ONLY = CLONE.NEWPID | CLONE.NEWTIME;

function pidOfPidfd(pidfd: number): number {
  const m = /^Pid:\s*(-?\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${pidfd}`, 'utf8'));
  const pid = m ? Number(m[1]) : NaN;
  if (!(pid > 0)) throw new CtError('ESRCH', `enter: pidfd ${pidfd}: process gone or not a pidfd`);
  return pid;
}

function sameNamespace(pid: number, name: string): boolean {
  try {
    const a = statSync(`/proc/${pid}/ns/${name}`);
    const b = statSync(`/proc/self/ns/${name}`);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;  // cannot tell (no such ns kind, or no access): let setns decide
  }
}

/** Namespace flags of `namespaces` that `pid` does not share with the caller. */
export function namespacesToJoin(pid: number, namespaces: number): number {
  let out = 0;
  for (const [flag, name] of NS_FILES) if (namespaces & flag && !sameNamespace(pid, name)) out |= flag;
  return out;
}

/** How enter() joins. */
export interface EnterOptions {
  /**
   * Join the user namespace that owns the target's pid namespace (NS_GET_USERNS on /proc/PID/ns/pid) instead of
   * the target's own, before the others (Guix's container-excursion: with locked mounts the target's own is an
   * inner one with no capability over its uts, net, ipc and pid namespaces). Needs CLONE_NEWUSER in `namespaces`.
   */
  readonly userOfPidNamespace?: boolean;
}

function openPidNamespace(pid: number): number {
  try {
    return openSync(`/proc/${pid}/ns/pid`, 'r');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new SyscallError('open', Math.abs(e.errno ?? 2), { path: `/proc/${pid}/ns/pid` }, { cause: error });
  }
}

/**
 * Forks a child that joins the target's `namespaces` (CLONE_NEW* mask) and runs `plan`. Errors as spawn();
 * a failed setns (or NS_GET_USERNS ioctl) is a SyscallError with step -1 and stepOp 'setup'.
 */
export function enter(target: EnterTarget, namespaces: number, plan: EnterPlan, options: EnterOptions = {}): ChildHandle {
  checkNamespaces(namespaces);
  const ownPidfd = 'pid' in target;
  const pidfd = 'pid' in target ? pidfdOpen(target.pid) : target.pidfd;
  let userOwnerFd = -1;
  try {
    const pid = 'pid' in target ? target.pid : pidOfPidfd(pidfd);
    const byOwner = options.userOfPidNamespace === true && (namespaces & CLONE.NEWUSER) !== 0;
    // the child compares the owner with its own user namespace itself (it cannot be told by a path here)
    if (byOwner) userOwnerFd = openPidNamespace(pid);
    const join = namespacesToJoin(pid, byOwner ? namespaces & ~CLONE.NEWUSER : namespaces);
    const flags = join & CHILD_ONLY ? FLAG_ENTER_FORK : 0;
    return launch(plan, { namespaces: join, flags, targetFd: pidfd, userOwnerFd }, 'clone3');
  } finally {
    if (ownPidfd) closeSync(pidfd);
    if (userOwnerFd >= 0) closeSync(userOwnerFd);
  }
}
