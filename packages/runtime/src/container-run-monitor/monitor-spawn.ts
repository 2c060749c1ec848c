/**
 * Starting the monitor of a detached `ct container run -d` (monitor-main.ts): a detached Node process (its own
 * session, stdin /dev/null, stdout and stderr appended to the container log) with a pipe on fd 3 that says when
 * the container runs or why it does not. The caller returns after that and the monitor outlives it. With `-t`
 * (podman run -dt) the monitor also holds the container's pty master (monitor-main.ts).
 * Man pages: setsid(2), pipe(7).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RuntimeContext } from '../context.js';
import { RuntimeError } from '../errors.js';
import { overlayRefusalCause } from '../image-run-copy.js';

/** What the monitor gets (as JSON on its command line). */
export interface MonitorArgs {
  readonly root: string;
  readonly rootless: boolean;
  readonly id: string;
  readonly bundle: string;
  readonly exitFile: string;
  /** `-t`: the container gets a pty whose master the monitor holds, copying its output to the log. */
  readonly tty?: boolean;
  /** `--rm`: the monitor removes the container (state, bundle, store root) once it has exited. */
  readonly remove?: boolean;
}

/** How the monitor runs the container. */
export interface MonitorOptions {
  /** Give the container a pty (`-dt`). */
  readonly tty?: boolean | undefined;
  /** Remove the container once it exits (`-d --rm`). */
  readonly remove?: boolean | undefined;
}

/** Start the monitor for container `id` of `bundle`; resolves once the container runs. */
export async function spawnMonitor(
  ctx: RuntimeContext, id: string, bundle: string, logFile: string, exitFile: string, options: MonitorOptions = {},
): Promise<void> {
  const args: MonitorArgs = {
    root: ctx.stateRoot.path, rootless: ctx.rootless, id, bundle, exitFile, tty: options.tty === true, remove: options.remove === true,
  };
  const log = openSync(logFile, 'a', 0o600);
  let child;
  try {
    const main = fileURLToPath(new URL('./monitor-main.js', import.meta.url));
    child = spawn(process.execPath, [main, JSON.stringify(args)], { detached: true, stdio: ['ignore', log, log, 'pipe'] });
  } finally {
    closeSync(log);
  }
  const pipe = child.stdio[3];
  if (pipe === null || pipe === undefined) throw new RuntimeError('ESETUP', `container run: monitor of ${id}: no status pipe`);
  let text = '';
  await new Promise<void>((resolve) => {
    (pipe as NodeJS.ReadableStream).on('data', (chunk: Buffer) => { text += chunk.toString(); });
    pipe.on('close', () => resolve());
    pipe.on('error', () => resolve());
  });
  child.unref();
  const line = text.trim();
  if (line === 'ok') return;
  if (line.startsWith('error ')) {
    const e = JSON.parse(line.slice(6)) as { message: string; overlay?: string };
    throw new RuntimeError('ESETUP', e.message, e.overlay === undefined ? {} : { cause: overlayRefusalCause(e.overlay) });
  }
  throw new RuntimeError('ESETUP', `container run: monitor of ${id} exited before the container ran (see ${logFile})`);
}
