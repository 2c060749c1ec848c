/**
 * The state directory: one directory per container under the state root, holding `state.json` (written
 * atomically: temp file, fsync, rename), `config.json` (the config as created: later edits to the bundle have no
 * effect), `exec.fifo` (holds the init until `start`) and the lock.
 *
 * Man pages: rename(2), fsync(2), mkfifo(3).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Hooks } from './hooks.js';
import { ContainerNotFoundError, RuntimeError, errnoCode, systemError } from './errors.js';

/** Container ids: letters, digits and `_+-.`, not starting with a dot (`.bundles` and the like are ours). */
const idPattern = /^[\w+-][\w+\-.]*$/;

/** What ct records about a container (state.json). The public state (`ct state`) is derived from it. */
export interface ContainerRecord {
  /** The runtime-spec version of the config it was created from. */
  readonly ociVersion: string;
  /** The container id. */
  readonly id: string;
  /** The init's pid in the state root owner's pid namespace (0 while creating). */
  readonly pid: number;
  /** The init's start time (field 22 of /proc/PID/stat), decimal: a pid is trusted only while it matches. */
  readonly initStartTime: string;
  /** Absolute bundle path. */
  readonly bundle: string;
  /** Absolute rootfs path. */
  readonly rootfs: string;
  /** Creation time, RFC 3339 with nanoseconds as runc writes it. */
  readonly created: string;
  /** User name of the creator. */
  readonly owner: string;
  /** config.json's annotations. */
  readonly annotations: Readonly<Record<string, string>>;
  /** Set while `create` runs; cleared once the init waits on the FIFO. */
  readonly creating?: boolean;
  /** While creating: the `ct create` process (pid and start time), so a create that died is seen as stopped. */
  readonly creator?: {
    /** The `ct create` process's pid. */
    readonly pid: number;
    /** Its start time (field 22 of /proc/PID/stat), decimal. */
    readonly startTime: string;
  };
  /** Whether the container was created rootless. */
  readonly rootless: boolean;
  /**
   * While creating: the cgroup directories the launch may make (namespaces' plannedCgroupDirs), written before it makes any,
   * so a delete after a crashed create removes them (and kills what is in them) though `cgroupPaths` was never written.
   */
  readonly cgroupPlanned?: {
    /** The container cgroup directories it may make. */
    readonly paths: readonly string[];
    /** The parent directories of a nested cgroupsPath it may make (deepest first). */
    readonly parents: readonly string[];
  };
  /** The container's cgroup directories (one per v1 hierarchy, one for v2), when create made one. */
  readonly cgroupPaths?: readonly string[];
  /** The parents create made for a nested cgroupsPath (deepest first), removed by delete when empty. */
  readonly cgroupParents?: readonly string[];
  /** 'v2' when cgroupPaths is in a unified hierarchy (absent: v1). */
  readonly cgroupVersion?: 'v1' | 'v2';
  /** The cgroupfs root when it was not /sys/fs/cgroup at create (CT_CGROUP_ROOT, tests only). */
  readonly cgroupRoot?: string;
  /** Created with --no-new-keyring: exec'd processes keep the caller's session keyring too. */
  readonly noNewKeyring?: true;
  /** config.json's hooks, for start and delete (only when there are some). */
  readonly hooks?: Hooks;
}

/** Paths of one container's state directory. */
export interface ContainerPaths {
  /** The container's directory. */
  readonly dir: string;
  /** state.json. */
  readonly state: string;
  /** The config.json snapshot taken at create. */
  readonly config: string;
  /** The FIFO the init blocks on until `start`. */
  readonly execFifo: string;
  /** The lock file. */
  readonly lock: string;
}

/** Refuse ids that are not plain names (a `/` or `..` would leave the state root). */
export function checkContainerId(id: string): void {
  if (!idPattern.test(id)) {
    throw new RuntimeError('EUSAGE', `invalid container ID format: ${JSON.stringify(id)}`);
  }
}

/** The paths of container `id` under `root`. */
export function containerPaths(root: string, id: string): ContainerPaths {
  checkContainerId(id);
  const dir = join(root, id);
  return {
    dir,
    state: join(dir, 'state.json'),
    config: join(dir, 'config.json'),
    execFifo: join(dir, 'exec.fifo'),
    lock: join(dir, 'lock'),
  };
}

/** Create the state root (0700, as runc) if it is missing. */
export function ensureStateRoot(root: string): void {
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw systemError('create state root', root, err);
  }
}

/** Write a file atomically: a temp file beside it, fsync, rename over the target. */
export function writeFileAtomic(path: string, data: string, mode = 0o600): void {
  const tmp = `${path}.tmp-${process.pid}`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w', mode);
    writeSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw systemError('write state', path, err);
  }
}

/** Write state.json for a container. */
export function writeRecord(paths: ContainerPaths, record: ContainerRecord): void {
  writeFileAtomic(paths.state, JSON.stringify(record) + '\n');
}

/** Read state.json; a missing container is `ContainerNotFoundError`. */
export function readRecord(paths: ContainerPaths, id: string): ContainerRecord {
  let text: string;
  try {
    text = readFileSync(paths.state, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') throw new ContainerNotFoundError(id, { cause: err });
    throw systemError('read state', paths.state, err);
  }
  try {
    return JSON.parse(text) as ContainerRecord;
  } catch (err) {
    throw new RuntimeError('ESTATEDIR', `read state: ${paths.state}: invalid json`, { cause: err });
  }
}

/** The ids that have a state directory under `root` (sorted; a missing root means none). */
export function listIds(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && idPattern.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw systemError('list containers', root, err);
  }
}

/** Remove a container's state directory. */
export function removeContainerDir(paths: ContainerPaths): void {
  try {
    rmSync(paths.dir, { recursive: true, force: true });
  } catch (err) {
    throw systemError('remove state', paths.dir, err);
  }
}
