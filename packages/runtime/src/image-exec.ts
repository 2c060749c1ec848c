/**
 * `ct container exec` as podman's: `-u` names resolved in the container, and a program that cannot be run is the
 * exec's exit status, not ct's failure: 127 when it is not found, 126 when it is found but cannot be executed
 * (podman's convention, and what `ct container run` gives for its own command), with a plain message
 * (`exec: nosuch: No such file or directory`, as the container's own init says it for `run`) instead of the launch
 * step that failed.
 * Man pages: execve(2) (ENOENT, EACCES, ENOEXEC...), passwd(5), group(5).
 */
import type { RuntimeContext } from './context.js';
import { ExecProgramError } from './errors.js';
import { execInImageContainer, type ImageExecOptions } from './image-run-exec.js';

export { ExecProgramError } from './errors.js';

/** strerror(3)'s words for the errors execve gives, as the container's init prints them for `container run`. */
const EXEC_ERRORS: Readonly<Record<string, { readonly status: 126 | 127; readonly text: string }>> = {
  ENOENT: { status: 127, text: 'No such file or directory' },
  ENOTDIR: { status: 127, text: 'Not a directory' },
  EACCES: { status: 126, text: 'Permission denied' },
  EPERM: { status: 126, text: 'Operation not permitted' },
  ENOEXEC: { status: 126, text: 'Exec format error' },
  EISDIR: { status: 126, text: 'Is a directory' },
  ELOOP: { status: 126, text: 'Too many levels of symbolic links' },
  ETXTBSY: { status: 126, text: 'Text file busy' },
  E2BIG: { status: 126, text: 'Argument list too long' },
};

/** The failed execve in `err`'s cause chain (the launch's {step, errno} record), if that is what failed. */
async function failedExecve(err: unknown): Promise<{ readonly code: string } | undefined> {
  const { SyscallError } = await import('@ct/syscalls');
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof SyscallError && e.syscall === 'execve') return { code: e.code };
  }
  return undefined;
}

/**
 * `-u USER[:GROUP]` as podman's exec takes it: names or ids resolved in the running container's own /etc/passwd
 * and /etc/group (by fd inside /proc/PID/root), the user's group and the groups listing it (none when a group is
 * named), and HOME its home (an `-e HOME=` given still wins).
 */
async function withUser(ctx: RuntimeContext, id: string, options: ImageExecOptions): Promise<ImageExecOptions> {
  if (options.user === undefined) return options;
  const [{ containerState }, { resolveUserInRoot }] = await Promise.all([import('./container-state.js'), import('@ct/oci/store')]);
  const u = resolveUserInRoot(`/proc/${containerState(ctx, id).pid}/root`, options.user, { exec: true });
  return {
    ...options, user: `${u.uid}:${u.gid}`, additionalGids: u.additionalGids.map(String), env: [`HOME=${u.home}`, ...(options.env ?? [])],
  };
}

/**
 * Run `options.args` in container `id` of `ct container run`; resolves with its exit status.
 * @throws ExecProgramError (exitStatus 127 or 126) when the program cannot be run; CtError OCI_USER_INVALID (a
 *   -u name the container does not know); RuntimeError otherwise.
 */
export async function execInRunContainer(ctx: RuntimeContext, id: string, options: ImageExecOptions): Promise<number> {
  const resolved = await withUser(ctx, id, options);
  try {
    return await execInImageContainer(ctx, id, resolved);
  } catch (err) {
    const failed = await failedExecve(err);
    if (failed === undefined) throw err;
    const known = EXEC_ERRORS[failed.code];
    const program = options.args[0] ?? '';
    throw new ExecProgramError(known?.status ?? 126, `exec: ${program}: ${known?.text ?? failed.code}`, { cause: err });
  }
}
