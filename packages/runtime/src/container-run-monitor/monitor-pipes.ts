/**
 * The container's stdout and stderr under its monitor: two pipes (FIFOs made in the bundle and unlinked once both
 * ends are open: Node makes no pipe(2) pair), whose write ends are the monitor's fds 1 and 2 (so the container
 * inherits them, as conmon gives the container pipes) and whose read ends the monitor reads, writing each read as
 * k8s-file records (image-container-log-format.ts) to the log. The monitor closes its own copies of the write ends
 * once the container holds them, so the readers see the end when the container's last process closes its stdout and
 * stderr: what it wrote before it exited is all in the log, even under load. A restarted container (--restart)
 * gets a new pair, made by the monitor, whose write ends go to it as its stdio (monitor-run.ts).
 * Man pages: fifo(7), pipe(7), mknod(2).
 */
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { AT, mknodat, O, S } from '@ct/syscalls';
import { systemError } from '../errors.js';
import { formatLogRecords, LogClock, type LogStream } from '../image-container-log-format.js';
import { randomHex } from '../random-hex.js';

/** The two pipes, as the spawner opened them. */
export interface OutputPipes {
  /** Write ends of stdout and stderr (the monitor's fds 1 and 2). */
  readonly write: readonly [number, number];
  /** Read ends of stdout and stderr (the monitor's fds 4 and 5). */
  readonly read: readonly [number, number];
  /** Close all four in the spawner (once the monitor has its copies, or on failure). */
  close(): void;
  /** Close the write ends only (the container holds its copies; the read ends go to copyPipes). */
  closeWrite(): void;
}

/** Where the monitor finds the read ends. */
export const READ_FDS = [4, 5] as const;

/** Make the stdout and stderr pipes of a container whose bundle is `dir`. */
export function openOutputPipes(dir: string): OutputPipes {
  const fds: number[] = [];
  const close = (): void => {
    for (const fd of fds.splice(0)) closeSync(fd);
  };
  try {
    for (const stream of ['stdout', 'stderr']) {
      const path = join(dir, `.${stream}-${randomHex(4)}`);
      try {
        mknodat(AT.FDCWD, path, S.IFIFO | 0o600);
        // the read end first, non-blocking (no writer yet); then the write end opens at once (a reader exists)
        fds.push(openSync(path, O.RDONLY | O.NONBLOCK | O.CLOEXEC));
        fds.push(openSync(path, O.WRONLY | O.CLOEXEC));
      } catch (err) {
        throw systemError(`container run: ${stream} pipe`, path, err);
      } finally {
        rmSync(path, { force: true });
      }
    }
  } catch (err) {
    close();
    throw err;
  }
  const [r1, w1, r2, w2] = fds as [number, number, number, number];
  return {
    read: [r1, r2], write: [w1, w2], close,
    closeWrite() {
      for (const fd of [w1, w2]) {
        const i = fds.indexOf(fd);
        if (i < 0) continue;
        fds.splice(i, 1);
        closeSync(fd);
      }
    },
  };
}

/** The container log, open for appending k8s-file records. */
export interface LogWriter {
  /** Write `chunk` as records of `stream` (the pipes' output, the pty's of -dt, the monitor's own warnings). */
  write(stream: LogStream, chunk: Buffer): void;
  /** Close the log. */
  close(): void;
}

/** Open `logFile` for the monitor (appended: a restarted or started-again container's log goes on; created 0600). */
export function openLog(logFile: string): LogWriter {
  const log = openSync(logFile, 'a', 0o600);
  const clock = new LogClock();
  return {
    write: (stream, chunk) => void writeSync(log, formatLogRecords(clock, stream, chunk)),
    close: () => closeSync(log),
  };
}

/** The copy of one run's stdout and stderr pipes to the log. */
export interface PipeCopy {
  /** Settles when both pipes reached their end (every writer closed them). */
  readonly ended: Promise<void>;
  /** Stop reading (a process in the background may hold the pipes after the container's init exited). */
  close(): void;
}

/** Read the pipes whose read ends are `read` (stdout, stderr; the fds are the copy's now) into `log`. */
export function copyPipes(read: readonly [number, number], log: LogWriter): PipeCopy {
  const sockets = read.map((fd, i) => {
    const stream: LogStream = i === 0 ? 'stdout' : 'stderr';
    const socket = new Socket({ fd, readable: true, writable: false });
    socket.on('data', (chunk: Buffer) => log.write(stream, chunk));
    return socket;
  });
  const ended = Promise.all(sockets.map((s) => new Promise<void>((resolve) => {
    s.on('end', resolve);
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  }))).then(() => undefined);
  return {
    ended,
    close() {
      for (const s of sockets) s.destroy();
    },
  };
}

/**
 * Close the monitor's own stdout and stderr (the pipes' write ends, once the container holds them), each reopened on
 * /dev/null at once: the numbers 1 and 2 stay taken (a file opened later never lands there), and the pipes end when
 * the container's processes close them.
 */
export function releaseWriteEnds(): void {
  for (const fd of [1, 2]) {
    closeSync(fd);
    const again = openSync('/dev/null', 'w');
    if (again !== fd) closeSync(again); // taken meanwhile by another open: that one stays; fd is closed, as wanted
  }
}
