/**
 * `ps <id>`: the host pids of a container's processes (go-runc reads `ps --format json` as a JSON array). Without
 * cgroups (issue 9) the processes are found by the init's pid namespace.
 *
 * Man pages: pid_namespaces(7).
 */
import type { RuntimeContext } from './context.js';
import { deriveStatus } from './container-status.js';
import { RuntimeError } from './errors.js';
import { containerPids } from './process-signal.js';
import { containerPaths, readRecord } from './state-store.js';

/** The host pids of the container's processes (init first); an error when it is not running. */
export function containerProcesses(ctx: RuntimeContext, id: string): number[] {
  const paths = containerPaths(ctx.stateRoot.path, id);
  const record = readRecord(paths, id);
  const status = deriveStatus(record, paths);
  if (status === 'stopped' || status === 'creating') throw new RuntimeError('ENOTRUNNING', 'container not running');
  return containerPids({ pid: record.pid, startTime: record.initStartTime });
}
