/**
 * The typed errors of @ct/namespaces. Messages follow "step: object: cause" in lower case (STYLE.md, errors);
 * programs branch on `code`, never on the message.
 * `CtError` and `SyscallError` come from @ct/syscalls and are re-exported.
 */
import { CtError, SyscallError } from '@ct/syscalls';

export { CtError, SyscallError };

/** A child setup step failed (or the parent's side of it): `step` names it, `pid` is the child's host pid. */
export class NamespaceSetupError extends CtError {
  /** The failed step as we describe it: 'mount proc', 'bind /foo', 'pivot_root', 'exec', ... */
  readonly step: string;
  /** The child's pid in the caller's pid namespace, when a child existed. */
  readonly pid: number | undefined;
  /** What the step worked on (a mount point, a file), when it names one. */
  readonly object: string | undefined;

  constructor(step: string, pid: number | undefined, cause: Error, object?: string) {
    const what = cause instanceof SyscallError ? cause.code : cause.message;
    super('NAMESPACE_SETUP', object === undefined ? `${step}: ${what}` : `${step}: ${object}: ${what}`, { cause });
    this.name = 'NamespaceSetupError';
    this.step = step;
    this.pid = pid;
    this.object = object;
  }
}

/** A uid/gid map could not be planned or written: `file` is the file concerned, `line` a 1-based line in it. */
export class IdMapError extends CtError {
  /** /etc/subuid, /proc/PID/uid_map, newgidmap, ... */
  readonly file: string;
  /** The 1-based line of `file` that was wrong, when it is a line-oriented input. */
  readonly line: number | undefined;

  constructor(file: string, line: number | undefined, message: string, cause?: Error) {
    super('ID_MAP', `id map: ${file}${line === undefined ? '' : `:${line}`}: ${message}`, cause ? { cause } : {});
    this.name = 'IdMapError';
    this.file = file;
    this.line = line;
  }
}

/** A `ContainerSpec` field has a value that cannot work; `field` is its path (`mounts[2].target`). */
export class ContainerSpecError extends CtError {
  /** The field at fault, as a path from the spec's root. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('CONTAINER_SPEC', `container spec: ${field}: ${message}`);
    this.name = 'ContainerSpecError';
    this.field = field;
  }
}

/** The container's cgroup could not be made, limited, joined or removed: `path` is the cgroupfs file or dir. */
export class CgroupError extends CtError {
  /** The cgroupfs path concerned. */
  readonly path: string;

  constructor(path: string, message: string, cause?: Error) {
    const why = cause === undefined ? '' : `: ${(cause as NodeJS.ErrnoException).code ?? cause.message}`;
    super('CGROUP', `cgroup: ${path}: ${message}${why}`, cause ? { cause } : {});
    this.name = 'CgroupError';
    this.path = path;
  }
}
