/**
 * `containerExcursion(pid, command)`: run a command inside a running container's namespaces (Guix's
 * `container-excursion`), a thin wrapper of `enterContainer`. Only the namespaces that differ from the caller's are
 * joined (none for the caller's own pid: test 14); user first and mnt last, and the command is forked into the pid
 * namespace. The user namespace joined is the one that owns the target's pid namespace (NS_GET_USERNS), as Guix's
 * excursion has the capabilities of the container's root there: with locked mounts the target's own user namespace
 * is the inner one, which owns only its mount namespace. `containerExcursionValue` returns what the command wrote
 * on stdout (Guix's `container-excursion*`, which returns the thunk's value), or undefined on a non-zero status as
 * Guix's #f. A target that no longer exists gives status 1 (Guix's child exits 1) and so undefined, unless
 * `throwIfGone` asks for the NamespaceSetupError.
 *
 * Man pages: setns(2), namespaces(7), pid_namespaces(7).
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCommandSpec, type CommandLike } from './call-with-container.js';
import { enterContainer } from './enter-container.js';
import { NamespaceSetupError } from './errors.js';
import type { Syscalls } from './internal/syscalls-port.js';
import type { NamespaceKind } from './namespaces.js';
import { checkWaitOptions, waitLimits, waitOrKill, type WaitOptions } from './wait-options.js';

/** Namespaces an excursion may join, in Guix's order (user first, mnt last; we add cgroup). */
export const EXCURSION_NAMESPACES: readonly NamespaceKind[] = ['user', 'ipc', 'uts', 'net', 'pid', 'cgroup', 'mnt'];

/**
 * Options of an excursion. `signal`/`timeout`: when one says to stop before the command ends, it is killed and
 * reaped and the excursion rejects (with the abort's reason, or a CtError ETIMEDOUT).
 */
export interface ExcursionOptions extends WaitOptions {
  /** The kernel interface (default @ct/syscalls). */
  readonly syscalls?: Syscalls;
  /** Host fds for the command's 0, 1, 2 (default the caller's). */
  readonly stdio?: readonly [number, number, number];
  /** Throw the NamespaceSetupError when `pid` no longer exists (default: status 1, as Guix). */
  readonly throwIfGone?: boolean;
}

/** The target was gone before it could be entered (its pidfd or /proc/PID/ns could not be opened). */
function targetGone(error: unknown): boolean {
  const code = error instanceof NamespaceSetupError ? (error.cause as { code?: string } | undefined)?.code : undefined;
  return error instanceof NamespaceSetupError && error.step === 'enter' && (code === 'ESRCH' || code === 'ENOENT');
}

/** Run `command` in the namespaces of `pid`; resolves with its status (code, or 128 + signal). */
export async function containerExcursion(pid: number, command: CommandLike, options: ExcursionOptions = {}): Promise<number> {
  const limits = waitLimits(options);
  checkWaitOptions('containerExcursion', limits);
  // enterContainer skips the namespaces the caller already shares with `pid` (no setns at all for its own pid).
  let entered;
  try {
    entered = await enterContainer(pid, { command: toCommandSpec(command) }, {
      namespaces: EXCURSION_NAMESPACES, userOfPidNamespace: true,
      ...(options.syscalls === undefined ? {} : { syscalls: options.syscalls }),
      ...(options.stdio === undefined ? {} : { stdio: options.stdio }),
    });
  } catch (error) {
    if (options.throwIfGone !== true && targetGone(error)) return 1;
    throw error;
  }
  const proc = entered;
  return (await waitOrKill(proc.wait(), () => proc.kill('SIGKILL'), 'containerExcursion', limits)).status;
}

/** Run `command` in the namespaces of `pid` and return its stdout, or undefined when its status is not 0. */
export async function containerExcursionValue(
  pid: number, command: CommandLike, options: Omit<ExcursionOptions, 'stdio'> = {},
): Promise<string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'ct-excursion-'));
  const file = join(dir, 'stdout');
  const out = openSync(file, 'w+', 0o600);
  const devnull = openSync('/dev/null', 'r');
  try {
    const status = await containerExcursion(pid, command, { ...options, stdio: [devnull, out, 2] });
    return status === 0 ? readFileSync(file, 'utf8') : undefined;
  } finally {
    closeSync(out);
    closeSync(devnull);
    rmSync(dir, { recursive: true, force: true });
  }
}
