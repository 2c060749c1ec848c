/**
 * Helper processes of a container's network (pasta, slirp4netns): started in the foreground of a session of
 * their own (a terminal's ^C reaches the container, not them) with PR_SET_PDEATHSIG=SIGKILL (through setpriv(1),
 * as Node cannot set it), so they never outlive the process that owns the container's run (ct in the
 * foreground, the monitor of a detached one) even when it is killed; their stderr goes to a log in the bundle,
 * read back to explain a failure. Each is recorded (pid and start time) in the network record as soon as it is
 * spawned; stopping one checks the start time through a pidfd first (process-signal.ts).
 * Man pages: prctl(2) (PR_SET_PDEATHSIG), setpriv(1), setsid(2), pidfd_open(2).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError } from '../errors.js';
import { readProcStat } from '../proc-stat.js';
import { signalIfSame, waitForExit } from '../process-signal.js';
import type { HelperRecord } from './network-record.js';

/** A helper started (not yet known to be ready). */
export interface StartedHelper {
  readonly record: HelperRecord;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or 128 + signal) once it has exited. */
  readonly exited: Promise<number>;
}

/**
 * Spawn `argv` as a helper named `name`: its stderr appended to `logFile`; `readyPipe` gives it a pipe at fd 3,
 * `fds` our descriptors at the next ones (3, 4, ... without the pipe).
 * @throws RuntimeError ESETUP when it cannot be started
 */
export async function spawnHelper(name: string, argv: readonly string[], logFile: string, readyPipe = false, fds: readonly number[] = []): Promise<StartedHelper> {
  const log = openSync(logFile, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', ...argv], {
      detached: true, stdio: ['ignore', log, log, ...(readyPipe ? ['pipe' as const] : []), ...fds],
    });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === null ? 0 : signalNumber(signal))));
  });
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (err) => resolve(err));
  });
  if (spawned !== undefined || child.pid === undefined) {
    throw new RuntimeError('ESETUP', `network: start ${name}: ${spawned?.message ?? 'no pid'}`, { cause: spawned });
  }
  const stat = readProcStat(child.pid);
  return { record: { name, pid: child.pid, startTime: String(stat?.startTime ?? 0n) }, child, exited };
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}

/** The last lines of a helper's log, for an error message. */
export function helperLogTail(logFile: string, lines = 3): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').map((l) => l.trim())
      .filter((l) => l !== '' && !/^Failed to send .* to syslog$/.test(l)).slice(-lines).join('; ');
  } catch {
    return '';
  }
}

/**
 * Wait until `ready` says so (polled), or the helper exits (an error quoting its log), or `timeoutMs` passes.
 * @throws RuntimeError ESETUP naming the helper and what it said
 */
export async function waitReady(h: StartedHelper, ready: () => boolean, logFile: string, timeoutMs = 20_000): Promise<void> {
  let code: number | undefined;
  void h.exited.then((c) => { code = c; });
  const deadline = Date.now() + timeoutMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 20)) {
    if (ready()) return;
    if (code !== undefined) {
      throw new RuntimeError('ESETUP', `network: ${h.record.name} exited with status ${code}: ${helperLogTail(logFile) || 'no message'}`);
    }
    if (Date.now() > deadline) throw new RuntimeError('ESETUP', `network: ${h.record.name}: not ready after ${timeoutMs / 1000} s`);
    await sleep(delay);
  }
}

/** Stop a recorded helper: SIGTERM, then SIGKILL after `graceMs`; a helper already gone is fine. */
export async function stopHelper(h: HelperRecord, graceMs = 2_000): Promise<void> {
  if (!(await signalIfSame(h, 15))) return;
  if (await waitForExit(h, graceMs)) return;
  await signalIfSame(h, 9);
  if (!(await waitForExit(h, 5_000))) throw new RuntimeError('ESETUP', `network: ${h.name} ${h.pid} did not exit after SIGKILL`);
}
