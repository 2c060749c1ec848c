/**
 * The doctor's real trials: each clones a child through @ct/syscalls (never unshare in the Node process), lets it
 * try one thing (a user namespace, an overlay mount with userxattr, a time namespace, mount_setattr, an idmapped
 * mount) and stop at a `wait` step, which proves the thing worked; the child is then killed before its exec.
 * A failed step comes back as a SyscallError naming the step and errno.
 *
 * Man pages: clone3(2), user_namespaces(7), time_namespaces(7), mount_setattr(2), open_tree(2), overlayfs
 * (Documentation/filesystems/overlayfs.rst, "userxattr"), pidfd_open(2), openat2(2), capabilities(7).
 */
import { chmodSync, closeSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLONE, lgetxattr, MOUNT_ATTR, MS, openat2, O, pidfdOpen, SyscallError, type ChildHandle, type Step,
} from '@ct/syscalls';
import { defaultSyscalls } from '../internal/default-syscalls.js';
import type { Syscalls } from '../internal/syscalls-port.js';
import { writeIdMaps } from '../id-map-write.js';
import type { DoctorTrials, TrialOutcome } from './types.js';

const AT_FDCWD = -100;
/** Never run: the child is killed at the `probed` pause; exec must end every plan. */
const EXEC_NOTHING: Step = { op: 'exec', path: '/bin/true', argv: ['true'], env: [], search: false };
const PROBED: Step = { op: 'wait', label: 'probed' };
const PRIVATE_ROOT: Step = { op: 'propagation', target: '/', flags: MS.PRIVATE | MS.REC };

/** A failure as a TrialOutcome: the errno name and the syscall or step. */
export function trialFailure(error: unknown): TrialOutcome {
  let e: unknown = error;
  while (e instanceof Error && !(e instanceof SyscallError) && e.cause !== undefined) e = e.cause;
  if (e instanceof SyscallError) return { ok: false, code: e.code, syscall: e.stepOp ?? e.syscall };
  const code = (e as { code?: unknown }).code;
  return { ok: false, code: typeof code === 'string' ? code : String(e), syscall: undefined };
}

async function finish(child: ChildHandle): Promise<void> {
  try {
    child.kill('SIGKILL');
  } catch {
    // already gone: wait() below collects it
  }
  await child.wait().catch(() => undefined);
}

/** Map the child's uid/gid 0 to ours (one id; setgroups denied when unprivileged). */
async function mapSelf(pid: number): Promise<void> {
  const euid = process.geteuid?.() ?? 0;
  const egid = process.getegid?.() ?? 0;
  await writeIdMaps(pid, {
    uidMap: [{ inside: 0, outside: euid, count: 1 }],
    gidMap: [{ inside: 0, outside: egid, count: 1 }],
    method: 'write', denySetgroups: euid !== 0, setupIds: undefined,
  });
}

/** Clone into `namespaces`, map ids first when asked, run `steps`; ok when the child reaches `probed`. */
async function tryChild(sys: Syscalls, namespaces: number, steps: readonly Step[], map: boolean): Promise<TrialOutcome> {
  let child: ChildHandle;
  try {
    const head: Step[] = map ? [{ op: 'wait', label: 'maps' }] : [];
    child = await sys.spawn({ namespaces, steps: [...head, ...steps, PROBED, EXEC_NOTHING] });
  } catch (error) {
    return trialFailure(error);
  }
  try {
    if (map) {
      await child.nextEvent();
      await mapSelf(child.pid);
      child.release();
    }
    await child.nextEvent();
    return { ok: true };
  } catch (error) {
    return trialFailure(error);
  } finally {
    await finish(child);
  }
}

/** A scratch directory with `names` inside, removed (even overlay's mode-0 work/work) by `cleanup`. */
function scratch(tmpDir: string, names: readonly string[]): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpDir, 'ct-doctor-'));
  for (const name of names) mkdirSync(join(dir, name));
  const cleanup = (): void => {
    const open = (d: string): void => {
      chmodSync(d, 0o700);
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) open(join(d, e.name));
    };
    open(dir);
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, cleanup };
}

async function withScratch(tmpDir: string, names: readonly string[],
  run: (dir: string) => Promise<TrialOutcome>): Promise<TrialOutcome> {
  const { dir, cleanup } = scratch(tmpDir, names);
  try {
    return await run(dir);
  } finally {
    cleanup();
  }
}

/**
 * An idmapped bind mount of a host directory: a holder user namespace gives the mapping, a child in a new mount
 * namespace makes the mount. Real root only: the kernel refuses to idmap a file system mounted inside a user
 * namespace ("Don't yet support filesystem mountable in user namespaces", can_idmap_mount), and a host file
 * system needs CAP_SYS_ADMIN in the initial user namespace.
 */
async function tryIdmappedMount(sys: Syscalls, dir: string): Promise<TrialOutcome> {
  let holder: ChildHandle;
  try {
    holder = await sys.spawn({
      namespaces: CLONE.NEWUSER, steps: [{ op: 'wait', label: 'maps' }, { op: 'wait', label: 'hold' }, EXEC_NOTHING],
    });
  } catch (error) {
    return trialFailure(error);
  }
  try {
    await holder.nextEvent();
    await mapSelf(holder.pid);
    holder.release();
    await holder.nextEvent();
    return await tryChild(sys, CLONE.NEWNS, [
      PRIVATE_ROOT,
      {
        op: 'bindTree', source: join(dir, 'a'), target: join(dir, 'b'), recursive: false,
        attrSet: MOUNT_ATTR.IDMAP, usernsPath: `/proc/${holder.pid}/ns/user`,
      },
    ], false);
  } catch (error) {
    return trialFailure(error);
  } finally {
    await finish(holder);
  }
}

function trySync(run: () => void): TrialOutcome {
  try {
    run();
    return { ok: true };
  } catch (error) {
    return trialFailure(error);
  }
}

/** The trials on this kernel, through `sys` (default @ct/syscalls). */
export function realTrials(sys: Syscalls = defaultSyscalls()): DoctorTrials {
  const userMnt = CLONE.NEWUSER | CLONE.NEWNS;
  return {
    userNamespace: () => tryChild(sys, CLONE.NEWUSER, [], false),
    timeNamespace: () => tryChild(sys, CLONE.NEWUSER | CLONE.NEWTIME, [], false),
    overlay: (tmpDir) => withScratch(tmpDir, ['lower', 'upper', 'work', 'merged'], (dir) => tryChild(sys, userMnt, [
      PRIVATE_ROOT,
      {
        op: 'mount', source: 'overlay', target: join(dir, 'merged'), fstype: 'overlay', flags: 0n,
        data: `lowerdir=${join(dir, 'lower')},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')},userxattr`,
      },
    ], true)),
    mountSetattr: (tmpDir) => withScratch(tmpDir, ['a'], (dir) => tryChild(sys, userMnt, [
      PRIVATE_ROOT,
      { op: 'mount', source: 'tmpfs', target: join(dir, 'a'), fstype: 'tmpfs', flags: 0n },
      { op: 'mountSetattr', target: join(dir, 'a'), attrSet: MOUNT_ATTR.RDONLY, attrClr: 0n, propagation: 0n, recursive: false },
    ], true)),
    idmappedMount: (tmpDir) => withScratch(tmpDir, ['a', 'b'], (dir) => tryIdmappedMount(sys, dir)),
    pidfd: () => trySync(() => closeSync(pidfdOpen(process.pid))),
    openat2: () => trySync(() => closeSync(openat2(AT_FDCWD, '/', { flags: O.PATH | O.CLOEXEC }))),
    fileCapability: (file) => {
      try {
        return lgetxattr(file, 'security.capability');
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === 'ENODATA' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') return undefined;
        throw error;
      }
    },
  };
}
