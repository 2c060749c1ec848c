/**
 * `containerExcursionEval(pid, fn, ...args)`: Guix's `container-excursion*` with a thunk, for JavaScript: runs `fn`
 * in a Node process inside every namespace of the running container `pid` (as containerExcursion joins them: the
 * owner of its pid namespace first, mnt last) and resolves to its JSON value; a thrown error is rethrown as a
 * ContainerEvalError, an exit without a value is a ContainerExitError. `fn` runs as an ES module with no closure,
 * as evalInContainer's.
 *
 * The container's root does not hold node: its dynamic loader is opened before the joins and exec'd by fd, and
 * runs node and finds its libraries through /proc/self/fd links to the host's files (the container needs a /proc
 * of its pid namespace, which every container with one has).
 *
 * Man pages: ld.so(8), execveat(2), proc(5) (/proc/self/fd), setns(2).
 */
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { O } from '@ct/syscalls';
import { enterContainer } from './enter-container.js';
import { CtError } from './errors.js';
import { type EvalTarget, evalScript, nodeLibraries, readEvalResult } from './eval-in-container.js';
import { EXCURSION_NAMESPACES } from './excursion.js';
import type { Syscalls } from './internal/syscalls-port.js';
import { checkWaitOptions, waitLimits, waitOrKill, type WaitOptions } from './wait-options.js';

/** Options of containerExcursionEval (`signal`/`timeout`: the node process is killed and reaped, the call rejects). */
export interface ExcursionEvalOptions extends WaitOptions {
  /** The environment of the node process (default empty). */
  readonly env?: Readonly<Record<string, string>>;
  /** The kernel interface (default @ct/syscalls). */
  readonly syscalls?: Syscalls;
}

/** The fd numbers node gets: 3 the result, 4 the node binary, the library directories from 5. */
const RESULT_FD = 3;
const NODE_FD = 4;
const FIRST_DIR_FD = 5;

/** Run `fn(...args)` in a Node process inside the namespaces of `pid`; resolves to its JSON value. */
export async function containerExcursionEval<T>(pid: number, fn: EvalTarget<T>, ...args: unknown[]): Promise<T> {
  return containerExcursionEvalWith(pid, fn, args, {});
}

/**
 * containerExcursionEval with options.
 * @throws CtError ENOEXEC when this node binary has no dynamic loader to find (ldd); the errors of entering
 *   (as containerExcursion) and the function's own error, rethrown.
 */
export async function containerExcursionEvalWith<T>(
  pid: number, fn: EvalTarget<T>, args: readonly unknown[], options: ExcursionEvalOptions,
): Promise<T> {
  const limits = waitLimits(options);
  checkWaitOptions('containerExcursionEval', limits);
  const { loader, libraries } = nodeLibraries();
  if (loader === undefined) throw new CtError('ENOEXEC', `excursion eval: ${process.execPath}: no dynamic loader (ldd)`);
  const dirs = [...new Set(libraries.map((l) => dirname(l)))];
  const dir = mkdtempSync(join(tmpdir(), 'ct-excursion-eval-'));
  const resultFile = join(dir, 'result');
  const opened: number[] = [];
  try {
    const result = openSync(resultFile, 'w+', 0o600);
    opened.push(result);
    const node = openSync(process.execPath, O.PATH);
    opened.push(node);
    const dirFds = dirs.map((d) => {
      const fd = openSync(d, O.PATH | O.DIRECTORY);
      opened.push(fd);
      return fd;
    });
    const libraryPath = dirFds.map((_, i) => `/proc/self/fd/${FIRST_DIR_FD + i}`).join(':');
    const entered = await enterContainer(pid, {
      path: loader,
      preopen: true,
      command: {
        argv: ['ld.so', '--library-path', libraryPath, `/proc/self/fd/${NODE_FD}`, '--input-type=module', '-e', evalScript(fn, args)],
        env: options.env ?? {},
      },
    }, {
      namespaces: EXCURSION_NAMESPACES, userOfPidNamespace: true,
      extraFds: [{ from: result, to: RESULT_FD }, { from: node, to: NODE_FD }, ...dirFds.map((from, i) => ({ from, to: FIRST_DIR_FD + i }))],
      ...(options.syscalls === undefined ? {} : { syscalls: options.syscalls }),
    });
    const { status } = await waitOrKill(entered.wait(), () => entered.kill('SIGKILL'), 'containerExcursionEval', limits);
    return readEvalResult<T>(resultFile, status);
  } finally {
    for (const fd of opened) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}
