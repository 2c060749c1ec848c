/**
 * `ps <id>`: the host pids of a container's processes (go-runc reads `ps --format json` as a JSON array): those in
 * its cgroup's cgroup.procs (exec'd processes join it too), as runc lists them; a container without a cgroup
 * (rootless) by the init's pid namespace.
 *
 * Man pages: cgroups(7), pid_namespaces(7).
 */
import type { RuntimeContext } from './context.js';
import { cgroupPids } from './container-cgroup.js';
import { deriveStatus } from './container-status.js';
import { RuntimeError } from './errors.js';
import { containerPids } from './process-signal.js';
import { containerPaths, readRecord } from './state-store.js';

/**
 * The host pids of the container's processes; an error when it is not running.
 * @throws RuntimeError EUSAGE (an id that is not a plain name), ContainerNotFoundError (ENOCONTAINER),
 *   RuntimeError ENOTRUNNING (stopped, or still being created).
 */
export function containerProcesses(ctx: RuntimeContext, id: string): number[] {
  const paths = containerPaths(ctx.stateRoot.path, id);
  const record = readRecord(paths, id);
  const status = deriveStatus(record, paths);
  if (status === 'stopped' || status === 'creating') throw new RuntimeError('ENOTRUNNING', 'container not running');
  return cgroupPids(record) ?? containerPids({ pid: record.pid, startTime: record.initStartTime });
}
