/**
 * `delete <id>` (`--force`): removes a stopped container's state; a created one is killed first (runc and crun
 * allow it and containerd's shim relies on it); a running or paused one only with --force. What a create killed
 * half-way left (issue 24) goes too: its record names the cgroups it planned before it made them, and the init it
 * may have cloned is found in them, or by the exec FIFO it holds open (ct-exec-fifo keeps a descriptor of
 * it until `start`; the cloned child holds it from the clone), when the record does not name its pid yet.
 *
 * Man pages: kill(2), rmdir(2), proc_pid_fd(5).
 */
import { existsSync, readdirSync, readlinkSync, rmdirSync, rmSync } from 'node:fs';
import type { RuntimeContext } from './context.js';
import { deriveStatus } from './container-status.js';
import { RuntimeError, errnoCode, systemError } from './errors.js';
import { withLock } from './lock.js';
import { hookState, runHooksWarning } from './hook-state.js';
import { isCgroupFrozen, signalCgroup, thawRecorded } from './container-cgroup.js';
import { readProcStat } from './proc-stat.js';
import { signalAll, signalIfSame, waitForExit, type RecordedProcess } from './process-signal.js';
import { stopForTest } from './test-stop.js';
import { containerPaths, readRecord, removeContainerDir, type ContainerPaths, type ContainerRecord } from './state-store.js';

/** Options of `delete`. */
export interface DeleteOptions {
  /** Kill a running container first. */
  readonly force?: boolean;
  /** Keep the bundle and root `ct container run` made (`container start` runs them again). */
  readonly keepImageBundle?: boolean;
}

/**
 * Remove the container's cgroup directories, retrying while the last processes leave them (rmdir: EBUSY), then the
 * parents create made for a nested cgroupsPath (`parents`, deepest first) while they are empty: one still holding
 * another cgroup (EBUSY, ENOTEMPTY) is left. A fake cgroupfs (`fake`: CT_CGROUP_ROOT, tests) is plain directories
 * whose interface files must go with them (a parent there only when no directory is left in it). `planned`: the
 * directories are only what a create may have made, so one we may not remove (EACCES, EPERM) is not ours and is left.
 */
export async function removeCgroups(dirs: readonly string[], fake = false, parents: readonly string[] = [], planned = false): Promise<void> {
  for (const dir of dirs) {
    for (let attempt = 0; ; attempt++) {
      try {
        if (fake) rmSync(dir, { recursive: true, force: true });
        else rmdirSync(dir);
        break;
      } catch (err) {
        const code = errnoCode(err);
        if (code === 'ENOENT' || (planned && (code === 'EACCES' || code === 'EPERM'))) break;
        if (code !== 'EBUSY' || attempt >= 50) throw systemError('delete: remove cgroup', dir, err);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  for (const dir of parents) {
    try {
      if (!fake) rmdirSync(dir);
      else if (readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory())) continue;
      else rmSync(dir, { recursive: true });
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'EBUSY' || code === 'ENOTEMPTY' || code === 'ENOENT' || (planned && (code === 'EACCES' || code === 'EPERM'))) continue;
      throw systemError('delete: remove cgroup parent', dir, err);
    }
  }
}

/** The processes (with their start times) that hold `file` open: /proc/PID/fd/* links to it. */
export function processesHolding(file: string, procRoot = '/proc'): RecordedProcess[] {
  const found: RecordedProcess[] = [];
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`${procRoot}/${name}/fd`);
    } catch {
      continue; // gone, or not ours to look at (then not ours to have made either)
    }
    const holds = fds.some((fd) => {
      try {
        return readlinkSync(`${procRoot}/${name}/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
    const stat = holds ? readProcStat(Number(name), procRoot) : undefined;
    if (stat !== undefined) found.push({ pid: Number(name), startTime: String(stat.startTime) });
  }
  return found;
}

/**
 * What a create killed before its record named the init left: the processes in the cgroups it planned and the ones
 * holding its exec FIFO, SIGKILLed and waited for. Nothing for a record that names its init (the normal path).
 */
async function killCreateLeftovers(record: ContainerRecord, paths: ContainerPaths): Promise<void> {
  if (record.creating !== true) return;
  const planned = record.cgroupPlanned?.paths ?? [];
  signalCgroup({ cgroupPaths: planned }, 9);
  const holders = existsSync(paths.execFifo) ? processesHolding(paths.execFifo) : [];
  for (const p of holders) await signalIfSame(p, 9);
  for (const p of holders) {
    if (!(await waitForExit(p))) throw new RuntimeError('EBADSTATE', `delete: container ${record.id}: process ${p.pid} did not die after SIGKILL`);
  }
}

/** Remove the cgroup directories a record names, and those it planned while it is a create's. */
async function removeRecordedCgroups(record: ContainerRecord): Promise<void> {
  const fake = record.cgroupRoot !== undefined;
  await removeCgroups(record.cgroupPaths ?? [], fake, record.cgroupParents);
  const planned = record.creating === true ? record.cgroupPlanned : undefined;
  if (planned !== undefined) await removeCgroups(planned.paths, fake, planned.parents, true);
}

/**
 * Delete a container: kill it if allowed, wait for its init to die, remove its cgroups and state directory.
 * A failing poststop hook is a warning.
 * With `force`, a container that does not exist is no error (runc's and crun's `delete --force`).
 * @throws RuntimeError EUSAGE (an id that is not a plain name), ContainerNotFoundError (ENOCONTAINER, without force),
 *   RuntimeError EBADSTATE (running or paused without `force`, or an init that outlived SIGKILL), ESYSTEM.
 */
export async function deleteContainer(ctx: RuntimeContext, id: string, options: DeleteOptions = {}): Promise<void> {
  const paths = containerPaths(ctx.stateRoot.path, id);
  try {
    readRecord(paths, id);
  } catch (err) {
    // a create killed before it wrote state.json leaves a bare directory (and nothing else): --force clears it; and
    // --force of a container that is not there succeeds, as runc's and crun's do (engines clean up with it)
    if (options.force === true && err instanceof RuntimeError && err.code === 'ENOCONTAINER') {
      if (existsSync(paths.dir)) removeContainerDir(paths);
      return;
    }
    throw err;
  }
  await withLock(paths.lock, async () => {
    const record = readRecord(paths, id);
    const status = deriveStatus(record, paths);
    if ((status === 'running' || status === 'paused') && options.force !== true) {
      throw new RuntimeError('EBADSTATE', `cannot delete container ${id} that is not stopped: ${status}`);
    }
    // frozen tasks do not die: thaw first
    if (isCgroupFrozen(record)) thawRecorded(record);
    // what is left in its cgroup goes too (exec'd processes outlive the init when the pid namespace is shared)
    signalCgroup(record, 9);
    if (status !== 'stopped' && record.pid > 0) {
      const init = { pid: record.pid, startTime: record.initStartTime };
      try {
        await signalAll(init, 9);
      } catch (err) {
        if (!(err instanceof RuntimeError && err.code === 'ENOTRUNNING')) throw err;
      }
      if (!(await waitForExit(init))) {
        throw new RuntimeError('EBADSTATE', `delete: container ${id}: init ${record.pid} did not die after SIGKILL`);
      }
    }
    await killCreateLeftovers(record, paths);
    await removeRecordedCgroups(record);
    // a failing poststop hook is a warning: the container is gone either way, and the other poststop hooks still run
    await runHooksWarning(record.hooks, 'poststop', hookState(record, 'poststop', 0), 0, (m) => ctx.logger.log('warning', m));
    removeContainerDir(paths);
    stopForTest('delete:state-removed');
    // a bundle `ct container run --keep` unpacked goes with its container (loaded only then: @ct/oci is heavy)
    if (record.bundle.startsWith(`${ctx.stateRoot.path}/.bundles/`) && options.keepImageBundle !== true) {
      await (await import('./image-run.js')).removeImageBundle(ctx, id, record.bundle);
    }
  });
}
