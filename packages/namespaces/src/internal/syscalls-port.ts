/**
 * The seam between @ct/namespaces and the kernel: every clone, setns and child step goes through a `Syscalls`
 * object (STYLE.md: "Calls the kernel only through a Syscalls interface"). The default is @ct/syscalls; unit
 * tests pass a fake that records plans and scripts child events.
 *
 * The plan types are the contract in @ct/syscalls' plan.ts.
 *
 * Man pages: clone3(2), setns(2), pidfd_open(2).
 */
import type { ChildHandle, SpawnPlan } from '@ct/syscalls';

export type {
  ChildEvent, ChildHandle, ExitStatus, InRoot, SpawnPlan, Step, StepOp,
} from '@ct/syscalls';

/** How `enter` joins (@ct/syscalls' EnterOptions). */
export interface EnterJoinOptions {
  /** Join the owner of the target's pid namespace instead of its own user namespace (Guix's excursion). */
  readonly userOfPidNamespace?: boolean;
}

/** The kernel operations this package needs. */
export interface Syscalls {
  /** Clone a child into new namespaces and run its plan (@ct/syscalls `spawn`). */
  spawn(plan: SpawnPlan): ChildHandle | Promise<ChildHandle>;
  /**
   * Fork a child that joins the namespaces `namespaces` (CLONE_NEW* flags) of process `target` (user first,
   * mnt last, forking again for a pid ns) and runs `plan.steps` (@ct/syscalls `enter`).
   */
  enter(target: number, namespaces: number, plan: Omit<SpawnPlan, 'namespaces'>, options?: EnterJoinOptions): ChildHandle | Promise<ChildHandle>;
}
