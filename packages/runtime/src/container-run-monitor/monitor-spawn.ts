/**
 * Starting the monitor of a detached `ct container run -d` (monitor-main.ts): a detached Node process (its own
 * session, stdin /dev/null, stdout and stderr the write ends of two pipes whose read ends it gets as fds 4 and 5,
 * monitor-pipes.ts) with a pipe on fd 3 that says when the container runs or why it does not. The caller returns
 * after that and the monitor outlives it. With `-t` (podman run -dt) the monitor also holds the container's pty
 * master (monitor-main.ts). A foreground `--keep` run starts one too, with our stdin (image-run-attach.ts).
 * Man pages: setsid(2), pipe(7).
 */
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimeContext } from '../context.js';
import { RuntimeError } from '../errors.js';
import { overlayRefusalCause } from '../image-run-copy.js';
import { openOutputPipes } from './monitor-pipes.js';

/** What the monitor gets (as JSON on its command line). */
export interface MonitorArgs {
  readonly root: string;
  readonly rootless: boolean;
  readonly id: string;
  readonly bundle: string;
  readonly exitFile: string;
  /** The log (k8s-file records, image-container-log-format.ts). */
  readonly logFile: string;
  /** `-t`: the container gets a pty whose master the monitor holds, copying its output to the log. */
  readonly tty?: boolean;
  /** `--rm`: the monitor removes the container (state, bundle, store root) once it has exited. */
  readonly remove?: boolean;
  /** A failed first run keeps the bundle and root (`container start` of a kept container): its state only goes. */
  readonly keepBundle?: boolean;
}

/** How the monitor runs the container. */
export interface MonitorOptions {
  /** Give the container a pty (`-dt`). */
  readonly tty?: boolean | undefined;
  /** Remove the container once it exits (`-d --rm`). */
  readonly remove?: boolean | undefined;
  /** The container reads our stdin (a foreground run under a monitor); else /dev/null. */
  readonly stdin?: boolean | undefined;
  /** A failure to start keeps the bundle and root (`container start`). */
  readonly keepBundle?: boolean | undefined;
}

/** Start the monitor for container `id` of `bundle`; resolves with the monitor's pid once the container runs. */
export async function spawnMonitor(
  ctx: RuntimeContext, id: string, bundle: string, logFile: string, exitFile: string, options: MonitorOptions = {},
): Promise<number> {
  const args: MonitorArgs = {
    root: ctx.stateRoot.path, rootless: ctx.rootless, id, bundle, exitFile, logFile, tty: options.tty === true, remove: options.remove === true,
    ...(options.keepBundle === true ? { keepBundle: true } : {}),
  };
  const pipes = openOutputPipes(dirname(logFile));
  let child;
  try {
    const main = fileURLToPath(new URL('./monitor-main.js', import.meta.url));
    const stdin = options.stdin === true ? 0 : 'ignore';
    child = spawn(process.execPath, [main, JSON.stringify(args)], { detached: true, stdio: [stdin, ...pipes.write, 'pipe', ...pipes.read] });
  } finally {
    pipes.close();
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
  if (line === 'ok') return child.pid ?? 0;
  if (line.startsWith('error ')) {
    const e = JSON.parse(line.slice(6)) as { message: string; overlay?: string };
    throw new RuntimeError('ESETUP', e.message, e.overlay === undefined ? {} : { cause: overlayRefusalCause(e.overlay) });
  }
  throw new RuntimeError('ESETUP', `container run: monitor of ${id} exited before the container ran (see ${logFile})`);
}
