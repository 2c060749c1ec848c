/**
 * Where our init program is: build/bin/ct-init, a static C program (native/init.c) that the container execs as
 * PID 1 when `init: true`. It forks the command, reaps orphans, relays signals and exits with the command's
 * status (code, or 128 + signal). And when it is ready: a pid namespace's init gets a signal from outside only
 * once it has a handler for it (the kernel drops it otherwise), so a signal sent between its exec and its
 * sigaction calls would be lost; `waitInitReady` waits until /proc/PID/status shows them caught (SigCgt), the
 * kernel's own test.
 *
 * Man pages: execve(2), waitpid(2), pid_namespaces(7), proc_pid_status(5).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CtError } from './errors.js';
import { checkShippedProgram } from './shipped-program.js';

/**
 * The host path of the ct-init binary shipped with this package.
 * @throws CtError `ENOPROGRAM` when it is missing or not mode r-x for all (the message names the file and the fix)
 */
export function initProgramPath(): string {
  // Same depth from src/ (tests through tsx) and dist/ (built).
  const path = fileURLToPath(new URL('../build/bin/ct-init', import.meta.url));
  const problem = checkShippedProgram(path, '@ct/namespaces');
  if (problem !== undefined) throw new CtError('ENOPROGRAM', `init program: ${problem}`);
  return path;
}

/** The signals ct-init handles (native/init.c: the relayed ones, then SIGCHLD last). */
const INIT_SIGNALS: readonly number[] = [1, 2, 3, 10, 12, 15, 28, 17]; // HUP INT QUIT USR1 USR2 TERM WINCH CHLD

/** The caught-signal mask of `pid`, or undefined once it is gone or a zombie. */
function caughtSignals(procRoot: string, pid: number): bigint | undefined {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  if (/^State:\s+[ZX]/m.test(text)) return undefined;
  const mask = /^SigCgt:\s+([0-9a-f]+)$/m.exec(text)?.[1];
  return mask === undefined ? undefined : BigInt(`0x${mask}`);
}

/**
 * Resolve once ct-init, exec'd as `pid`, has its signal handlers (or has gone: its exit status says the rest).
 * It takes microseconds after the exec; the poll backs off from 1 ms to 20 ms for a loaded machine.
 */
export async function waitInitReady(pid: number, procRoot = '/proc'): Promise<void> {
  const wanted = INIT_SIGNALS.reduce((m, sig) => m | (1n << BigInt(sig - 1)), 0n);
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    const caught = caughtSignals(procRoot, pid);
    if (caught === undefined || (caught & wanted) === wanted) return;
    await sleep(delay);
  }
}
