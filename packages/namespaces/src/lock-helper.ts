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
import type { ChildHandle, Syscalls } from './internal/syscalls-port.js';

/** A helper paused in the container's outer user namespace. */
export interface LockHelper {
  /** Write the inner maps of `pid` (paused after its unshare) and wait for the helper to finish. */
  writeInnerMaps(): Promise<void>;
  /** Kill the helper (on a failure elsewhere). */
  abort(): void;
}

const HELPER_WAIT = 'inner-maps';

/** Enter the outer user namespace of `pid` (paused before the unshare) with a helper that will write the maps. */
export async function startLockHelper(sys: Syscalls, pid: number, outer: IdMapPlan, procRoot: string): Promise<LockHelper> {
  const inner = planInnerIdMaps(outer);
  const helper: ChildHandle = await sys.enter(pid, CLONE.NEWUSER, {
    namespaces: 0,
    steps: [
      { op: 'wait', label: HELPER_WAIT },
      { op: 'writeFile', path: `${procRoot}/${pid}/uid_map`, data: formatIdMap(inner.uidMap), mode: 0o644 },
      { op: 'writeFile', path: `${procRoot}/${pid}/gid_map`, data: formatIdMap(inner.gidMap), mode: 0o644 },
    ],
  });
  const fail = (error: unknown): NamespaceSetupError =>
    new NamespaceSetupError('lock mounts: write inner id maps', pid, error as Error, `${procRoot}/${pid}`);
  try {
    await helper.nextEvent();
  } catch (error) {
    throw fail(error);
  }
  return {
    async writeInnerMaps() {
      helper.release();
      const failure = helper.nextEvent().then(() => undefined, (error: unknown) => error);
      const status = await helper.wait();
      const error = await Promise.race([failure, new Promise((r) => { setTimeout(r, 50, undefined); })]);
      if (error !== undefined) throw fail(error);
      if (status.status !== 0) throw fail(new Error(`helper exited with status ${status.status}`));
    },
    abort() {
      helper.kill('SIGKILL');
    },
  };
}
