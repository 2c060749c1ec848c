/**
 * One `ct container cp` as podman-cp(1) describes it, once the container's root is reachable at `job.root` (a
 * running container's /proc/PID/root, a copy root, or its overlay mounted by this process): the container side
 * resolved inside that root (openat2 RESOLVE_IN_ROOT: a symlink in the image, absolute or relative, stays inside
 * it), the host side as the host resolves it. podman's rules:
 * - a file to a path that does not exist makes that file (its parent must exist; a path ending in `/` must be an
 *   existing directory); onto a file, replaces it; onto a directory, goes into it under its own name;
 * - a directory to a path that does not exist becomes that directory; onto a directory, goes into it under its own
 *   name, or only its contents when the source ends in `/.`; onto a file, is refused.
 * Runs in the caller (root) or in the copy worker (container-copy-worker.ts) in the container's user namespace.
 * Man pages: openat2(2), podman-cp(1), overlayfs (Documentation/filesystems/overlayfs.rst).
 */
import { closeSync, fstatSync, mkdirSync, openSync } from 'node:fs';
import { basename } from 'node:path';
import { MS, O, SyscallError, mount, openInRoot } from '@ct/syscalls';
import { copyTree } from './container-copy-tree.js';
import { RuntimeError } from './errors.js';

/** What a copy worker is told (JSON). */
export interface CopyJob {
  /** The container's id (for messages). */
  readonly id: string;
  /** The container's root as this process sees it. */
  readonly root: string;
  /** Mount this overlay on `root` first (a stopped container's root; the worker has its own mount namespace). */
  readonly overlay?: { readonly lowerDirs: readonly string[]; readonly upperDir: string; readonly workDir: string; readonly userxattr: boolean };
  /** 'in': host to container; 'out': container to host. */
  readonly direction: 'in' | 'out';
  /** The path in the container (relative to its root; a leading `/` is optional). */
  readonly containerPath: string;
  /** The host path (absolute). */
  readonly hostPath: string;
  /** Into the container: the owner of what is written (the container's primary user, in its namespace). */
  readonly owner?: { readonly uid: number; readonly gid: number };
}

function errnoOf(err: unknown): string | undefined {
  return err instanceof SyscallError || (err as NodeJS.ErrnoException | undefined)?.code !== undefined ? String((err as { code: unknown }).code) : undefined;
}

/** The side of a copy: opens paths, inside the container's root or on the host. */
interface Side {
  /** Open `path` (O_PATH, following symlinks); undefined when it does not exist. */
  open(path: string, flags?: number): number | undefined;
  /** "on container ID" or "on the host", for messages. */
  readonly where: string;
}

function opener(open: (path: string, flags: number) => number, where: string): Side {
  return {
    where,
    open(path, flags = 0) {
      try {
        return open(path, O.PATH | O.CLOEXEC | flags);
      } catch (err) {
        if (errnoOf(err) === 'ENOENT') return undefined;
        throw new RuntimeError('ESYSTEM', `container cp: ${JSON.stringify(path)} ${where}: ${errnoOf(err) ?? (err as Error).message}`, { cause: err });
      }
    },
  };
}

/** The overlay's mount options (as @ct/namespaces' mount plan writes them). */
function overlayData(o: NonNullable<CopyJob['overlay']>): string {
  return [`lowerdir=${o.lowerDirs.join(':')}`, `upperdir=${o.upperDir}`, `workdir=${o.workDir}`, ...(o.userxattr ? ['userxattr'] : [])].join(',');
}

/** The parent of `path` and its last name ('.' and '' for a path that names a directory's contents). */
function splitLast(path: string): { parent: string; name: string } {
  const trimmed = path.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  return i < 0 ? { parent: '.', name: trimmed } : { parent: trimmed.slice(0, i) || '/', name: trimmed.slice(i + 1) };
}

/**
 * Run `job` (this process must reach `job.root`: root, or the container's user namespace).
 * @throws RuntimeError ENOENT-like ESYSTEM (a path not found: its side named), EUSAGE (a directory onto a file, a
 *   file onto a missing directory), ESYSTEM (a step of the copy: path and errno).
 */
export function runCopyJob(job: CopyJob): void {
  if (job.overlay !== undefined) {
    // our own mount namespace: keep the mount from propagating to the host's
    mount(null, '/', null, MS.REC | MS.PRIVATE);
    mkdirSync(job.root, { recursive: true });
    mount('overlay', job.root, 'overlay', 0n, overlayData(job.overlay));
  }
  const rootFd = openSync(job.root, O.PATH | O.DIRECTORY | O.CLOEXEC);
  try {
    const inRoot = opener((p, flags) => openInRoot(rootFd, p.replace(/^\/+/, '') || '.', flags), `on container ${job.id}`);
    const host = opener((p, flags) => openSync(p, flags), 'on the host');
    const [src, dst] = job.direction === 'in' ? [host, inRoot] : [inRoot, host];
    const [srcPath, dstPath] = job.direction === 'in' ? [job.hostPath, job.containerPath] : [job.containerPath, job.hostPath];
    copyPaths(src, srcPath, dst, dstPath, job);
  } finally {
    closeSync(rootFd);
  }
}

function notFound(path: string, side: Side): RuntimeError {
  return new RuntimeError('ESYSTEM', `container cp: ${JSON.stringify(path)} could not be found ${side.where}: no such file or directory`);
}

function copyPaths(src: Side, srcPath: string, dst: Side, dstPath: string, job: CopyJob): void {
  const srcFd = src.open(srcPath);
  if (srcFd === undefined) throw notFound(srcPath, src);
  const opened = [srcFd];
  try {
    const srcDir = fstatSync(srcFd).isDirectory();
    const contentsOnly = srcDir && /(^|\/)\.$/.test(srcPath);
    const srcName = basename(srcPath.replace(/\/+$/, '')) || '.';
    const options = { destLabel: dstPath, ...(job.owner !== undefined ? { owner: job.owner } : {}) };
    const target = dst.open(dstPath);
    if (target !== undefined) opened.push(target);
    if (target !== undefined && fstatSync(target).isDirectory()) {
      // into the directory: under the source's own name, or its contents (`dir/.`, or a root `/`)
      copyTree(srcFd, target, contentsOnly || srcName === '.' || srcName === '' ? undefined : Buffer.from(srcName), options);
      return;
    }
    if (target !== undefined && srcDir) {
      throw new RuntimeError('EUSAGE', `container cp: cannot copy directory ${JSON.stringify(srcPath)} to file ${JSON.stringify(dstPath)} ${dst.where}`);
    }
    if (target === undefined && dstPath.endsWith('/') && !srcDir) {
      throw new RuntimeError('EUSAGE', `container cp: ${JSON.stringify(dstPath)} ${dst.where}: the destination directory must exist to copy a file into it`);
    }
    const { parent, name } = splitLast(dstPath);
    const parentFd = dst.open(parent, O.DIRECTORY);
    if (parentFd === undefined) throw notFound(parent, dst);
    opened.push(parentFd);
    copyTree(srcFd, parentFd, Buffer.from(name), options);
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}
