/**
 * `containerExcursion(pid, command)`: run a command inside a running container's namespaces (Guix's
 * `container-excursion`). Only the namespaces that differ from the caller's are joined (none for the caller's
 * own pid: test 14); @ct/syscalls' `enter` joins user first and mnt last and forks again so the command is in
 * the pid namespace. `containerExcursionValue` returns what the command wrote on stdout (Guix's
 * `container-excursion*`, which returns the thunk's value), or undefined on a non-zero status as Guix's #f.
 *
 * Man pages: setns(2), namespaces(7), pid_namespaces(7).
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCommandSpec, type CommandLike } from './call-with-container.js';
import { purifyEnvironment } from './environment.js';
import { defaultSyscalls } from './internal/default-syscalls.js';
import type { Syscalls } from './internal/syscalls-port.js';
import { type NamespaceKind, namespacesToBitMask } from './namespaces.js';
import { describeChildFailure } from './pause-protocol.js';
import { planned } from './planned-step.js';

/** Namespaces an excursion may join, in Guix's order (user first, mnt last; we add cgroup). */
const EXCURSION_NAMESPACES: readonly NamespaceKind[] = ['user', 'ipc', 'uts', 'net', 'pid', 'cgroup', 'mnt'];

/** Options of an excursion. */
export interface ExcursionOptions {
  /** The kernel interface (default @ct/syscalls). */
  readonly syscalls?: Syscalls;
  /** Host fds for the command's 0, 1, 2 (default the caller's). */
  readonly stdio?: readonly [number, number, number];
}

/** Run `command` in the namespaces of `pid`; resolves with its status (code, or 128 + signal). */
export async function containerExcursion(pid: number, command: CommandLike, options: ExcursionOptions = {}): Promise<number> {
  const sys = options.syscalls ?? defaultSyscalls();
  const cmd = toCommandSpec(command);
  const program = cmd.argv[0] ?? '';
  const cwd = cmd.cwd ?? '/';
  const described = [
    planned({ op: 'chdir', path: cwd }, 'chdir', cwd),
    planned({ op: 'exec', path: program, argv: cmd.argv, env: purifyEnvironment(cmd.env), search: !program.includes('/') },
      'exec', program),
  ];
  const [in0, out1, err2] = options.stdio ?? [0, 1, 2];
  // enter() skips the namespaces the caller already shares with `pid` (no setns at all for its own pid).
  const child = await sys.enter(pid, namespacesToBitMask(EXCURSION_NAMESPACES), {
    steps: described.map((d) => d.step),
    fds: [{ from: in0, to: 0 }, { from: out1, to: 1 }, { from: err2, to: 2 }],
  });
  try {
    await child.nextEvent();
  } catch (error) {
    await child.wait().catch(() => undefined);
    throw describeChildFailure(error, described, child.pid);
  }
  return (await child.wait()).status;
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
