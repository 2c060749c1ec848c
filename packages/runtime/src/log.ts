/**
 * The runtime's log, as runc writes it: `--log FILE` (default stderr), `--log-format text|json`, `--debug`.
 * JSON lines are `{"level","msg","time"}`: containerd's shim reads the last `level == "error"` line's msg, and
 * podman decodes the file as one JSON object, so an error run writes exactly one line unless --debug is on. Text
 * lines are logrus's: `time="..." level=error msg="..."`.
 *
 * Man pages: none (formats: logrus TextFormatter/JSONFormatter as used by runc).
 */
import { appendFileSync } from 'node:fs';

/** Log levels in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

/** Where and how to log. */
export interface LogOptions {
  /** A file to append to; undefined means stderr. */
  readonly path?: string | undefined;
  /** Line format. */
  readonly format: 'text' | 'json';
  /** Also write debug lines. */
  readonly debug: boolean;
}

/** A sink for the runtime's messages. */
export interface Logger {
  /** Write one line at `level` (debug lines only with --debug). */
  log(level: LogLevel, msg: string): void;
  /** True when lines go to stderr (so a fatal error need not be printed twice). */
  readonly toStderr: boolean;
}

function rfc3339Now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Format one line (exported for tests). */
export function formatLogLine(format: 'text' | 'json', level: LogLevel, msg: string, time = rfc3339Now()): string {
  if (format === 'json') return JSON.stringify({ level, msg, time }) + '\n';
  return `time=${JSON.stringify(time)} level=${level} msg=${JSON.stringify(msg)}\n`;
}

/** A logger writing per `options`; a log file that cannot be written falls back to stderr. */
export function createLogger(options: LogOptions): Logger {
  const toStderr = options.path === undefined || options.path === '' || options.path === '/dev/stderr';
  return {
    toStderr,
    log(level, msg) {
      if (level === 'debug' && !options.debug) return;
      const line = formatLogLine(options.format, level, msg);
      if (!toStderr && options.path !== undefined) {
        try {
          appendFileSync(options.path, line, { mode: 0o600 });
          return;
        } catch {
          // fall through to stderr: losing the message would hide the failure from the caller
        }
      }
      process.stderr.write(line);
    },
  };
}

/** A logger that drops everything (library callers that do not want output). */
export const silentLogger: Logger = { toStderr: false, log() {} };
