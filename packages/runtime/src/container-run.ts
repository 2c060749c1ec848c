/**
 * `run <id>`: create + start, then (unless --detach) wait for the init and return its exit status (code, or
 * 128 + signal), deleting the state unless --keep. The init is ct's own child here, so its exit is watched
 * through its pidfd on the event loop.
 */
import type { RuntimeContext } from './context.js';
import { createContainer, type CreateOptions } from './container-create.js';
import { deleteContainer } from './container-delete.js';
import { startContainer } from './container-start.js';

/** Options of `run`: create's plus detach and keep. */
export interface RunOptions extends CreateOptions {
  /** Return after start (exit status 0) instead of waiting. */
  readonly detach?: boolean | undefined;
  /** Keep the state directory after the container exits. */
  readonly keep?: boolean | undefined;
}

/** Run container `id`; resolves with the exit status to exit with. */
export async function runContainer(ctx: RuntimeContext, id: string, options: RunOptions = {}): Promise<number> {
  const { init } = await createContainer(ctx, id, { ...options, relaySignals: options.detach !== true });
  try {
    await startContainer(ctx, id);
  } catch (err) {
    await deleteContainer(ctx, id, { force: true });
    throw err;
  }
  if (options.detach === true) return 0;
  const status = await init.wait();
  if (options.keep !== true) await deleteContainer(ctx, id, { force: true });
  return status;
}
