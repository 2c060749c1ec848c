/**
 * Process identity and pidfds: getuid/geteuid/getgid/getegid, pidfd_open(2), pidfd_send_signal(2).
 *
 * Man pages: getuid(2), getgid(2), pidfd_open(2), pidfd_send_signal(2).
 */
import { constants as osConstants } from 'node:os';
import { native } from './native.js';
import { check } from './internal/c-path.js';
import { CtError } from './errors.js';

/** getuid(2). */
export function getuid(): number { return native.getuid(); }
/** geteuid(2). */
export function geteuid(): number { return native.geteuid(); }
/** getgid(2). */
export function getgid(): number { return native.getgid(); }
/** getegid(2). */
export function getegid(): number { return native.getegid(); }

/** pidfd_open(2): a close-on-exec pidfd for `pid`; flags PIDFD_NONBLOCK (O_NONBLOCK). */
export function pidfdOpen(pid: number, flags = 0): number {
  return check(native.pidfdOpen(pid, flags), 'pidfd_open');
}

/**
 * A signal number from a number (returned as it is) or a Node signal name (`SIGTERM`).
 * @throws CtError EINVAL for a name Node does not know.
 */
export function signalNumber(signal: number | NodeJS.Signals): number {
  if (typeof signal === 'number') return signal;
  const n = osConstants.signals[signal];
  if (n === undefined) throw new CtError('EINVAL', `signal: ${String(signal)}: unknown signal name`);
  return n;
}

/** pidfd_send_signal(2) with no siginfo. */
export function pidfdSendSignal(pidfd: number, signal: number | NodeJS.Signals): void {
  check(native.pidfdSendSignal(pidfd, signalNumber(signal)), 'pidfd_send_signal');
}
