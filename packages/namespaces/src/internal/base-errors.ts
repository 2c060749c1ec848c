/**
 * Stand-ins for @ct/syscalls' `CtError` and `SyscallError` until that package exports them (same shape:
 * a stable `code`, ES2022 `cause`; SyscallError mirrors Node's SystemError). Replace by re-exports then.
 *
 * Man pages: errno(3).
 */
import { constants } from 'node:os';

/** Base of every ct error: a stable `code` to branch on, the cause kept. */
export class CtError extends Error {
  /** Stable machine-readable code ('NAMESPACE_SETUP', 'ENOENT', ...). */
  readonly code: string;

  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'CtError';
    this.code = code;
  }
}

const errnoNames: ReadonlyMap<number, string> = new Map(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
);

/** The errno name for a number ('EPERM'), or `E<number>` when unknown. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** A failed system call: `errno`, its name as `code`, the `syscall`, and the `path` it was about. */
export class SyscallError extends CtError {
  /** The errno number (positive). */
  readonly errno: number;
  /** The system call ('mount', 'stat', 'write'). */
  readonly syscall: string;
  /** The path the call was about, when there was one. */
  readonly path: string | undefined;

  constructor(syscall: string, errno: number, path?: string) {
    const code = errnoName(errno);
    super(code, path === undefined ? `${syscall}: ${code}` : `${syscall}: ${path}: ${code}`);
    this.name = 'SyscallError';
    this.errno = errno;
    this.syscall = syscall;
    this.path = path;
  }
}
