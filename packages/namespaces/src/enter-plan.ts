/**
 * The child plan of a process entering a running container (runc's setns init: `runc exec`, OCI hooks run in the
 * container, Guix's container-excursion), in runc's order: the parent-death signal cleared for a process that must
 * outlive its caller, the cgroup pause, the container's session keyring, the console, rlimits, seccomp (here when
 * there is no no_new_privs: loading it needs CAP_SYS_ADMIN, before the capabilities go), capabilities around the
 * id switch (setgroups as the container's /proc/PID/setgroups allows), umask, no_new_privs, the working directory,
 * the last pause, seccomp with no_new_privs, exec.
 *
 * Man pages: setns(2), capabilities(7), setgroups(2), seccomp(2), prctl(2), execve(2).
 */
import { type CapabilityMasks, planCapabilities } from './capabilities.js';
import { purifyEnvironment } from './environment.js';
import { ContainerSpecError } from './errors.js';
import type { SpawnPlan } from './internal/syscalls-port.js';
import { pauseStep } from './pause-protocol.js';
import { planned, type PlannedStep } from './planned-step.js';
import { planRlimits, type Rlimit } from './rlimits.js';
import type { CompiledSeccomp } from './seccomp/compile.js';
import type { CommandSpec, ConsoleSpec, FdPassing, StdioSpec } from './spec.js';

/** A process entering a container, its settings resolved (enter-container.ts checks and fills them). */
export interface ResolvedEnterProcess {
  readonly command: Required<CommandSpec>;
  /** The program exec'd (argv[0] when not given), searched in PATH when it has no slash and `search`. */
  readonly path: string;
  readonly search: boolean;
  /** The caller opens `path` and the process execs that fd (a host program, after the container's mnt join). */
  readonly preopen: boolean;
  /** Ids to switch to (undefined: keep the caller's, as a hook does). */
  readonly ids: { readonly uid: number; readonly gid: number; readonly additionalGids: readonly number[] } | undefined;
  /** Capability sets (undefined: keep the caller's). */
  readonly capabilities: CapabilityMasks | undefined;
  readonly noNewPrivileges: boolean;
  readonly umask: number | undefined;
  /** Clamped by the caller. */
  readonly rlimits: readonly Rlimit[];
  readonly seccomp: CompiledSeccomp | undefined;
  /** The container's session keyring to join (by name), if any. */
  readonly sessionKeyring: string | undefined;
  readonly console: ConsoleSpec | undefined;
  readonly stdio: StdioSpec;
  readonly extraFds: readonly FdPassing[];
}

/** What the plan needs beyond the process. */
export interface EnterPlanContext {
  /** Whether the container's user namespace allows setgroups (its /proc/PID/setgroups). */
  readonly setgroupsAllowed: boolean;
  /** Pause (label 'cgroup') for the placement in the container's cgroup. */
  readonly pauseForCgroup: boolean;
  /** Pause (label 'before-exec') right before exec. */
  readonly pauseBeforeExec: boolean;
  /** Clear the parent-death signal first: the process outlives the caller (a detached exec). */
  readonly outliveCaller: boolean;
}

/** The steps of an entering process (enter() adds the join), and their descriptions. */
export function buildEnterPlan(p: ResolvedEnterProcess, ctx: EnterPlanContext): { plan: Omit<SpawnPlan, 'namespaces'>; described: PlannedStep[] } {
  const steps: PlannedStep[] = [];
  if (ctx.outliveCaller) steps.push(planned({ op: 'pdeathsig', signal: 0 }, 'clear parent-death signal'));
  if (ctx.pauseForCgroup) steps.push(pauseStep('cgroup'));
  if (p.sessionKeyring !== undefined) steps.push(planned({ op: 'sessionKeyring', name: p.sessionKeyring }, 'join session keyring', p.sessionKeyring));
  if (p.console !== undefined) {
    const { socketPath, rows, cols } = p.console;
    steps.push(planned({ op: 'console', socketPath, ...(rows === undefined || cols === undefined ? {} : { rows, cols }) }, 'console', socketPath));
  }
  steps.push(...planRlimits(p.rlimits));
  const seccomp = p.seccomp === undefined ? undefined : planned({ op: 'seccomp', bpf: p.seccomp.bpf, flags: p.seccomp.flags }, 'load seccomp filter');
  if (seccomp !== undefined && !p.noNewPrivileges) steps.push(seccomp);
  if (p.ids !== undefined) {
    const caps = planCapabilities(p.capabilities, p.ids.uid, true);
    steps.push(...caps.before);
    if (ctx.setgroupsAllowed) steps.push(planned({ op: 'setgroups', gids: p.ids.additionalGids }, 'setgroups'));
    else if (p.ids.additionalGids.length > 0) {
      throw new ContainerSpecError('additionalGids', 'setgroups is denied in the container\'s user namespace');
    }
    steps.push(
      planned({ op: 'setresgid', gid: p.ids.gid }, 'setresgid', String(p.ids.gid)),
      planned({ op: 'setresuid', uid: p.ids.uid }, 'setresuid', String(p.ids.uid)),
      ...caps.after,
    );
  } else {
    steps.push(...planCapabilities(p.capabilities, 0, false).after);
  }
  if (p.umask !== undefined) steps.push(planned({ op: 'umask', mask: p.umask }, 'umask'));
  if (p.noNewPrivileges) steps.push(planned({ op: 'noNewPrivs' }, 'set no_new_privs'));
  steps.push(planned({ op: 'chdir', path: p.command.cwd }, 'chdir', p.command.cwd));
  if (ctx.pauseBeforeExec) steps.push(pauseStep('before-exec'));
  if (seccomp !== undefined && p.noNewPrivileges) steps.push(seccomp);
  steps.push(planned({
    op: 'exec', path: p.path, argv: p.command.argv, env: purifyEnvironment(p.command.env), search: p.search && !p.path.includes('/'),
    ...(p.preopen ? { preopen: true } : {}),
  }, 'exec', p.path));
  const fds = [{ from: p.stdio[0], to: 0 }, { from: p.stdio[1], to: 1 }, { from: p.stdio[2], to: 2 }, ...p.extraFds];
  return { plan: { steps: steps.map((s) => s.step), fds }, described: steps };
}
