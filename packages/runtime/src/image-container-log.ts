/**
 * `ct container logs [--tail N] [-f] ID` (podman's flags): the log of a detached container (its stdout and stderr,
 * as the monitor wrote them), the last N lines of it, and with -f what it writes next until the container stops.
 * Man pages: read(2).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { RuntimeContext } from './context.js';
import { RuntimeError } from './errors.js';
import { checkImageContainer, imageContainerLog } from './image-containers.js';
import { imageExitFile, imageLogFile } from './image-run.js';

/** Options of `container logs`. */
export interface LogOptions {
  /** Only the last `tail` lines (podman's --tail; a negative one is all of them). */
  readonly tail?: number | undefined;
  /** Keep printing what the container writes until it stops (podman's -f). */
  readonly follow?: boolean | undefined;
  /** How often a followed log is looked at (ms). */
  readonly intervalMs?: number | undefined;
}

/** The last `n` lines of `log` (a last line without its newline counts as one). */
export function tailLines(log: Buffer, n: number): Buffer {
  if (n < 0) return log;
  if (n === 0) return Buffer.alloc(0);
  let end = log.length;
  if (end > 0 && log[end - 1] === 0x0a) end--;
  let start = end;
  for (let seen = 0; start > 0; start--) {
    if (log[start - 1] === 0x0a && ++seen === n) break;
  }
  return log.subarray(start);
}

/** Bytes of `file` from `offset` to its end. */
function readFrom(file: string, offset: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const size = statSync(file).size;
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(size - offset);
    const n = readSync(fd, buf, 0, buf.length, offset);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Write the log of `id` (or its tail) to `write`; with `follow`, keep writing what is appended until the container
 * has stopped and its monitor recorded the exit (or it is removed).
 * @throws RuntimeError ENOCONTAINER, EUSAGE (not a container of `container run`, or not detached: no log).
 */
export async function writeImageContainerLog(ctx: RuntimeContext, id: string, write: (chunk: Buffer) => void, options: LogOptions = {}): Promise<void> {
  const log = imageContainerLog(ctx, id);
  write(options.tail === undefined ? log : tailLines(log, options.tail));
  if (options.follow !== true) return;
  const file = imageLogFile(ctx, id);
  let offset = log.length;
  for (;;) {
    let done: boolean;
    try {
      const s = checkImageContainer(ctx, id);
      done = s.status === 'stopped' && existsSync(imageExitFile(ctx, id));
    } catch (err) {
      if (err instanceof RuntimeError && err.code === 'ENOCONTAINER') return; // removed (-d --rm): its log went with it
      throw err;
    }
    let more: Buffer;
    try {
      more = readFrom(file, offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (more.length > 0) write(more);
    offset += more.length;
    // the exit is recorded after the monitor copied the last output: one last read above took it
    if (done) return;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}
