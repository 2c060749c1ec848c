/**
 * OCI masked and read-only paths, applied after pivot_root with each path resolved inside the new root by fd
 * (the steps' `inRoot: '/'`), so a symlink in an image cannot point a mask elsewhere. A masked file gets
 * /dev/null bound over it, a masked directory a read-only empty tmpfs (runc's maskPath: MS_RDONLY, no data); a read-only path is bound onto itself and
 * remounted read-only (keeping locked flags). Paths that do not exist in the container are skipped, as runc does:
 * those the host-side look-up finds missing are left out of the plan, and the steps are optional, so the child
 * skips a path that is missing after all (an earlier mask hid it: /proc/acpi, then /proc/acpi/x).
 *
 * Man pages: mount(2) (MS_BIND, MS_REMOUNT), proc(5), sysfs(5), tmpfs(5).
 */
import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { O, openInRoot } from '@ct/syscalls';
import { ContainerSpecError } from './errors.js';
import { MS } from './internal/mount-flags.js';
import { planned, type PlannedStep } from './planned-step.js';

/** `runc spec`'s masked paths. */
export const DEFAULT_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
]);

/** `runc spec`'s read-only paths. */
export const DEFAULT_READONLY_PATHS: readonly string[] = Object.freeze([
  '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
]);

/** What a container path is, seen before the clone; undefined when it does not exist. */
export type PathKind = 'file' | 'directory' | undefined;

/** Check a list of container paths (`field[i]`): absolute, no NUL, no '..' component. */
export function validateContainerPaths(field: string, paths: readonly string[]): readonly string[] {
  paths.forEach((path, i) => {
    if (typeof path !== 'string' || !path.startsWith('/')) throw new ContainerSpecError(`${field}[${i}]`, `not an absolute path: ${String(path)}`);
    if (path.includes('\0')) throw new ContainerSpecError(`${field}[${i}]`, 'contains a NUL byte');
    if (path.split('/').includes('..')) throw new ContainerSpecError(`${field}[${i}]`, `contains '..': ${path}`);
  });
  return paths;
}

/**
 * The kind of `inside` as the container will see it, looked up on the host: /proc and /sys are the same kernel's
 * (present only when the container mounts them), other paths under the rootfs dir or a bind mount's source.
 */
export function hostPathKind(inside: string, where: {
  readonly rootfs: string | undefined;
  readonly procMounted: boolean;
  readonly sysMounted: boolean;
  readonly binds: readonly { readonly source: string; readonly target: string }[];
}): PathKind {
  let host: string | undefined;
  if (inside === '/proc' || inside.startsWith('/proc/')) host = where.procMounted ? inside : undefined;
  else if (inside === '/sys' || inside.startsWith('/sys/')) host = where.sysMounted ? inside : undefined;
  else {
    const bind = [...where.binds].reverse().find((b) => inside === b.target || inside.startsWith(`${b.target}/`));
    if (bind !== undefined) host = bind.source + inside.slice(bind.target.length);
    else if (where.rootfs !== undefined) return kindInRoot(where.rootfs, inside);
  }
  if (host === undefined) return undefined;
  try {
    return statSync(host).isDirectory() ? 'directory' : 'file';
  } catch {
    return undefined;
  }
}

/** The kind of `inside` resolved in `rootfs` as the child will (RESOLVE_IN_ROOT: an image's symlinks stay inside). */
function kindInRoot(rootfs: string, inside: string): PathKind {
  let rootFd: number | undefined;
  let fd: number | undefined;
  try {
    rootFd = openSync(rootfs, O.PATH | O.DIRECTORY);
    fd = openInRoot(rootFd, inside, O.PATH);
    return fstatSync(fd).isDirectory() ? 'directory' : 'file';
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
    if (rootFd !== undefined) closeSync(rootFd);
  }
}

/** The mask steps (run after pivot_root). */
export function planMaskedPaths(paths: readonly string[], kindOf: (inside: string) => PathKind): PlannedStep[] {
  const steps: PlannedStep[] = [];
  for (const path of paths) {
    const kind = kindOf(path);
    if (kind === 'directory') {
      steps.push(planned({
        op: 'mount', source: 'tmpfs', target: path, inRoot: '/', fstype: 'tmpfs', flags: MS.RDONLY, optional: true,
      }, 'mask', path));
    } else if (kind === 'file') {
      steps.push(planned({ op: 'mount', source: '/dev/null', target: path, inRoot: '/', flags: MS.BIND, optional: true }, 'mask', path));
    }
  }
  return steps;
}

/** The read-only path steps (run after pivot_root). */
export function planReadonlyPaths(paths: readonly string[], kindOf: (inside: string) => PathKind): PlannedStep[] {
  const steps: PlannedStep[] = [];
  for (const path of paths) {
    if (kindOf(path) === undefined) continue;
    steps.push(
      planned({ op: 'mount', source: path, target: path, inRoot: '/', flags: MS.BIND | MS.REC, optional: true }, 'bind read-only path', path),
      planned({ op: 'remount', target: path, inRoot: '/', flags: MS.RDONLY, recursive: true, optional: true }, 'remount read-only', path),
    );
  }
  return steps;
}
