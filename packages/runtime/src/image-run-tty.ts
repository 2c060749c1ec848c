/**
 * `ct container run -t`: the container's process gets a pty (process.terminal, the runtime's --console-socket):
 * we listen on a socket in the bundle, receive the pty master by SCM_RIGHTS, put our terminal in raw mode and
 * copy our stdin to the master and the master to our stdout until the process exits. The window size at start
 * is passed as process.consoleSize; later changes of our terminal (SIGWINCH: Node's 'resize' on stdout) are set on
 * the master (TIOCSWINSZ through @ct/syscalls' setWindowSize, in process; the kernel passes it on to the container's
 * foreground process group as SIGWINCH).
 * Our terminal is raw as cfmakeraw(3) makes it (output processing off: the container's pty already made its CR-LF).
 * Man pages: pty(7), unix(7) (SCM_RIGHTS), termios(3), ioctl_tty(2) (TIOCSWINSZ).
 */
import { createReadStream, writeSync } from 'node:fs';
import { SyscallError, TCSA, TERMIOS, recvmsg, setWindowSize as ioctlSetWindowSize, tcgetattr, tcsetattr, type Termios } from '@ct/syscalls';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { RuntimeError } from './errors.js';
import { terminalSize } from './image-run-config.js';

export { terminalSize };

/** A console socket waiting for the pty master. */
export interface ConsoleListener {
  /** The socket's path (for create's consoleSocket). */
  readonly path: string;
  /** Resolves with the master fd once the container sends it (the same promise on every call). */
  master(): Promise<number>;
  close(): void;
}


async function receiveFd(sock: Socket): Promise<number> {
  const fd = (sock as unknown as { _handle: { fd: number } })._handle.fd;
  for (let i = 0; i < 400; i++) {
    try {
      const m = recvmsg(fd);
      const master = m.fds[0];
      if (master === undefined) throw new RuntimeError('ESETUP', 'container run: console socket: a message without the pty master');
      return master;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EAGAIN') throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new RuntimeError('ESETUP', 'container run: console socket: no pty master came');
}

/** Listen on `bundle/console.sock`; connections stay unread by libuv so the SCM_RIGHTS message is ours. */
export async function listenConsole(bundle: string): Promise<ConsoleListener> {
  const path = join(bundle, 'console.sock');
  let onConnect: (s: Socket) => void = () => {};
  const connected = new Promise<Socket>((resolve) => { onConnect = resolve; });
  const server: Server = createServer({ pauseOnConnect: true }, (s) => onConnect(s));
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(path, () => resolve()); });
  let sock: Socket | undefined;
  let received: Promise<number> | undefined;
  return {
    path,
    master: () => (received ??= connected.then((s) => { sock = s; return receiveFd(s); })),
    close: () => { sock?.destroy(); server.close(); },
  };
}

/**
 * Set the window size of the pty of `master` (ioctl TIOCSWINSZ). A failed resize (the master already closed as
 * the container exited) is not worth failing the run for: it is ignored, and false is returned.
 */
export function setWindowSize(master: number, size: { height: number; width: number }): boolean {
  try {
    ioctlSetWindowSize(master, { rows: size.height, cols: size.width });
    return true;
  } catch (err) {
    if (err instanceof SyscallError) return false;
    throw err;
  }
}

/**
 * Put our terminal (stdin's) in raw mode as cfmakeraw(3) does, as podman's does: Node's setRawMode leaves output
 * processing on (libuv keeps OPOST and ONLCR), so the container's CR-LF, already made by its own pty, came out as
 * CR-CR-LF. Returns the function that restores the terminal's modes.
 */
function makeRaw(): () => void {
  process.stdin.setRawMode(true);
  let saved: Termios | undefined;
  try {
    saved = tcgetattr(0);
    tcsetattr(0, TCSA.NOW, { ...saved, oflag: saved.oflag & ~TERMIOS.OPOST });
  } catch (err) {
    // a terminal that refuses its modes keeps Node's raw mode; anything else is a bug to see
    if (!(err instanceof SyscallError)) throw err;
    saved = undefined;
  }
  return () => {
    if (saved !== undefined) {
      try {
        tcsetattr(0, TCSA.NOW, saved);
      } catch {
        // the terminal is gone (a hangup): nothing to restore
      }
    }
    process.stdin.setRawMode(false);
  };
}

/** The output of a pty master as it is read, and the one way to close the master. */
export interface MasterReader {
  /** Settles when the container's side is closed (EIO once the last slave fd is closed) or the stream ends. */
  readonly ended: Promise<void>;
  /**
   * Stop reading and close the master. The read stream owns the descriptor: destroy() closes it (even with
   * autoClose false), once a read in progress has returned; a close of our own beside it was a double close,
   * EBADF or, worse, the close of whatever file had reused the number in between.
   */
  close(): void;
}

/** Read `master` (a pty master received over the console socket), passing each chunk to `onData`. */
export function readMaster(master: number, onData: (chunk: Buffer) => void): MasterReader {
  const output = createReadStream('', { fd: master, autoClose: false, highWaterMark: 16 * 1024 });
  output.on('data', (chunk) => onData(chunk as Buffer));
  const ended = new Promise<void>((resolve) => {
    output.on('error', () => resolve()); // EIO: the last holder of the slave closed it (or the close failed late)
    output.on('end', () => resolve());
  });
  return { ended, close: () => void output.destroy() };
}

/**
 * Copy between our stdio and `master` until the master reports the end (EIO once the container's side is closed),
 * or shortly after `done` settles (a process in the background holding the slave does not keep us); then restore
 * our terminal and close the master.
 */
export function relayTerminal(master: number, done: Promise<unknown>): Promise<void> {
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  const restoreRaw = raw ? makeRaw() : undefined;
  let open = true;
  const onInput = (chunk: Buffer): void => {
    if (!open) return;
    try {
      writeSync(master, chunk);
    } catch {
      // the container's side is gone
    }
  };
  stdin.on('data', onInput);
  stdin.resume();
  const stdout = process.stdout;
  const onResize = (): void => { if (open) setWindowSize(master, terminalSize()); };
  if (stdout.isTTY) stdout.on('resize', onResize);
  const reader = readMaster(master, (chunk) => process.stdout.write(chunk));
  return Promise.race([Promise.all([reader.ended, done]).then(() => undefined), done.then(() => new Promise<void>((r) => setTimeout(r, 100)))])
    .finally(() => {
      open = false;
      stdin.off('data', onInput);
      stdout.off('resize', onResize);
      stdin.pause();
      restoreRaw?.();
      reader.close();
    });
}

/**
 * Run a process with a pty relayed to our terminal: `start` gets the console socket (in `dir`) to hand to create
 * or exec and resolves with the exit status; the master it receives gets our window size (ours may have changed
 * since the process's consoleSize was chosen) and is relayed until the process exits.
 */
export async function runWithConsole(dir: string, start: (consoleSocket: string) => Promise<number>): Promise<number> {
  const listener = await listenConsole(dir);
  try {
    const status = start(listener.path);
    // a quick process may exit before the master is read: it was sent before the exec, so it still waits in the
    // socket (with its output in the pty) and is taken a little after the exit; none came if there was no console
    const late = (): Promise<undefined> => new Promise((r) => setTimeout(r, 500, undefined));
    const master = await Promise.race([listener.master(), status.then(() => Promise.race([listener.master(), late()]))]);
    if (master !== undefined) {
      if (process.stdout.isTTY) setWindowSize(master, terminalSize());
      await relayTerminal(master, status);
    }
    return await status;
  } finally {
    listener.close();
  }
}
