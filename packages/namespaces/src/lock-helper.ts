/**
 * The parent's side of mount locking. The child unshares a second user+mnt namespace so its mounts become locked
 * (mount_namespaces(7): umount gives EINVAL, flags cannot be cleared). The inner namespace's maps can only be
 * written by a process in its parent user namespace with CAP_SETUID/CAP_SETGID there (user_namespaces(7)), so
 * Guix's child, which writes them from inside, fails with ranges and as root (guix#4788, #4234). Here a helper
 * joins the container's outer user namespace while the child is paused before the unshare, waits, and writes the
 * inner maps once the child has unshared.
 *
 * Man pages: user_namespaces(7), mount_namespaces(7), setns(2).
 */
import { CLONE } from '@ct/syscalls';
import { NamespaceSetupError } from './errors.js';
import { formatIdMap, type IdMapPlan, planInnerIdMaps } from './id-map.js';
import { initProgramPath } from './init-program.js';
import type { ChildHandle, Step, Syscalls } from './internal/syscalls-port.js';
import { pauseStep } from './pause-protocol.js';

/** A helper paused in the container's outer user namespace. */
export interface LockHelper {
  /** Write the inner maps of `pid` (paused after its unshare) and wait for the helper to finish. */
  writeInnerMaps(): Promise<void>;
  /** Kill the helper (on a failure elsewhere). */
  abort(): void;
}

/** Enter the outer user namespace of `pid` (paused before the unshare) with a helper that will write the maps. */
export async function startLockHelper(sys: Syscalls, pid: number, outer: IdMapPlan, procRoot: string): Promise<LockHelper> {
  const inner = planInnerIdMaps(outer);
  const fail = (error: unknown): NamespaceSetupError =>
    new NamespaceSetupError('lock mounts: write inner id maps', pid, error as Error, `${procRoot}/${pid}`);
  const plan = {
    steps: [
      pauseStep('lock-maps').step,
      { op: 'writeFile', path: `${procRoot}/${pid}/uid_map`, data: formatIdMap(inner.uidMap), mode: 0o644 },
      { op: 'writeFile', path: `${procRoot}/${pid}/gid_map`, data: formatIdMap(inner.gidMap), mode: 0o644 },
      // A plan ends with an exec: our init's no-op mode (the helper is still in the host's mount namespace).
      { op: 'exec', path: initProgramPath(), argv: ['ct-init', '--noop'], env: [], search: false },
    ] satisfies Step[],
  };
  let helper: ChildHandle;
  try {
    helper = await sys.enter(pid, CLONE.NEWUSER, plan);
  } catch (error) {
    throw fail(error);
  }
  try {
    await helper.nextEvent();
  } catch (error) {
    throw fail(error);
  }
  return {
    async writeInnerMaps() {
      helper.release();
      try {
        await helper.nextEvent();
      } catch (error) {
        await helper.wait().catch(() => undefined);
        throw fail(error);
      }
      const status = await helper.wait();
      if (status.status !== 0) throw fail(new Error(`helper exited with status ${status.status}`));
    },
    abort() {
      helper.kill('SIGKILL');
    },
  };
}
