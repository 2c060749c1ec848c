/**
 * The whole child plan of a container (GUIX.md §1d, child side): pause for the id maps, become container root when
 * the caller's ids are not mapped, the cgroup pause and deferred cgroup/time namespaces, hostname and domainname,
 * the mount plan, masked and read-only paths, mount locking (a second user+mnt namespace whose maps the parent
 * writes at a second pause), oom_score_adj/rlimits/umask, cwd, seccomp (here when there is no no_new_privs),
 * capabilities around the switch to the guest ids (runc's finalizeNamespace order), the parent-death signal,
 * no_new_privs, the exec FIFO, seccomp (with no_new_privs: last), and exec of the command or of our init.
 * Each step carries its description for errors.
 *
 * Man pages: clone(2), unshare(2), user_namespaces(7), mount_namespaces(7) ("locked mounts"), prctl(2),
 * setresuid(2), execve(2).
 */
import { INIT_PATH_INSIDE } from './dev-plan.js';
import { type IdMapPlan, setgroupsAllowed } from './id-map.js';
import type { SpawnPlan } from './internal/syscalls-port.js';
import { mountFileSystems, type MountPlanContext } from './mount-plan.js';
import { CLONE_FLAGS, type NamespaceKind } from './namespaces.js';
import { planNamespaces } from './namespace-plan.js';
import { pauseStep } from './pause-protocol.js';
import { planned, type PlannedStep } from './planned-step.js';
import { hasNamespace, isNewNamespace, type ResolvedContainerSpec } from './spec.js';
import { purifyEnvironment } from './environment.js';
import { planCapabilities } from './capabilities.js';
import {
  cgroupNsDeferred, pathKindContext, planEarlySteps, planExecFifo, planProcessAttributes, planRootSteps, seccompStep,
  timeNsDeferred,
} from './confinement-plan.js';
import { ContainerSpecError } from './errors.js';
import { hostPathKind, type PathKind } from './masked-paths.js';
import type { Rlimit } from './rlimits.js';
import { compileSeccomp, type CompiledSeccomp } from './seccomp/compile.js';

const SIGKILL = 9;

/** Everything the plan needs beyond the spec. */
export interface ChildPlanContext extends Omit<MountPlanContext, 'pauseBeforePivotRoot'> {
  /** The planned maps (undefined without a new user namespace). */
  readonly idMaps: IdMapPlan | undefined;
  /** The caller's effective uid. */
  readonly euid: number;
  /** The caller's effective gid. */
  readonly egid: number;
  /** Pause after the id maps even without a user namespace (a lifecycle hook wants it). */
  readonly pauseAfterIdMaps: boolean;
  /** Pause (label 'namespaces') once every namespace exists, before the mounts. Default false. */
  readonly pauseAfterNamespaces?: boolean;
  /** Pause before pivot_root. */
  readonly pauseBeforePivotRoot: boolean;
  /** Pause before exec. */
  readonly pauseBeforeExec: boolean;
  /** Pause (label 'cgroup') for the cgroup placement (default: when the spec has a cgroup). */
  readonly pauseForCgroup?: boolean;
  /** The rlimits after clamping (default the spec's). */
  readonly rlimits?: readonly Rlimit[];
  /** What a container path is, for masked/read-only paths (default looked up on the host: `hostPathKind`). */
  readonly pathKind?: (inside: string) => PathKind;
  /** The compiled seccomp filter (default compiled here from the spec's profile). */
  readonly seccomp?: CompiledSeccomp;
  /** The caller's fd of the exec FIFO (O_PATH), needed with `execFifo`. */
  readonly execFifoFd?: number;
  /** The caller's user namespace denies setgroups (matters without a new user namespace). Default false. */
  readonly setgroupsDenied?: boolean;
}

/** A plan and the description of each of its steps (same indices). */
export interface ChildPlan {
  /** The plan for @ct/syscalls' spawn. */
  readonly plan: SpawnPlan;
  /** Each step with what it does: a failing step's error names it (`mount proc: /proc: EPERM`). */
  readonly described: readonly PlannedStep[];
}

function switchIds(uid: number, gid: number, setgroups: boolean, groups: readonly number[]): PlannedStep[] {
  const steps: PlannedStep[] = [];
  if (setgroups) steps.push(planned({ op: 'setgroups', gids: groups }, 'setgroups'));
  steps.push(
    planned({ op: 'setresgid', gid }, 'setresgid', String(gid)),
    planned({ op: 'setresuid', uid }, 'setresuid', String(uid)),
  );
  return steps;
}

function execStep(spec: ResolvedContainerSpec, ctx: ChildPlanContext): PlannedStep {
  const env = purifyEnvironment(spec.command.env);
  const argv = spec.command.argv;
  const wrapper = spec.confinement.execWrapper;
  if (wrapper !== undefined) {
    if (spec.init) throw new ContainerSpecError('execWrapper', 'cannot be combined with init');
    return planned({ op: 'exec', path: wrapper.path, argv: [...wrapper.argv, ...argv], env, search: false, preopen: true }, 'exec', wrapper.path);
  }
  if (spec.init) {
    if (ctx.initPath === undefined) throw new TypeError('buildChildPlan: init requested without an initPath');
    const inside = spec.root.kind === 'host' ? ctx.initPath : INIT_PATH_INSIDE;
    return planned({ op: 'exec', path: inside, argv: ['ct-init', '--', ...argv], env, search: false }, 'exec', inside);
  }
  const program = argv[0] ?? '';
  return planned({ op: 'exec', path: program, argv, env, search: !program.includes('/') }, 'exec', program);
}

/**
 * Build the child plan of a container.
 * @throws ContainerSpecError (`execWrapper` with `init`; `additionalGids` where setgroups is denied); TypeError
 *   when `ctx` lacks what the spec needs (an `initPath`, an `execFifoFd`).
 */
export function buildChildPlan(spec: ResolvedContainerSpec, ctx: ChildPlanContext): ChildPlan {
  const newUser = isNewNamespace(spec, 'user');
  const c = spec.confinement;
  const steps: PlannedStep[] = [];
  const cgroupPause = ctx.pauseForCgroup ?? c.cgroup !== undefined;
  const maps = ctx.idMaps;
  // A new ipc namespace made by the clone would belong to ids its user namespace does not map yet: its mqueue root
  // would be 65534:65534. Made after the switch to the container's root, it is root's (runc unshares it after its
  // setresuid(0) too).
  const ipcAfterIds = newUser && maps?.setupIds !== undefined && isNewNamespace(spec, 'ipc');
  const deferred = new Set<NamespaceKind>([
    ...(cgroupNsDeferred(spec, cgroupPause) ? ['cgroup' as const] : []), ...(timeNsDeferred(spec) ? ['time' as const] : []),
    ...(ipcAfterIds ? ['ipc' as const] : []),
  ]);
  const namespaces = planNamespaces(spec, deferred);
  steps.push(...namespaces.steps);
  if (spec.killOnParentDeath) steps.push(planned({ op: 'pdeathsig', signal: SIGKILL }, 'set parent-death signal'));
  if (newUser || ctx.pauseAfterIdMaps) steps.push(pauseStep('id-maps'));
  if (newUser && maps?.setupIds !== undefined) {
    steps.push(...switchIds(maps.setupIds.uid, maps.setupIds.gid, setgroupsAllowed(maps), []));
  }
  if (ipcAfterIds) steps.push(planned({ op: 'unshare', flags: CLONE_FLAGS.ipc }, 'unshare ipc namespace'));
  steps.push(...planEarlySteps(spec, cgroupPause));
  // the deferred namespaces (cgroup, time, ipc) are made by now
  if (ctx.pauseAfterNamespaces === true) steps.push(pauseStep('namespaces'));
  if (spec.hostname !== undefined) steps.push(planned({ op: 'sethostname', name: spec.hostname }, 'sethostname', spec.hostname));
  steps.push(...mountFileSystems(spec, {
    ...ctx, pauseBeforePivotRoot: ctx.pauseBeforePivotRoot, mknodDevices: ctx.mknodDevices ?? (!hasNamespace(spec, 'user') && ctx.euid === 0),
  }));
  const kindCtx = pathKindContext(spec, ctx.rootDir);
  steps.push(...planRootSteps(spec, ctx.pathKind ?? ((inside) => hostPathKind(inside, kindCtx))));
  if (spec.lockMounts) {
    // The inner namespace's maps can only be written by a process in the outer one with CAP_SETUID there (the
    // parent enters one at the first pause); Guix writes them from inside and fails with ranges or as root.
    steps.push(
      pauseStep('lock-mounts'),
      planned({ op: 'unshare', flags: CLONE_FLAGS.user | CLONE_FLAGS.mnt }, 'lock mounts: unshare'),
      pauseStep('lock-maps'),
    );
  }
  steps.push(...planProcessAttributes(spec, ctx.rlimits ?? c.rlimits));
  steps.push(planned({ op: 'chdir', path: spec.command.cwd }, 'chdir', spec.command.cwd));
  const seccomp = c.seccomp === undefined ? undefined : ctx.seccomp ?? compileSeccomp(c.seccomp);
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: before the capabilities go.
  if (seccomp !== undefined && !c.noNewPrivileges) steps.push(seccompStep(seccomp));
  const switchesIds = newUser || spec.guestUid !== ctx.euid || spec.guestGid !== ctx.egid;
  // An unprivileged caller without a new user namespace has no capabilities to keep and may not drop the
  // bounding set (CAP_SETPCAP): the default set means nothing there; an explicit one still fails at its step.
  const capsDefaultMoot = c.capabilitiesDefaulted && !newUser && ctx.euid !== 0;
  const caps = planCapabilities(capsDefaultMoot ? undefined : c.capabilities, spec.guestUid, switchesIds);
  steps.push(...caps.before);
  if (switchesIds || c.additionalGids.length > 0) {
    // What /proc/PID/setgroups will say: a new user namespace's as planned, else the caller's own.
    const setgroups = maps === undefined ? ctx.euid === 0 && ctx.setgroupsDenied !== true : setgroupsAllowed(maps);
    if (!setgroups && c.additionalGids.length > 0) {
      // runc refuses them too ("cannot set any additional groups in a rootless container").
      throw new ContainerSpecError('additionalGids', 'setgroups is denied in this user namespace (a single-id map, or denied by the caller\'s)');
    }
    steps.push(...switchIds(spec.guestUid, spec.guestGid, setgroups, c.additionalGids));
    // A change of credentials clears the parent-death signal: set it again.
    if (spec.killOnParentDeath) steps.push(planned({ op: 'pdeathsig', signal: SIGKILL }, 'set parent-death signal'));
  }
  steps.push(...caps.after);
  if (c.noNewPrivileges) steps.push(planned({ op: 'noNewPrivs' }, 'set no_new_privs'));
  if (ctx.pauseBeforeExec) steps.push(pauseStep('before-exec'));
  const fds = [{ from: spec.stdio[0], to: 0 }, { from: spec.stdio[1], to: 1 }, { from: spec.stdio[2], to: 2 }, ...spec.extraFds];
  let fifo: PlannedStep[] = [];
  if (c.execFifo !== undefined) {
    if (ctx.execFifoFd === undefined) throw new TypeError('buildChildPlan: execFifo without an execFifoFd');
    const to = Math.max(...fds.map((f) => f.to)) + 1;
    fds.push({ from: ctx.execFifoFd, to });
    fifo = planExecFifo(to);
  }
  // The "created" pause of the exec FIFO is the last one: the parent-death signal is cleared after it.
  steps.push(...fifo.slice(0, 1));
  if (spec.killOnParentDeath === 'until-exec') steps.push(planned({ op: 'pdeathsig', signal: 0 }, 'clear parent-death signal'));
  steps.push(...fifo.slice(1));
  if (seccomp !== undefined && c.noNewPrivileges) steps.push(seccompStep(seccomp));
  steps.push(execStep(spec, ctx));
  const dumpable = namespaces.userByUnshare && ctx.euid !== 0 ? { dumpableWhilePaused: true } : {};
  return {
    plan: { namespaces: namespaces.cloneFlags, steps: steps.map((s) => s.step), fds, ...dumpable },
    described: steps,
  };
}
