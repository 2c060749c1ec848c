/**
 * spawn(plan): clone a child into new namespaces and run the plan's steps in it, in C, up to execve. The plan is
 * validated and flattened before the clone (src/internal/plan-encode.ts); the clone itself happens on the
 * calling (main JS) thread, by the fork server from the same buffer (src/fork-server.ts), or with
 * CT_FORK_SERVER=0 by clone3 CLONE_PIDFD (clone(2) + pidfd_open when forced or missing) from this process.
 *
 * Man pages: clone(2), pidfd_open(2), execve(2), user_namespaces(7), prctl(2) (PR_SET_DUMPABLE).
 */
import { closeSync } from 'node:fs';
import type { ChildHandle, SpawnPlan } from './plan.js';
import { native } from './native.js';
import { CtError, SyscallError } from './errors.js';
import { Child } from './child-handle.js';
import { checkNamespaces, encodePlan, type EncodeOptions } from './internal/plan-encode.js';
import { CLONE } from './constants.js';
import { spawnByForkServer } from './fork-server.js';


/** Runs an encoded plan through the addon and wraps the result. */
export function launch(plan: Omit<SpawnPlan, 'namespaces'>, options: EncodeOptions, syscall: string): ChildHandle {
  // PR_SET_PDEATHSIG fires when the thread that cloned exits: a worker thread's end would kill the child.
  if (!native.isMainThread()) throw new CtError('ENOTMAINTHREAD', 'spawn: must be called on the main thread, not a worker');
  const { buffer, ownedFds } = encodePlan(plan, options);
  let r: [number, number, number] | number;
  try {
    r = spawnByForkServer(buffer) ?? native.spawn(buffer);
  } finally {
    for (const fd of ownedFds) closeSync(fd);
  }
  if (typeof r === 'number') {
    throw new SyscallError(plan.forceLegacyClone ? 'clone' : syscall, -r);
  }
  const [pid, pidfd, syncFd] = r;
  return new Child(pid, pidfd, syncFd, plan.steps);
}

/**
 * Clones a child into `plan.namespaces` and runs `plan.steps` in it. Returns once the child exists; follow it
 * with `nextEvent()` (pauses, then `exec`, or a SyscallError naming the failing step) and `wait()`.
 * Throws InvalidPlanError ('EINVALIDPLAN') for a plan refused before the clone, SyscallError for a failed
 * clone3/clone or a parent-side open (setns path, console socket), CtError 'ENOTMAINTHREAD' off the main thread.
 */
export function spawn(plan: SpawnPlan): ChildHandle {
  const namespaces = checkNamespaces(plan.namespaces);
  const dumpable = plan.dumpableWhilePaused ?? ((namespaces & CLONE.NEWUSER) !== 0 && process.geteuid?.() !== 0);
  return launch({ ...plan, dumpableWhilePaused: dumpable }, { namespaces, flags: 0, targetFd: -1 }, 'clone3');
}
