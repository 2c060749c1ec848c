/**
 * What a `ct container run --restart` container keeps between its runs, in its bundle: `restart.json` (podman's
 * RestartCount and StoppedByUser) and `restart.lock`, the lock that orders the monitor's restarts against the
 * user's verbs. The monitor holds it from its last look at the record until the new run's state is written (the
 * old state deleted, the new container created and started); `container stop`, `kill` and `rm` take it to mark
 * the container stopped by the user before they signal or remove it. So either the monitor sees the mark and does
 * not restart, or the user's verb finds the new run's state and stops or removes that one: a restart never
 * happens after a stop, and `rm -f` during a restart leaves no container behind. `container start` takes it too,
 * to clear the mark and the count (podman resets both when the user starts a container).
 * The lock file is opened inside the bundle without creating directories: a bundle removed meanwhile (rm) gives
 * ENOENT, and the caller takes that as "removed".
 * Man pages: flock(2), rename(2).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireLock, type ContainerLock } from '../lock.js';
import { writeFileAtomic } from '../state-store.js';
import { NO_RESTART, restartPolicyOf, type RestartPolicy } from './restart-policy.js';

/** The restart record of a container. */
export interface RestartRecord {
  /** Restarts done by the policy since the user last started it (podman's RestartCount). */
  readonly count: number;
  /** The user stopped, killed or removed it: no restart until the user starts it again (podman's StoppedByUser). */
  readonly stoppedByUser: boolean;
}

const EMPTY: RestartRecord = { count: 0, stoppedByUser: false };

/** The record's file in `bundle`. */
export function restartRecordFile(bundle: string): string {
  return join(bundle, 'restart.json');
}

/** The record of the container whose bundle is `bundle` (none yet: count 0, not stopped). */
export function readRestartRecord(bundle: string): RestartRecord {
  try {
    const r = JSON.parse(readFileSync(restartRecordFile(bundle), 'utf8')) as Partial<RestartRecord>;
    return { count: typeof r.count === 'number' ? r.count : 0, stoppedByUser: r.stoppedByUser === true };
  } catch {
    return EMPTY;
  }
}

/** The restart policy `container run` kept in the bundle's run.json (none, or unreadable: `no`). */
export function readRestartPolicy(bundle: string): RestartPolicy {
  try {
    const settings = JSON.parse(readFileSync(join(bundle, 'run.json'), 'utf8')) as { restart?: unknown };
    return restartPolicyOf(settings.restart) ?? NO_RESTART;
  } catch {
    return NO_RESTART;
  }
}

/** Write the record of `bundle` (atomically: readers never see half of it). */
export function writeRestartRecord(bundle: string, record: RestartRecord): void {
  writeFileAtomic(restartRecordFile(bundle), JSON.stringify(record), 0o644);
}

/**
 * Run `fn` holding the restart lock of `bundle`; resolves with undefined, without running `fn`, when the bundle is
 * gone (the container was removed).
 */
export async function withRestartLock<T>(bundle: string, fn: () => Promise<T> | T): Promise<T | undefined> {
  let lock: ContainerLock;
  try {
    lock = await acquireLock(join(bundle, 'restart.lock'));
  } catch (err) {
    // the lock's open failed: the bundle was removed (or moved aside by a delete)
    if (!existsSync(bundle)) return undefined;
    throw err;
  }
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/**
 * Mark the container of `bundle` stopped by the user, before the user's stop, kill or removal acts: its monitor
 * restarts it no more. A bundle without a restart policy gets the mark too (cheap, and harmless). A bundle that is
 * gone is left so. `when`: mark only if it says so, asked holding the lock (a monitor's restart is not under way).
 */
export async function markStoppedByUser(bundle: string, when: () => boolean = () => true): Promise<void> {
  await withRestartLock(bundle, () => {
    if (!when()) return;
    const r = readRestartRecord(bundle);
    if (!r.stoppedByUser) writeRestartRecord(bundle, { ...r, stoppedByUser: true });
  });
}

/** What the monitor records in exit.json when a restart failed: the last exit's status, and why the restart failed. */
export interface RestartFailure {
  /** The last run's exit status. */
  readonly status: number;
  /** When that run exited (RFC 3339). */
  readonly finished?: string;
  /** Why the restart failed (inspect's State.Error). */
  readonly error: string;
}

/**
 * The restart failure recorded in the exit.json of `bundle`, if any. A container whose restart failed has no state
 * (the last run's was deleted before the new run's create): this record keeps it a container, exited, for `ps`,
 * `inspect`, `logs`, `start` and `rm` (image-containers.ts), and its name in use (image-run-claim.ts), as podman
 * keeps a container whose restart failed.
 */
export function readRestartFailure(bundle: string): RestartFailure | undefined {
  try {
    const r = JSON.parse(readFileSync(join(bundle, 'exit.json'), 'utf8')) as Partial<RestartFailure>;
    return typeof r.status === 'number' && typeof r.error === 'string'
      ? { status: r.status, error: r.error, ...(typeof r.finished === 'string' ? { finished: r.finished } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

/** Record in the exit.json of `bundle` that the restart failed with `error` (the last exit's record kept). */
export function writeRestartFailure(bundle: string, error: string): void {
  let last: { status?: unknown; finished?: unknown } = {};
  try {
    last = JSON.parse(readFileSync(join(bundle, 'exit.json'), 'utf8')) as typeof last;
  } catch {
    // none recorded (not for a restart: the monitor records the exit first): the status is unknown
  }
  const record: RestartFailure = {
    status: typeof last.status === 'number' ? last.status : -1, error,
    ...(typeof last.finished === 'string' ? { finished: last.finished } : {}),
  };
  writeFileAtomic(join(bundle, 'exit.json'), JSON.stringify(record), 0o644);
}

/** Clear the mark and the count (the user starts the container: podman's init without retained retries). */
export function resetRestartRecord(bundle: string): void {
  writeRestartRecord(bundle, EMPTY);
}
