/**
 * The pause points of a child, as one closed protocol: a union of labels, the `wait` step of each (with its
 * description for errors), and one driver that answers every pause through a handler per label (a handler object
 * must name every label: the type is exhaustive) and releases the child, until it has exec'd or reached the label
 * the caller stops at. runContainer and enterContainer both drive their children with it.
 *
 * Man pages: none (bookkeeping over @ct/syscalls' wait steps).
 */
import { NamespaceSetupError } from './errors.js';
import type { ChildHandle } from './internal/syscalls-port.js';
import { planned, type PlannedStep } from './planned-step.js';
import { SyscallError } from './errors.js';

/**
 * Where a child waits for its parent:
 * - 'id-maps': its new user namespace exists; the parent writes the maps (and runs `afterIdMaps`);
 * - 'cgroup': the parent moves it into the container's cgroup;
 * - 'namespaces': every namespace of the container exists and has its maps, nothing is mounted yet (`onNamespaces`:
 *   a network helper such as pasta starts here, on /proc/PID/ns/net, and gets ready while the child mounts);
 * - 'before-pivot-root': every mount is in place (OCI prestart/createRuntime hooks);
 * - 'lock-mounts', 'lock-maps': the mount-locking helper joins, then writes the inner maps;
 * - 'before-exec': everything is set up, exec is next (an OCI runtime records the container here; a detached
 *   process entering a container is left to itself from here);
 * - 'created': the create/start split's last pause before the exec FIFO.
 */
export type PauseLabel = 'id-maps' | 'cgroup' | 'namespaces' | 'before-pivot-root' | 'lock-mounts' | 'lock-maps' | 'before-exec' | 'created';

const LABELS: ReadonlySet<string> = new Set<PauseLabel>([
  'id-maps', 'cgroup', 'namespaces', 'before-pivot-root', 'lock-mounts', 'lock-maps', 'before-exec', 'created',
]);

/** What the child waits for at `label`, for errors ("wait for id maps: ..."). */
function describePause(label: PauseLabel): string {
  switch (label) {
    case 'id-maps': return 'wait for id maps';
    case 'cgroup': return 'wait for cgroup placement';
    case 'namespaces': return 'wait after the namespaces are made';
    case 'before-pivot-root': return 'wait before pivot_root';
    case 'lock-mounts': return 'wait before locking mounts';
    case 'lock-maps': return 'wait for inner id maps';
    case 'before-exec': return 'wait before exec';
    case 'created': return 'wait for create to finish';
    default: {
      const unknown: never = label;
      throw new TypeError(`unknown pause ${String(unknown)}`);
    }
  }
}

/** The `wait` step of a pause. */
export function pauseStep(label: PauseLabel): PlannedStep {
  return planned({ op: 'wait', label }, describePause(label));
}

/** One handler per pause label, run while the child waits there (with the pid of the paused process). */
export type PauseHandlers = { readonly [L in PauseLabel]: (pid: number) => void | Promise<void> };

/** A handler for labels a plan does not have: reaching one is a bug in the plan. */
export function unexpectedPause(label: PauseLabel): (pid: number) => never {
  return (pid) => { throw new TypeError(`child ${pid}: unexpected pause ${label}`); };
}

/** Turn a child's failure (or a parent-side open of a step's fd) into a NamespaceSetupError naming our step; `otherwise` names what failed when no step did. */
export function describeChildFailure(error: unknown, described: readonly PlannedStep[], pid: number | undefined, otherwise = 'spawn'): Error {
  if (error instanceof NamespaceSetupError) return error;
  if (error instanceof SyscallError && error.step !== undefined) {
    const step = described[error.step];
    if (step !== undefined) return new NamespaceSetupError(step.what, pid, error, step.object ?? error.path);
  }
  return new NamespaceSetupError(otherwise, pid, error instanceof Error ? error : new Error(String(error)));
}

/**
 * Answer `child`'s pauses with `handlers`, releasing it after each, until it has exec'd (resolves true) or was
 * released from `stopAt` (false). A step failure rejects with its NamespaceSetupError; so does a handler's error
 * (the child is left paused: the caller kills it).
 */
export async function drivePauses(
  child: ChildHandle, described: readonly PlannedStep[], handlers: PauseHandlers, stopAt?: PauseLabel,
): Promise<boolean> {
  for (;;) {
    let event;
    try {
      event = await child.nextEvent();
    } catch (error) {
      throw describeChildFailure(error, described, child.pid);
    }
    if (event.kind === 'exec') return true;
    const label = event.label;
    if (!LABELS.has(label)) throw new TypeError(`child ${child.pid}: pause with an unknown label ${JSON.stringify(label)}`);
    await handlers[label as PauseLabel](child.pid);
    child.release();
    if (label === stopAt) return false;
  }
}
