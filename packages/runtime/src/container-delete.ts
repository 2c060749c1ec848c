/**
 * `delete <id>` (`--force`): removes a stopped container's state; a created one is killed first (runc and crun
 * allow it and containerd's shim relies on it); a running or paused one only with --force.
 *
 * Man pages: kill(2).
 */
import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import type { RuntimeContext } from './context.js';
import { deriveStatus } from './container-status.js';
import { RuntimeError, errnoCode, systemError } from './errors.js';
import { withLock } from './lock.js';
import { toContainerState } from './container-state.js';
import { isCgroupFrozen, signalCgroup, thawRecorded } from './container-cgroup.js';
import { signalAll, waitForExit } from './process-signal.js';
import { containerPaths, readRecord, removeContainerDir } from './state-store.js';

/** Options of `delete`. */
export interface DeleteOptions {
  /** Kill a running container first. */
  readonly force?: boolean;
}

/**
 * Remove the container's cgroup directories, retrying while the last processes leave them (rmdir: EBUSY), then the
 * parents create made for a nested cgroupsPath (`parents`, deepest first) while they are empty: the first one still
 * holding another cgroup (EBUSY, ENOTEMPTY) stops it. A fake cgroupfs (`fake`: CT_CGROUP_ROOT, tests) is plain
 * directories whose interface files must go with them (a parent there only when no directory is left in it).
 */
export async function removeCgroups(dirs: readonly string[], fake = false, parents: readonly string[] = []): Promise<void> {
  for (const dir of dirs) {
    for (let attempt = 0; ; attempt++) {
      try {
        if (fake) rmSync(dir, { recursive: true, force: true });
        else rmdirSync(dir);
        break;
      } catch (err) {
        const code = errnoCode(err);
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || attempt >= 50) throw systemError('delete: remove cgroup', dir, err);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  for (const dir of parents) {
    try {
      if (!fake) rmdirSync(dir);
      else if (readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory())) return;
      else rmSync(dir, { recursive: true });
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'EBUSY' || code === 'ENOTEMPTY') return;
      if (code !== 'ENOENT') throw systemError('delete: remove cgroup parent', dir, err);
    }
  }
}

/** Delete a container: kill it if allowed, wait for its init to die, remove its state directory. */
export async function deleteContainer(ctx: RuntimeContext, id: string, options: DeleteOptions = {}): Promise<void> {
  const paths = containerPaths(ctx.stateRoot.path, id);
  try {
    readRecord(paths, id);
  } catch (err) {
    // a create killed before it wrote state.json leaves a bare directory: --force clears it
    if (options.force === true && err instanceof RuntimeError && err.code === 'ENOCONTAINER' && existsSync(paths.dir)) {
      removeContainerDir(paths);
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
    await removeCgroups(record.cgroupPaths ?? [], record.cgroupRoot !== undefined, record.cgroupParents);
    if (record.hooks?.poststop !== undefined) {
      // a failing poststop hook is a warning: the container is gone either way
      const { runHooks } = await import('./hooks.js');
      await runHooks(record.hooks, 'poststop', toContainerState(record, 'stopped'), 0)
        .catch((err: unknown) => ctx.logger.log('warning', err instanceof Error ? err.message : String(err)));
    }
    removeContainerDir(paths);
    // a bundle `ct container run --keep` unpacked goes with its container (loaded only then: @ct/oci is heavy)
    if (record.bundle.startsWith(`${ctx.stateRoot.path}/.bundles/`)) {
      await (await import('./image-run.js')).removeImageBundle(ctx, id, record.bundle);
    }
  });
}
