/**
 * `run <id>`: create + start, then (unless --detach) wait for the init and return its exit status (code, or
 * 128 + signal), deleting the state unless --keep. The init is ct's own child here, so its exit is watched
 * through its pidfd on the event loop. With process.terminal and no --console-socket, a foreground run holds the
 * pty itself, as runc does: the child sends the master to a socket ct listens on (in a private temp dir), and ct
 * copies its stdin to the master and the master to its stdout (raw mode when stdin is a terminal; the window size
 * follows ours unless process.consoleSize is set; image-run-tty.ts).
 *
 * Man pages: pty(7), unix(7) (SCM_RIGHTS).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeContext } from './context.js';
import { createContainer, type CreateOptions } from './container-create.js';
import { deleteContainer } from './container-delete.js';
import { startContainer } from './container-start.js';
import type { ConsoleListener } from './image-run-tty.js';
import type { RunNetwork } from './network/network-attach.js';
import { stopForTest } from './test-stop.js';

/** Options of `run`: create's plus detach and keep. */
export interface RunOptions extends CreateOptions {
  /** Return after start (exit status 0) instead of waiting. */
  readonly detach?: boolean | undefined;
  /** Keep the state directory after the container exits. */
  readonly keep?: boolean | undefined;
  /**
   * `ct container run`'s network (network/network-attach.ts): attached after create, before start; detached once
   * the container has exited (or failed to start). Not for --detach (its helpers would be stopped at once).
   */
  readonly network?: RunNetwork | undefined;
}

/** Wait for an undo step; its failure is returned (undefined: none), not thrown, so the steps after it still run. */
async function failureOf(step: Promise<void> | undefined): Promise<Error | undefined> {
  try {
    await step;
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** `cause` as it is, or with the undo steps' failures beside it in one AggregateError. */
function withUndoFailures(cause: unknown, undos: readonly (Error | undefined)[]): unknown {
  const failed = undos.filter((u) => u !== undefined);
  return failed.length === 0 ? cause : new AggregateError([cause, ...failed], (cause as Error).message);
}

/**
 * Run container `id` from a bundle (create, start, wait, delete unless `keep`); resolves with the exit status to
 * exit with (the process's, or 128 + the signal that killed it; 0 at once with `detach`).
 * @example
 * ```ts
 * import { createContext, runContainer } from '@ct/runtime';
 * const status = await runContainer(createContext({}), 'job-1', { bundle: '/srv/bundles/job' });
 * process.exitCode = status;
 * ```
 */
export async function runContainer(ctx: RuntimeContext, id: string, options: RunOptions = {}): Promise<number> {
  const foreground = options.detach !== true;
  let listener: ConsoleListener | undefined;
  let dir: string | undefined;
  const ownTerminal = foreground && options.consoleSocket === undefined ? async (): Promise<string> => {
    dir = mkdtempSync(join(tmpdir(), 'ct-tty-'));
    listener = await (await import('./image-run-tty.js')).listenConsole(dir);
    return listener.path;
  } : undefined;
  try {
    let init;
    try {
      // pasta starts while the child mounts (network-attach.ts); a create that fails after that stops it
      ({ init } = await createContainer(ctx, id, { ...options, relaySignals: foreground, ownTerminal, onNamespaces: options.network?.onNamespaces }));
    } catch (err) {
      throw withUndoFailures(err, [await failureOf(options.network?.detach())]);
    }
    // the console step ran before create returned: the master is on its way (or here)
    const master = listener === undefined ? undefined : await listener.master();
    const tty = master === undefined ? undefined : await import('./image-run-tty.js');
    // runc's initial resize, before the process starts: the pty takes our terminal's size (changes follow in relayTerminal)
    if (master !== undefined && process.stdout.isTTY) tty?.setWindowSize(master, tty.terminalSize());
    try {
      await options.network?.attach(init.pid);
      stopForTest('run:network-attached');
      await startContainer(ctx, id);
    } catch (err) {
      // each undo step runs whatever the one before did
      const detached = await failureOf(options.network?.detach());
      throw withUndoFailures(err, [detached, await failureOf(deleteContainer(ctx, id, { force: true }))]);
    }
    if (!foreground) return 0;
    stopForTest('run:started');
    const exited = init.wait();
    if (master !== undefined) await tty?.relayTerminal(master, exited);
    const status = await exited;
    stopForTest('run:exited');
    // a failed detach does not keep the container: delete takes its cgroups and state (and retries the network its
    // record still names); the detach's failure is then the run's
    const detached = await failureOf(options.network?.detach());
    if (options.keep !== true) await deleteContainer(ctx, id, { force: true });
    if (detached !== undefined) throw detached;
    return status;
  } finally {
    listener?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}
