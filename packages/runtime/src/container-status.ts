/**
 * A container's status, derived live (never trusted from disk): the init is alive when its pid exists, is not a
 * zombie and has the start time recorded at create; an alive init that still has the exec FIFO is `created`
 * (blocked before exec), otherwise `running`; a dead one is `stopped`. `creating` is recorded while `create` runs
 * and holds only while that `ct create` process lives.
 *
 * Man pages: proc_pid_stat(5), fifo(7).
 */
import { existsSync } from 'node:fs';
import { isCgroupFrozen } from './container-cgroup.js';
import { readProcStat } from './proc-stat.js';
import type { ContainerPaths, ContainerRecord } from './state-store.js';

/** The statuses runc reports (`paused`: the container's cgroup is frozen). */
export type ContainerStatus = 'creating' | 'created' | 'running' | 'stopped' | 'paused';

/** Seams for tests: where /proc is and how a path's existence is checked. */
export interface StatusProbe {
  /** /proc (tests give a temp dir with fake PID/stat files). */
  readonly procRoot?: string;
  /** existsSync by default. */
  readonly exists?: (path: string) => boolean;
}

/** True when the record's init is alive: pid present, not a zombie, start time unchanged. */
export function isInitAlive(record: ContainerRecord, probe: StatusProbe = {}): boolean {
  if (record.pid <= 0) return false;
  const stat = readProcStat(record.pid, probe.procRoot);
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return false;
  return String(stat.startTime) === record.initStartTime;
}

/** The live status of a recorded container. */
export function deriveStatus(record: ContainerRecord, paths: ContainerPaths, probe: StatusProbe = {}): ContainerStatus {
  if (record.creating === true) {
    // a `ct create` that was killed half-way leaves this record: once its creator is gone it is stopped
    const creator = record.creator;
    const stat = creator === undefined ? undefined : readProcStat(creator.pid, probe.procRoot);
    return stat !== undefined && stat.state !== 'Z' && String(stat.startTime) === creator?.startTime ? 'creating' : 'stopped';
  }
  if (!isInitAlive(record, probe)) return 'stopped';
  if (isCgroupFrozen(record)) return 'paused';
  const exists = probe.exists ?? existsSync;
  return exists(paths.execFifo) ? 'created' : 'running';
}
