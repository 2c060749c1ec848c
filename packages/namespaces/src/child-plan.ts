/**
 * The whole child plan of a container (GUIX.md §1d, child side): pause for the id maps, become container root when
 * the caller's ids are not mapped, hostname, the mount plan, mount locking (a second user+mnt namespace whose
 * maps the parent writes at a second pause), cwd, the guest ids, the parent-death signal, and exec of the command
 * or of our init. Each step carries its description for errors.
 *
 * Man pages: clone(2), unshare(2), user_namespaces(7), mount_namespaces(7) ("locked mounts"), prctl(2),
 * setresuid(2), execve(2).
 */
import { INIT_PATH_INSIDE } from './dev-plan.js';
import { type IdMapPlan, setgroupsAllowed } from './id-map.js';
import type { SpawnPlan } from './internal/syscalls-port.js';
import { mountFileSystems, type MountPlanContext } from './mount-plan.js';
import { CLONE_FLAGS, namespacesToBitMask } from './namespaces.js';
import { planned, type PlannedStep } from './planned-step.js';
import { isNewNamespace, type ResolvedContainerSpec } from './spec.js';
import { purifyEnvironment } from './environment.js';

/** Labels of the child's `wait` steps, in order; the parent acts at each. */
export const WAIT_LABELS = Object.freeze({
  idMaps: 'id-maps',
  beforePivotRoot: 'before-pivot-root',
  lockMounts: 'lock-mounts',
  lockMaps: 'lock-maps',
  beforeExec: 'before-exec',
} as const);

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
  /** Pause before pivot_root. */
  readonly pauseBeforePivotRoot: boolean;
  /** Pause before exec. */
  readonly pauseBeforeExec: boolean;
}

/** A plan and the description of each of its steps (same indices). */
export interface ChildPlan {
  readonly plan: SpawnPlan;
  readonly described: readonly PlannedStep[];
}

function switchIds(uid: number, gid: number, setgroups: boolean): PlannedStep[] {
  const steps: PlannedStep[] = [];
  if (setgroups) steps.push(planned({ op: 'setgroups', gids: [] }, 'setgroups'));
  steps.push(
    planned({ op: 'setresgid', gid }, 'setresgid', String(gid)),
    planned({ op: 'setresuid', uid }, 'setresuid', String(uid)),
  );
  return steps;
}

function execStep(spec: ResolvedContainerSpec, ctx: ChildPlanContext): PlannedStep {
  const env = purifyEnvironment(spec.command.env);
  const argv = spec.command.argv;
  if (spec.init) {
    if (ctx.initPath === undefined) throw new TypeError('buildChildPlan: init requested without an initPath');
    const inside = spec.root.kind === 'host' ? ctx.initPath : INIT_PATH_INSIDE;
    return planned({ op: 'exec', path: inside, argv: ['ct-init', '--', ...argv], env, search: false }, 'exec', inside);
  }
  const program = argv[0] ?? '';
  return planned({ op: 'exec', path: program, argv, env, search: !program.includes('/') }, 'exec', program);
}

/** Build the child plan of a container. */
export function buildChildPlan(spec: ResolvedContainerSpec, ctx: ChildPlanContext): ChildPlan {
  const newUser = isNewNamespace(spec, 'user');
  const steps: PlannedStep[] = [];
  if (spec.killOnParentDeath) steps.push(planned({ op: 'pdeathsig', signal: SIGKILL }, 'set parent-death signal'));
  for (const ns of spec.namespaces) {
    // Joined namespaces: user first so the others are joined with its capabilities, mnt last (paths).
    if (ns.path !== undefined && ns.kind === 'user') steps.push(planned({ op: 'setns', path: ns.path, nstype: CLONE_FLAGS.user }, 'setns', ns.path));
  }
  for (const ns of spec.namespaces) {
    if (ns.path !== undefined && ns.kind !== 'user' && ns.kind !== 'mnt') {
      steps.push(planned({ op: 'setns', path: ns.path, nstype: CLONE_FLAGS[ns.kind] }, 'setns', ns.path));
    }
  }
  const joinedMnt = spec.namespaces.find((ns) => ns.kind === 'mnt' && ns.path !== undefined);
  if (joinedMnt?.path !== undefined) steps.push(planned({ op: 'setns', path: joinedMnt.path, nstype: CLONE_FLAGS.mnt }, 'setns', joinedMnt.path));
  if (newUser || ctx.pauseAfterIdMaps) steps.push(planned({ op: 'wait', label: WAIT_LABELS.idMaps }, 'wait for id maps'));
  const maps = ctx.idMaps;
  if (newUser && maps?.setupIds !== undefined) {
    steps.push(...switchIds(maps.setupIds.uid, maps.setupIds.gid, setgroupsAllowed(maps)));
  }
  if (spec.hostname !== undefined) steps.push(planned({ op: 'sethostname', name: spec.hostname }, 'sethostname', spec.hostname));
  steps.push(...mountFileSystems(spec, { ...ctx, pauseBeforePivotRoot: ctx.pauseBeforePivotRoot }));
  if (spec.lockMounts) {
    // The inner namespace's maps can only be written by a process in the outer one with CAP_SETUID there (the
    // parent enters one at the first pause); Guix writes them from inside and fails with ranges or as root.
    steps.push(
      planned({ op: 'wait', label: WAIT_LABELS.lockMounts }, 'wait before locking mounts'),
      planned({ op: 'unshare', flags: CLONE_FLAGS.user | CLONE_FLAGS.mnt }, 'lock mounts: unshare'),
      planned({ op: 'wait', label: WAIT_LABELS.lockMaps }, 'wait for inner id maps'),
    );
  }
  steps.push(planned({ op: 'chdir', path: spec.command.cwd }, 'chdir', spec.command.cwd));
  if (newUser || spec.guestUid !== ctx.euid || spec.guestGid !== ctx.egid) {
    steps.push(...switchIds(spec.guestUid, spec.guestGid, maps === undefined ? ctx.euid === 0 : setgroupsAllowed(maps)));
    // A change of credentials clears the parent-death signal: set it again.
    if (spec.killOnParentDeath) steps.push(planned({ op: 'pdeathsig', signal: SIGKILL }, 'set parent-death signal'));
  }
  if (ctx.pauseBeforeExec) steps.push(planned({ op: 'wait', label: WAIT_LABELS.beforeExec }, 'wait before exec'));
  steps.push(execStep(spec, ctx));
  const newKinds = spec.namespaces.filter((ns) => ns.path === undefined).map((ns) => ns.kind);
  const [in0, out1, err2] = spec.stdio;
  return {
    plan: {
      namespaces: namespacesToBitMask(newKinds),
      steps: steps.map((s) => s.step),
      fds: [{ from: in0, to: 0 }, { from: out1, to: 1 }, { from: err2, to: 2 }, ...spec.extraFds],
    },
    described: steps,
  };
}
