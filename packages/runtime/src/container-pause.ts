/**
 * `pause <id>` / `resume <id>`: freeze and thaw the container's cgroup through @ct/namespaces (v1: the freezer
 * directory create made, freezer.state FROZEN/THAWED; v2: cgroup.freeze, waiting for `frozen` in cgroup.events).
 * The status reads `paused` while it is frozen (container-cgroup.ts), and `delete` thaws before it kills. A
 * container without a cgroup (rootless on v1, or without a delegated v2 subtree) cannot be paused.
 *
 * Man pages: cgroups(7); the kernel's cgroup-v1/freezer-subsystem.rst and cgroup-v2.rst ("cgroup.freeze").
 */
import type { RuntimeContext } from './context.js';
import { openRecordedCgroup } from './container-cgroup.js';
import { deriveStatus } from './container-status.js';
import { RuntimeError } from './errors.js';
import { withLock } from './lock.js';
import { containerPaths, readRecord } from './state-store.js';

async function setFrozen(ctx: RuntimeContext, id: string, frozen: boolean): Promise<void> {
  const verb = frozen ? 'pause' : 'resume';
  const paths = containerPaths(ctx.stateRoot.path, id);
  readRecord(paths, id);
  await withLock(paths.lock, async () => {
    const record = readRecord(paths, id);
    const status = deriveStatus(record, paths);
    if (status !== (frozen ? 'running' : 'paused')) throw new RuntimeError('EBADSTATE', `cannot ${verb} a container that is ${status}`);
    const cg = await openRecordedCgroup(record, verb);
    const { freezeCgroup, thawCgroup } = await import('@ct/namespaces/engine');
    try {
      await (frozen ? freezeCgroup(cg) : thawCgroup(cg));
    } catch (err) {
      throw new RuntimeError('ESYSTEM', `${verb}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    ctx.logger.log('debug', `${verb}d ${id}`);
  });
}

/**
 * Freeze every process of container `id` (it must be running).
 * @throws RuntimeError EUSAGE (an id that is not a plain name), ContainerNotFoundError (ENOCONTAINER),
 *   RuntimeError EBADSTATE (not running), EUSAGE (no cgroup), ESYSTEM (the freeze failed or timed out: it is
 *   thawed again).
 */
export async function pauseContainer(ctx: RuntimeContext, id: string): Promise<void> {
  await setFrozen(ctx, id, true);
}

/**
 * Thaw container `id` (it must be paused).
 * @throws RuntimeError EUSAGE (an id that is not a plain name), ContainerNotFoundError (ENOCONTAINER),
 *   RuntimeError EBADSTATE (not paused), EUSAGE (no cgroup), ESYSTEM.
 */
export async function resumeContainer(ctx: RuntimeContext, id: string): Promise<void> {
  await setFrozen(ctx, id, false);
}
