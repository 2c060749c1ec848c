/**
 * `state <id>` and `list`: the runtime-spec state of one or all containers, with runc's extra fields (rootfs,
 * created, owner). Reads state.json and /proc only: nothing else is loaded on this path.
 */
import type { RuntimeContext } from './context.js';
import { specVersion } from './oci-version.js';
import { deriveStatus, type ContainerStatus } from './container-status.js';
import { containerPaths, listIds, readRecord, type ContainerRecord } from './state-store.js';

/** The state JSON, field for field as runc prints it (annotations left out when empty, as runc's omitempty). */
export interface ContainerState {
  /**
   * The runtime-spec version the state complies with: ct's own (`specVersion`), as runc and crun give theirs
   * (runtime.md: "version of the Open Container Initiative Runtime Specification with which the state complies"),
   * not the config's.
   */
  readonly ociVersion: string;
  /** Container id. */
  readonly id: string;
  /** Init pid (0 once stopped, as runc). */
  readonly pid: number;
  /** Live status. */
  readonly status: ContainerStatus;
  /** Absolute bundle path. */
  readonly bundle: string;
  /** Absolute rootfs path. */
  readonly rootfs: string;
  /** RFC 3339 creation time. */
  readonly created: string;
  /** Creator's user name. */
  readonly owner: string;
  /** config.json's annotations, when there are any. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The public state of a record, with its live status. */
export function toContainerState(record: ContainerRecord, status: ContainerStatus): ContainerState {
  const state: ContainerState = {
    ociVersion: specVersion,
    id: record.id,
    pid: status === 'stopped' ? 0 : record.pid,
    status,
    bundle: record.bundle,
    rootfs: record.rootfs,
    created: record.created,
    owner: record.owner,
  };
  return Object.keys(record.annotations).length > 0 ? { ...state, annotations: record.annotations } : state;
}

/**
 * `state <id>`: the container's state; `ContainerNotFoundError` when there is none.
 * @throws RuntimeError EUSAGE (an id that is not a plain name), ContainerNotFoundError (ENOCONTAINER), RuntimeError
 *   ESTATEDIR (state.json is not JSON) or ESYSTEM (it cannot be read).
 */
export function containerState(ctx: RuntimeContext, id: string): ContainerState {
  const paths = containerPaths(ctx.stateRoot.path, id);
  const record = readRecord(paths, id);
  return toContainerState(record, deriveStatus(record, paths));
}

/** `list`: the states of every container under the state root (unreadable entries are skipped with a warning). */
export function listContainers(ctx: RuntimeContext): ContainerState[] {
  const states: ContainerState[] = [];
  for (const id of listIds(ctx.stateRoot.path)) {
    try {
      states.push(containerState(ctx, id));
    } catch (err) {
      ctx.logger.log('warning', `list: ${id}: ${(err as Error).message}`);
    }
  }
  return states;
}
