/**
 * File locks: flock(2) and open-file-description record locks (fcntl F_OFD_*). The blocking forms return a
 * Promise and wait on a libuv worker thread, so the event loop never blocks on a lock.
 *
 * Man pages: flock(2), fcntl(2) ("Open file description locks (non-POSIX)").
 */
import { native } from './native.js';
import { check } from './internal/c-path.js';
import { SyscallError } from './errors.js';

/** A byte range for a record lock; `len` 0 means "to the end of the file and beyond". */
export interface LockRange {
  /** Where `start` counts from: SEEK.SET (default), SEEK.CUR or SEEK.END. */
  readonly whence?: number;
  /** The first byte of the range (default 0). */
  readonly start?: number;
  /** The number of bytes; 0 (default) locks to the end of the file, however it grows. */
  readonly len?: number;
}

const F_RDLCK = 0;
const F_WRLCK = 1;
const F_UNLCK = 2;
const F_OFD_GETLK = 36;
const F_OFD_SETLK = 37;
const LOCK_NB = 4;

/** The lock kind for the OFD wrappers. */
export type LockType = 'read' | 'write' | 'unlock';
function lockType(t: LockType): number {
  return t === 'read' ? F_RDLCK : t === 'write' ? F_WRLCK : F_UNLCK;
}

/**
 * flock(2) without waiting: `op` is LOCK_SH/LOCK_EX (LOCK_NB is added) or LOCK_UN. Returns false when another
 * description holds a conflicting lock (EWOULDBLOCK), true when taken.
 */
export function flockTry(fd: number, op: number): boolean {
  const r = native.flock(fd, op | LOCK_NB);
  if (r === -11) return false;
  check(r, 'flock');
  return true;
}

/** flock(2) that waits for the lock on a worker thread. */
export async function flock(fd: number, op: number): Promise<void> {
  check(await native.flockAsync(fd, op), 'flock');
}

/** F_OFD_SETLK: take or release a record lock without waiting; false when a conflicting lock exists. */
export function ofdLockTry(fd: number, type: LockType, range: LockRange = {}): boolean {
  const r = native.fcntlLock(fd, F_OFD_SETLK, lockType(type), range.whence ?? 0, range.start ?? 0, range.len ?? 0);
  if (typeof r !== 'number') return true;
  if (r === -11 || r === -13) return false;
  check(r, 'fcntl(F_OFD_SETLK)');
  return true;
}

/** F_OFD_SETLKW on a worker thread: waits until the lock is granted. */
export async function ofdLock(fd: number, type: LockType, range: LockRange = {}): Promise<void> {
  const r = await native.ofdSetlkwAsync(fd, lockType(type), range.whence ?? 0, range.start ?? 0, range.len ?? 0);
  check(r, 'fcntl(F_OFD_SETLKW)');
}

/** F_OFD_GETLK: the type of a lock that would conflict with `type` ('unlock' when none would). */
export function ofdGetLock(fd: number, type: LockType, range: LockRange = {}): LockType {
  const r = native.fcntlLock(fd, F_OFD_GETLK, lockType(type), range.whence ?? 0, range.start ?? 0, range.len ?? 0);
  if (typeof r === 'number') {
    check(r, 'fcntl(F_OFD_GETLK)');
    throw new SyscallError('fcntl(F_OFD_GETLK)', 22);
  }
  return r[0] === F_RDLCK ? 'read' : r[0] === F_WRLCK ? 'write' : 'unlock';
}
