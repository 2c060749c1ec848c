/**
 * Errors of @ct/syscalls: `CtError` (a stable `code`, ES2022 `cause`) and `SyscallError`, shaped like Node's
 * SystemError (`errno`, `code`, `syscall`, `path`, `dest`) plus the child step that failed, when any.
 * Messages read "syscall: path: CODE" in lower case ("step: object: cause").
 *
 * Man pages: errno(3).
 */
import { ERRNO_NAMES } from './internal/errno-names.generated.js';
import { getSystemErrorName } from 'node:util';

/** A ct error with a stable, machine-readable `code`. Programs branch on `code`, never on `message`. */
export class CtError extends Error {
  /** Stable code such as 'EINVALIDPLAN' or an errno name. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CtError';
    this.code = code;
  }
}

/**
 * The symbolic name of an errno as Node names it ('ENOENT'; 95 is 'ENOTSUP', 11 'EAGAIN'), else the kernel's name
 * for the ones libuv's table lacks (8 'ENOEXEC'), or 'E' + number when the kernel has none either.
 */
export function errnoName(errno: number): string {
  let name: string | undefined;
  try {
    name = getSystemErrorName(-errno);
  } catch {
    name = undefined;
  }
  if (name !== undefined && !name.startsWith('Unknown')) return name;
  return ERRNO_NAMES[errno] ?? `E${errno}`;
}

/** Where a failing syscall ran, beyond its name. */
export interface SyscallErrorDetails {
  /** The path the call acted on (as text; byte paths are decoded lossily for the message only). */
  readonly path?: string;
  /** The second path (rename, link, symlink target). */
  readonly dest?: string;
  /** The index of the child step that failed (spawn/enter only). */
  readonly step?: number;
  /** The `op` of the child step that failed (spawn/enter only). */
  readonly stepOp?: string;
}

/** A failed system call: errno plus where it happened. Same fields as Node's SystemError. */
export class SyscallError extends CtError {
  /** The positive errno value (ENOENT = 2). */
  readonly errno: number;
  /** The system call name ('openat2', 'mount', 'exec'). */
  readonly syscall: string;
  /** The path the call acted on, when it had one. */
  readonly path?: string;
  /** The second path (rename, link, symlink target), when it had one. */
  readonly dest?: string;
  /** The index of the child step that failed (spawn/enter only; -1 before the first step). */
  readonly step?: number;
  /** The `op` of the child step that failed ('mount', 'exec'; spawn/enter only). */
  readonly stepOp?: string;
  constructor(syscall: string, errno: number, details: SyscallErrorDetails = {}, options?: { cause?: unknown }) {
    const code = errnoName(errno);
    const where = details.stepOp !== undefined ? `step ${details.step ?? '?'} ${details.stepOp}: ` : '';
    const obj = details.path !== undefined ? `${details.path}: ` : '';
    super(code, `${where}${syscall}: ${obj}${code}`, options);
    this.name = 'SyscallError';
    this.errno = errno;
    this.syscall = syscall;
    if (details.path !== undefined) this.path = details.path;
    if (details.dest !== undefined) this.dest = details.dest;
    if (details.step !== undefined) this.step = details.step;
    if (details.stepOp !== undefined) this.stepOp = details.stepOp;
  }
}

/** A plan refused before any clone: unknown step, oversized strings, bad flags. */
export class InvalidPlanError extends CtError {
  /** Index of the offending step, when the problem is in one. */
  readonly step?: number;
  constructor(message: string, step?: number) {
    super('EINVALIDPLAN', message);
    this.name = 'InvalidPlanError';
    if (step !== undefined) this.step = step;
  }
}

/** One place the addon was looked for, and why it did not load. */
export interface NativeCandidate {
  /** The absolute path of the `.node` file. */
  readonly path: string;
  /** 'not found', or the loader's message (dlopen's, for an incompatible binary). */
  readonly reason: string;
}

/**
 * The addon could not be loaded from any candidate; `code` is 'ENATIVE'. Thrown when `@ct/syscalls` is imported;
 * this subpath (`@ct/syscalls/errors`) loads without the addon, so a caller can test for it.
 */
export class NativeLoadError extends CtError {
  /** Every path tried, in order, with its reason. */
  readonly candidates: readonly NativeCandidate[];
  constructor(message: string, candidates: readonly NativeCandidate[], options?: { cause?: unknown }) {
    super('ENATIVE', message, options);
    this.name = 'NativeLoadError';
    this.candidates = candidates;
  }
}
