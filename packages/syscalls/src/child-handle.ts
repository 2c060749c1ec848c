/**
 * The parent's handle on a spawned or entered child: reads the child's fixed 16-byte sync records
 * ({kind, step, errno, syscall}; also warnings) from the close-on-exec socket, turns them into ChildEvents or a
 * SyscallError, writes release bytes, and collects the exit through the pidfd watched on the event loop.
 *
 * Man pages: pidfd_open(2), pidfd_send_signal(2), waitid(2), unix(7).
 */
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import type { ChildEvent, ChildHandle, ExitStatus, Step } from './plan.js';
import { native } from './native.js';
import { CtError, SyscallError } from './errors.js';
import { pidfdSendSignal } from './process.js';
import { SYSCALL_NAMES } from './internal/plan-layout.js';

const SYNC_PAUSED = 1;
const SYNC_ERROR = 2;
const SYNC_EXECING = 3;
const SYNC_WARNING = 4;
const RECORD = 16;
const ESRCH = 3;

/** The path a failing step acted on, for the error. */
function stepPath(step: Step | undefined): string | undefined {
  if (step === undefined) return undefined;
  const s = step as { path?: unknown; target?: unknown; newRoot?: unknown; socketPath?: unknown; file?: unknown };
  const p = step.op === 'symlink' ? s.path : s.path ?? s.target ?? s.newRoot ?? s.socketPath ?? s.file;
  return typeof p === 'string' ? p : p instanceof Uint8Array ? Buffer.from(p).toString() : undefined;
}

type Waiter = { resolve: (e: ChildEvent) => void; reject: (e: Error) => void };

/** A live child. Created by spawn() and enter(); see ChildHandle in plan.ts for the contract. */
export class Child implements ChildHandle {
  readonly pid: number;
  readonly pidfd: number;
  readonly #steps: readonly Step[];
  readonly #socket: Socket;
  readonly #events: ChildEvent[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #exit: Promise<ExitStatus>;
  #pending = Buffer.alloc(0);
  #failure: CtError | undefined;
  #eof = false;
  #paused = false;
  #execing = false;
  #exited = false;
  readonly #warnings: SyscallError[] = [];

  constructor(pid: number, pidfd: number, syncFd: number, steps: readonly Step[]) {
    this.pid = pid;
    this.pidfd = pidfd;
    this.#steps = steps;
    this.#socket = new Socket({ fd: syncFd, readable: true, writable: true });
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('end', () => this.#onEof());
    this.#socket.on('close', () => this.#onEof());
    this.#socket.on('error', () => this.#onEof());
    this.#exit = new Promise((resolve, reject) => {
      const r = native.watchPidfd(pidfd, (code, signal) => {
        this.#exited = true;
        closeSync(pidfd);
        // The sync socket is left to reach EOF by itself: a record still in flight (a step's error) must be
        // read before the EOF is interpreted.
        if (code !== null && code < 0) {
          reject(new SyscallError('waitid', -code));
          return;
        }
        resolve({ code, signal, status: code ?? 128 + (signal ?? 0) });
      });
      if (r < 0) reject(new SyscallError('uv_poll_init', -r));
    });
    // wait() is optional for callers: a rejection nobody awaited must not crash the process.
    this.#exit.catch(() => undefined);
  }

  #onData(chunk: Buffer): void {
    this.#pending = Buffer.concat([this.#pending, chunk]);
    while (this.#pending.length >= RECORD) {
      const kind = this.#pending.readUInt32LE(0);
      const step = this.#pending.readInt32LE(4);
      const errno = this.#pending.readInt32LE(8);
      const sc = this.#pending.readUInt32LE(12);
      this.#pending = this.#pending.subarray(RECORD);
      if (kind === SYNC_PAUSED) {
        const s = this.#steps[step];
        this.#paused = true;
        this.#push({ kind: 'paused', label: s?.op === 'wait' ? s.label : '', step });
      } else if (kind === SYNC_EXECING) {
        this.#execing = true;
      } else if (kind === SYNC_ERROR) {
        this.#fail(this.#stepError(step, errno, sc));
      } else if (kind === SYNC_WARNING) {
        this.#warnings.push(this.#stepError(step, errno, sc));
      }
    }
  }

  #stepError(step: number, errno: number, sc: number): SyscallError {
    const s = this.#steps[step];
    const path = stepPath(s);
    return new SyscallError(SYSCALL_NAMES[sc] ?? `syscall ${sc}`, errno, {
      step, stepOp: s?.op ?? 'setup', ...(path !== undefined ? { path } : {}),
    });
  }

  /** See ChildHandle.warnings. */
  get warnings(): readonly SyscallError[] {
    return this.#warnings;
  }

  #onEof(): void {
    if (this.#eof) return;
    this.#eof = true;
    if (this.#failure !== undefined) return;
    // The child announces execve just before calling it; a failed execve sends an error record after that.
    // So EOF after the announcement (and no error) is a successful exec (the socket is close-on-exec), and EOF
    // without it is a child that died before reaching exec (killed, or its parent side vanished).
    if (!this.#execing) {
      this.#fail(new CtError('ECHILDEXITED', `child ${this.pid}: exited before exec`));
      return;
    }
    this.#push({ kind: 'exec' });
  }

  #push(e: ChildEvent): void {
    const w = this.#waiters.shift();
    if (w) w.resolve(e);
    else this.#events.push(e);
  }

  #fail(e: CtError): void {
    this.#failure = e;
    for (const w of this.#waiters.splice(0)) w.reject(e);
  }

  /**
   * See ChildHandle.nextEvent. After `exec` or a failure, further calls reject (CtError 'ECHILDDONE' or the
   * failure). A child that dies before exec without a step error (killed) rejects with CtError 'ECHILDEXITED'.
   */
  nextEvent(): Promise<ChildEvent> {
    const e = this.#events.shift();
    if (e !== undefined) return Promise.resolve(e);
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#eof) return Promise.reject(new CtError('ECHILDDONE', `child ${this.pid}: no more events after exec`));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** See ChildHandle.release. Throws CtError 'ENOTPAUSED' when the child is not paused. */
  release(): void {
    if (!this.#paused || this.#eof) throw new CtError('ENOTPAUSED', `child ${this.pid}: release: not paused`);
    this.#paused = false;
    this.#socket.write(Buffer.from([1]));
  }

  /** See ChildHandle.wait. The pidfd is closed once the exit is collected. */
  wait(): Promise<ExitStatus> {
    return this.#exit;
  }

  /** See ChildHandle.unref. */
  unref(): void {
    this.#socket.unref();
    if (!this.#exited) native.unrefWatch(this.pidfd);
  }

  /** See ChildHandle.kill. A no-op once the exit was collected. */
  kill(signal: number | NodeJS.Signals): void {
    if (this.#exited) return;
    try {
      pidfdSendSignal(this.pidfd, signal);
    } catch (e) {
      if (!(e instanceof SyscallError && e.errno === ESRCH)) throw e;
    }
  }
}
