/**
 * The log of a `container run` container, in podman's k8s-file format (conmon's, the CRI's): one record a line,
 * `TIMESTAMP STREAM TAG TEXT`, with an RFC 3339 time in UTC and nanoseconds, `stdout` or `stderr`, and `F` when
 * TEXT ends a line (its newline left out) or `P` when the line goes on in the stream's next record. The monitor
 * writes what each read of the container's stdout/stderr pipe returned (complete lines as F, the rest as P, as conmon);
 * `container logs` reads the records back (per stream, with times for --timestamps, --since and --until).
 * Also the times podman's --since/--until take (podman-logs(1)): RFC 3339 (with nanoseconds), a date and time without
 * a zone (local time), a date, Unix seconds, or a Go duration before now (10m, 1h30m).
 */
import { RuntimeError } from './errors.js';

/** The container's output stream a record is from. */
export type LogStream = 'stdout' | 'stderr';

/** One record of the log. */
export interface LogRecord {
  /** The time as written (RFC 3339, nanoseconds). */
  readonly time: string;
  /** Nanoseconds since the epoch (for --since/--until). */
  readonly nanos: bigint;
  readonly stream: LogStream;
  /** False for a `P` record: the line goes on in the stream's next record. */
  readonly full: boolean;
  /** The text, without its newline. */
  readonly text: Buffer;
}

const NL = 0x0a;

/**
 * RFC 3339 time with 9 fraction digits. Node's clock has milliseconds: the digits below them count the records of one
 * millisecond, so the times of one writer stay in order (and distinct) as conmon's do.
 */
export class LogClock {
  private lastMs = 0;
  private seq = 0;

  /** The time of a record written now. */
  now(): string {
    const ms = Date.now();
    if (ms <= this.lastMs) this.seq++;
    else {
      this.lastMs = ms;
      this.seq = 0;
    }
    const iso = new Date(this.lastMs).toISOString(); // 2026-12-05T21:36:59.980Z
    return `${iso.slice(0, 23)}${String(this.seq).padStart(6, '0')}Z`;
  }
}

/** The records for one read of `stream`: each complete line a `F` record, a rest without newline a `P` record. */
export function formatLogRecords(clock: LogClock, stream: LogStream, chunk: Buffer): Buffer {
  const parts: Buffer[] = [];
  const time = clock.now();
  let start = 0;
  while (start < chunk.length) {
    const nl = chunk.indexOf(NL, start);
    const end = nl < 0 ? chunk.length : nl;
    parts.push(Buffer.from(`${time} ${stream} ${nl < 0 ? 'P' : 'F'} `), chunk.subarray(start, end), Buffer.from('\n'));
    start = end + 1;
  }
  return Buffer.concat(parts);
}

const RECORD = /^(\S+) (stdout|stderr) ([FP]) /;

/** Nanoseconds since the epoch of an RFC 3339 time (any number of fraction digits; Z or an offset). */
function rfc3339Nanos(text: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i.exec(text);
  if (m === null) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]!.toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/**
 * The records of a log file's content. A line that is not a record (a log of an older ct: raw output) is taken as a
 * complete stdout line with no time (nanos 0), so old logs still print.
 */
export function parseLogRecords(log: Buffer): LogRecord[] {
  const records: LogRecord[] = [];
  let start = 0;
  while (start < log.length) {
    let end = log.indexOf(NL, start);
    const complete = end >= 0;
    if (!complete) end = log.length;
    const line = log.subarray(start, end);
    start = end + 1;
    const head = RECORD.exec(line.subarray(0, 64).toString('latin1'));
    const nanos = head === null ? undefined : rfc3339Nanos(head[1]!);
    if (head === null || nanos === undefined) {
      records.push({ time: '', nanos: 0n, stream: 'stdout', full: complete, text: line });
      continue;
    }
    // a record the monitor was writing when this was read (no newline yet) is left for the next read
    if (!complete) break;
    records.push({ time: head[1]!, nanos, stream: head[2] as LogStream, full: head[3] === 'F', text: line.subarray(head[0].length) });
  }
  return records;
}

/** The byte length of the complete records at the start of `log` (where a follower reads on from). */
export function completeRecordsLength(log: Buffer): number {
  return log.lastIndexOf(NL) + 1;
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (time.ParseDuration: `10m`, `1h30m`, `1.5s`, `-2h`) in milliseconds, or undefined. */
function goDurationMs(text: string): number | undefined {
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(text);
  if (m === null) return text === '0' ? 0 : undefined;
  let ms = 0;
  for (const part of text.slice(m[1]!.length).matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) ms += Number(part[1]) * DURATION_UNITS[part[2]!]!;
  return m[1] === '-' ? -ms : ms;
}

/** Local date(time) without a zone, as Go's time.ParseInLocation(..., time.Local). */
function localNanos(text: string): bigint | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?)?$/.exec(text);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const ms = new Date(y, mo - 1, d, h, mi, s).getTime();
  return Number.isNaN(ms) ? undefined : BigInt(ms) * 1_000_000n + BigInt((m[7] ?? '').padEnd(9, '0'));
}

/**
 * Nanoseconds since the epoch of a --since/--until value, as podman reads it: an RFC 3339 time, `2006-01-02T15:04:05`
 * (.999999999) or `2006-01-02` in local time, `2006-01-02Z07:00`, Unix seconds (`1700000000`, `1700000000.5`), or a
 * Go duration counted back from `nowMs`.
 * @throws RuntimeError EUSAGE naming the flag and the value
 */
export function parseLogTime(flag: string, text: string, nowMs = Date.now()): bigint {
  const zoned = /^(\d{4}-\d\d-\d\d)(Z|[+-]\d\d:\d\d)$/i.exec(text);
  const nanos = rfc3339Nanos(text) ?? localNanos(text)
    ?? (zoned === null ? undefined : rfc3339Nanos(`${zoned[1]}T00:00:00${zoned[2]}`));
  if (nanos !== undefined) return nanos;
  const unix = /^(\d+)(?:\.(\d{1,9}))?$/.exec(text);
  if (unix !== null) return BigInt(unix[1]!) * 1_000_000_000n + BigInt((unix[2] ?? '').padEnd(9, '0'));
  const ms = goDurationMs(text);
  if (ms !== undefined) return BigInt(Math.round((nowMs - ms) * 1e6));
  throw new RuntimeError('EUSAGE', `container logs: --${flag} ${JSON.stringify(text)}: not a time: give RFC 3339 (2006-01-02T15:04:05Z), a date (2006-01-02), Unix seconds, or a duration before now (10m, 1h30m)`);
}

/** `container logs`' podman form of a record's time (`2006-01-02T15:04:05.999999999Z`, UTC). */
export function displayTime(record: LogRecord): string {
  if (record.time.endsWith('Z') || record.time === '') return record.time;
  const ms = Number(record.nanos / 1_000_000n);
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(record.nanos % 1_000_000_000n).padStart(9, '0')}Z`;
}
