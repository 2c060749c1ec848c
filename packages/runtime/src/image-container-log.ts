/**
 * `ct container logs [--tail N] [-f] [-t] [--since T] [--until T] ID` (podman's flags): the log of a container of
 * `container run` (detached, or kept in the foreground), its stdout records to `write('stdout', ...)` and its
 * stderr records to `write('stderr', ...)`, as podman prints them to its stdout and stderr; the last N lines of it,
 * with each line's time, within a time range, and with -f what it writes next until the container stops.
 * The format is podman's k8s-file (image-container-log-format.ts).
 * Man pages: read(2).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { RuntimeContext } from './context.js';
import { RuntimeError } from './errors.js';
import { checkImageContainer, imageContainerLog } from './image-containers.js';
import { completeRecordsLength, displayTime, parseLogRecords, parseLogTime, type LogRecord, type LogStream } from './image-container-log-format.js';
import { imageExitFile, imageLogFile } from './image-run.js';

/** Options of `container logs`. */
export interface LogOptions {
  /** Only the last `tail` lines (podman's --tail; a negative one is all of them). */
  readonly tail?: number | undefined;
  /** Keep printing what the container writes until it stops (podman's -f). */
  readonly follow?: boolean | undefined;
  /** Each line starts with its time, RFC 3339 with nanoseconds (podman's -t, --timestamps). */
  readonly timestamps?: boolean | undefined;
  /** Only lines written at or after this time (podman's --since: RFC 3339, a date, Unix seconds, or a duration: 10m). */
  readonly since?: string | undefined;
  /** Only lines written before this time (podman's --until, same forms). */
  readonly until?: string | undefined;
  /** How often a followed log is looked at (ms). */
  readonly intervalMs?: number | undefined;
  /** Following ends also once this says so (a foreground run: the monitor is gone). */
  readonly ended?: (() => boolean) | undefined;
}

/** Writes one stream's output. */
export type LogWrite = (stream: LogStream, chunk: Buffer) => void;

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

/** Index of the first record of the last `n` lines (a line: a stream's records up to its `F` record). */
function tailStart(records: readonly LogRecord[], n: number): number {
  if (n < 0) return 0;
  const starts: number[] = [];
  const midLine = new Set<LogStream>();
  records.forEach((r, i) => {
    if (!midLine.has(r.stream)) starts.push(i);
    if (r.full) midLine.delete(r.stream);
    else midLine.add(r.stream);
  });
  return n === 0 || n > starts.length ? (n === 0 ? records.length : 0) : starts[starts.length - n]!;
}

/** Prints records, keeping per stream whether the next record starts a line (where -t puts the time). */
class RecordPrinter {
  private readonly midLine = new Set<LogStream>();

  constructor(private readonly write: LogWrite, private readonly options: LogOptions, private readonly range: { since?: bigint; until?: bigint }) {}

  print(records: readonly LogRecord[]): void {
    for (const r of records) {
      const starts = !this.midLine.has(r.stream);
      if (r.full) this.midLine.delete(r.stream);
      else this.midLine.add(r.stream);
      if (!this.inRange(r)) continue;
      const time = this.options.timestamps === true && starts && r.time !== '' ? `${displayTime(r)} ` : '';
      this.write(r.stream, Buffer.concat([Buffer.from(time), r.text, Buffer.from(r.full ? '\n' : '')]));
    }
  }

  private inRange(r: LogRecord): boolean {
    // a line of an older ct's log has no time: no time range holds it
    if (r.time === '') return this.range.since === undefined && this.range.until === undefined;
    return (this.range.since === undefined || r.nanos >= this.range.since) && (this.range.until === undefined || r.nanos < this.range.until);
  }
}

/**
 * Write the log of `id` (or its tail, or its lines in a time range) to `write`; with `follow`, keep writing what is
 * appended until the container has stopped and its monitor recorded the exit (or it is removed).
 * @throws RuntimeError ENOCONTAINER, EUSAGE (not a container of `container run`, or one without a log: run with -t in
 * the foreground; a --since/--until that is not a time).
 */
export async function writeImageContainerLog(ctx: RuntimeContext, id: string, write: LogWrite, options: LogOptions = {}): Promise<void> {
  const now = Date.now();
  const range = {
    ...(options.since === undefined ? {} : { since: parseLogTime('since', options.since, now) }),
    ...(options.until === undefined ? {} : { until: parseLogTime('until', options.until, now) }),
  };
  const printer = new RecordPrinter(write, options, range);
  const log = imageContainerLog(ctx, id);
  let offset = options.follow === true ? completeRecordsLength(log) : log.length;
  const records = parseLogRecords(log.subarray(0, offset));
  printer.print(options.tail === undefined ? records : records.slice(tailStart(records, options.tail)));
  if (options.follow !== true) return;
  const file = imageLogFile(ctx, id);
  for (;;) {
    let done: boolean;
    try {
      const s = checkImageContainer(ctx, id);
      done = (s.status === 'stopped' && existsSync(imageExitFile(ctx, id))) || options.ended?.() === true;
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
    const length = completeRecordsLength(more);
    printer.print(parseLogRecords(more.subarray(0, length)));
    offset += length;
    // the exit is recorded after the monitor copied the last output: one last read above took it
    if (done) return;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}
