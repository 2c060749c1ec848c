/**
 * Errors of the OCI runtime lifecycle.
 *
 * Engines read our error texts: containerd's shim and podman match "does not exist", "container not running",
 * "permission denied" and "no such file or directory" (shared/RUNTIME-CLI.md, b.4 and b.5), so the messages of
 * the errors below keep those phrases; programs branch on `code` only.
 */
import { CtError } from '@ct/syscalls/errors';

/** The stable codes of runtime errors. */
export type RuntimeErrorCode =
  /** No container with that id under the state root. */
  | 'ENOCONTAINER'
  /** A container with that id already exists. */
  | 'ECONTAINEREXISTS'
  /** The container's init is not alive (kill, exec). */
  | 'ENOTRUNNING'
  /** The operation does not apply in the container's current status (start twice, delete a running one). */
  | 'EBADSTATE'
  /** A command-line argument or flag is wrong. */
  | 'EUSAGE'
  /** config.json is missing, unreadable or names something unsafe or invalid. */
  | 'ECONFIG'
  /** The state directory could not be used. */
  | 'ESTATEDIR'
  /** Waiting for the id's lock failed. */
  | 'ELOCK'
  /** A step of creating or starting the container failed (the cause says which). */
  | 'ESETUP'
  /** The kernel or a helper refused (errno in `cause`). */
  | 'ESYSTEM';

/** Base class of the runtime's errors: a CtError whose `code` is one of RuntimeErrorCode. */
export class RuntimeError extends CtError {
  /** Stable code to branch on. */
  declare readonly code: RuntimeErrorCode;

  /**
   * @param code - the stable code
   * @param message - "step: object: cause", lower case, no trailing period
   * @param options - the underlying error, if any
   */
  constructor(code: RuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'RuntimeError';
  }
}

/** `container <id> does not exist` (the phrase engines match). */
export class ContainerNotFoundError extends RuntimeError {
  /** The id that was asked for. */
  readonly id: string;
  /** @param id - the missing container's id */
  constructor(id: string, options?: { cause?: unknown }) {
    super('ENOCONTAINER', `container ${id} does not exist`, options);
    this.name = 'ContainerNotFoundError';
    this.id = id;
  }
}

/**
 * A process's program that cannot be run (missing, or found but not executable): `exitStatus` is podman's
 * convention for it (127 not found, 126 not executable), which `ct container` verbs exit with; runc's verbs exit 1.
 */
export class ExecProgramError extends RuntimeError {
  /** 127 (not found) or 126 (found, not executable). */
  readonly exitStatus: 126 | 127;

  /**
   * @param exitStatus - 127 or 126
   * @param message - "step: object: cause"
   */
  constructor(exitStatus: 126 | 127, message: string, options?: { cause?: unknown }) {
    super('ESETUP', message, options);
    this.name = 'ExecProgramError';
    this.exitStatus = exitStatus;
  }
}

/** A configuration error naming the config.json field (as a JSON path) that is wrong. */
export class ConfigError extends RuntimeError {
  /** Where in config.json, e.g. `mounts[2].destination`. */
  readonly jsonPath: string;
  /**
   * @param jsonPath - the field, as a JSON path
   * @param cause - what is wrong with it
   */
  constructor(jsonPath: string, cause: string, options?: { cause?: unknown }) {
    super('ECONFIG', `config.json: ${jsonPath}: ${cause}`, options);
    this.name = 'ConfigError';
    this.jsonPath = jsonPath;
  }
}

/** The errno code (`ENOENT`, `EACCES`...) of a Node system error, if it is one. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/**
 * The phrase engines match for a system error's errno, as strerror(3) words it: `permission denied` (EACCES,
 * EPERM as runc prints it: "operation not permitted"), `no such file or directory` (ENOENT).
 */
export function errnoPhrase(code: string | undefined): string {
  switch (code) {
    case 'EACCES': return 'permission denied';
    case 'EPERM': return 'operation not permitted';
    case 'ENOENT': return 'no such file or directory';
    case 'EEXIST': return 'file exists';
    case 'ENOTDIR': return 'not a directory';
    case 'ESRCH': return 'no such process';
    case 'EINVAL': return 'invalid argument';
    case 'ELOOP': return 'too many levels of symbolic links';
    default: return code === undefined ? 'unknown error' : code.toLowerCase();
  }
}

/** Wrap a Node system error into a RuntimeError with "step: object: cause" wording and the errno phrase. */
export function systemError(step: string, object: string, err: unknown): RuntimeError {
  const code = errnoCode(err);
  return new RuntimeError('ESYSTEM', `${step}: ${object}: ${errnoPhrase(code)}`, { cause: err });
}
