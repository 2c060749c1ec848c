/**
 * The container's mount plan (Guix's mount part of `run-container`, GUIX.md §1d steps 3-11), as child steps:
 * root propagation made private first (Guix relies on the user namespace instead, which leaks mounts when running
 * as root without one); a tmpfs root or a rootfs dir bound onto itself; /proc with a new pid namespace; /sys
 * read-only (sysfs with a new net namespace, else a read-only rbind of the host's); /dev (dev-plan.ts); the user's
 * mounts in order (binds recursive, read-only as a remount keeping locked flags, a file gets a file mount point);
 * pivot_root with the old root detached (or chroot with `noPivotRoot`); the populate hook; lo up and /etc/hosts; chmod / 0755; / read-only.
 *
 * Man pages: mount(2), mount_namespaces(7), pivot_root(2), proc(5), sysfs(5), tmpfs(5).
 */
import { dirname, join } from 'node:path';
import { planChrootRoot } from './confinement-plan.js';
import { HOST_DEVICES, planConsoleAndInit, planDev } from './dev-plan.js';
import { DEFAULT_DEVICES, planDevices, planDevLinks } from './device-plan.js';
import { ContainerSpecError } from './errors.js';
import { MOUNT_ATTR, MS, mountFlagBits } from './internal/mount-flags.js';
import { bindFile, mkdirAt, mountAt, type PathContext, remountAt } from './internal/step-builders.js';
import { planned, type PlannedStep } from './planned-step.js';
import {
  type BindMount, hasNamespace, isNewNamespace, type Mount, type OverlayRootSpec, type Propagation, type ResolvedContainerSpec, type TmpfsMount,
} from './spec.js';

/** What the mount plan needs to know about the host (gathered by the caller, injectable in tests). */
export interface MountPlanContext {
  /** The host directory the root is mounted on (the tmpfs mount point, or the rootfs dir). */
  readonly rootDir: string;
  /** For each bind source, whether it is a directory (others get a file mount point). */
  readonly sourceIsDirectory: (source: string) => boolean;
  /** Names from HOST_DEVICES that exist on the host (default: all of them). */
  readonly hostDevices?: readonly string[];
  /** The caller's tty for /dev/console, if any. */
  readonly consoleTty?: string | undefined;
  /** The host path of the init program when the container runs it. */
  readonly initPath?: string | undefined;
  /** Pause (a `wait` step labelled 'before-pivot-root') before pivot_root. */
  readonly pauseBeforePivotRoot?: boolean;
  /** Create device nodes with mknod (real root, no new user namespace) rather than binding the host's. */
  readonly mknodDevices?: boolean;
}

/** Guix's `%writable-/tmp`: a tmpfs on /tmp (mode 755, 10% of RAM, nosuid, nodev) that stays writable. */
export const WRITABLE_TMP: TmpfsMount = Object.freeze({
  type: 'tmpfs', target: '/tmp', mode: 0o755, size: '10%', flags: ['nosuid', 'nodev'],
} as const);

/** The `wait` label before pivot_root. */
export const BEFORE_PIVOT_ROOT = 'before-pivot-root';

function tmpfsData(mode: number | undefined, size: number | string | undefined): string {
  const parts = [`mode=${(mode ?? 0o755).toString(8)}`];
  if (size !== undefined) parts.push(`size=${size}`);
  return parts.join(',');
}

const PROPAGATION_BITS: Readonly<Record<Propagation, bigint>> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

/** A propagation change at a container path. */
function propagationAt(ctx: PathContext, inside: string, propagation: Propagation): PlannedStep {
  const { path, ...inRoot } = ctx.at(inside);
  const flags = PROPAGATION_BITS[propagation];
  if (flags === undefined) throw new ContainerSpecError('propagation', `unknown propagation: ${String(propagation)}`);
  return planned({ op: 'propagation', target: path, flags, ...inRoot }, `make ${propagation}`, inside);
}

function planBind(ctx: PathContext, mount: BindMount, isDirectory: (source: string) => boolean): PlannedStep[] {
  const recursive = mount.recursive ?? true;
  const flags = MS.BIND | (recursive ? MS.REC : 0n);
  const steps = isDirectory(mount.source)
    ? [mkdirAt(ctx, mount.target, 0o755), mountAt(ctx, mount.target, `bind ${mount.source}`, { source: mount.source, flags })]
    : [mkdirAt(ctx, dirname(mount.target), 0o755), ...bindFile(ctx, mount.source, mount.target, `bind ${mount.source}`, flags)];
  // A bind ignores MS_RDONLY/NOSUID/...: they take a remount (which keeps the source's locked flags).
  const remount = mountFlagBits(mount.flags ?? []) | (mount.readOnly === true ? MS.RDONLY : 0n);
  if (remount !== 0n) steps.push(remountAt(ctx, mount.target, remount === MS.RDONLY ? 'remount read-only' : 'remount', remount, recursive));
  if (mount.recursiveReadOnly === true) {
    const { path, ...inRoot } = ctx.at(mount.target);
    steps.push(planned({ op: 'mountSetattr', target: path, attrSet: MOUNT_ATTR.RDONLY, attrClr: 0n, propagation: 0n, recursive: true, ...inRoot },
      'make recursively read-only', mount.target));
  }
  if (mount.propagation !== undefined) steps.push(propagationAt(ctx, mount.target, mount.propagation));
  return steps;
}

function planUserMount(ctx: PathContext, mount: Mount, isDirectory: (source: string) => boolean): PlannedStep[] {
  switch (mount.type) {
    case 'bind':
      return planBind(ctx, mount, isDirectory);
    case 'tmpfs':
      return [mkdirAt(ctx, mount.target, 0o755), mountAt(ctx, mount.target, 'mount tmpfs', {
        source: 'tmpfs', fstype: 'tmpfs', flags: mountFlagBits(mount.flags ?? ['nosuid', 'nodev']),
        data: tmpfsData(mount.mode, mount.size),
      })];
    case 'filesystem':
      return [mkdirAt(ctx, mount.target, 0o755), mountAt(ctx, mount.target, `mount ${mount.fstype}`, {
        source: mount.source, fstype: mount.fstype, flags: mountFlagBits(mount.flags ?? []),
        ...(mount.data === undefined ? {} : { data: mount.data }),
      }), ...(mount.propagation === undefined ? [] : [propagationAt(ctx, mount.target, mount.propagation)])];
  }
}

/** The steps that build /proc and /sys under the root. */
function planProcSys(spec: ResolvedContainerSpec, ctx: PathContext): PlannedStep[] {
  const steps: PlannedStep[] = [];
  if (hasNamespace(spec, 'pid')) {
    // A proc mount shows the pid namespace of its mounter: only with one of the container's own, new (Guix) or
    // joined by path (then it lists the joined namespace's processes).
    steps.push(mkdirAt(ctx, '/proc', 0o555), mountAt(ctx, '/proc', 'mount proc', {
      source: 'proc', fstype: 'proc', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC,
    }));
  }
  steps.push(mkdirAt(ctx, '/sys', 0o555));
  if (isNewNamespace(spec, 'net')) {
    steps.push(mountAt(ctx, '/sys', 'mount sysfs', {
      source: 'sysfs', fstype: 'sysfs', flags: MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC,
    }));
  } else {
    // sysfs needs CAP_SYS_ADMIN over the net namespace's owner: bind the host's instead, read-only throughout.
    steps.push(
      mountAt(ctx, '/sys', 'bind /sys', { source: '/sys', flags: MS.BIND | MS.REC }),
      remountAt(ctx, '/sys', 'remount read-only', MS.RDONLY, true),
    );
  }
  return steps;
}

/** overlayfs mount data for a root (paths were checked for ',' and ':' by whoever built them). */
function overlayData(o: OverlayRootSpec): string {
  return [`lowerdir=${o.lowerDirs.join(':')}`, `upperdir=${o.upperDir}`, `workdir=${o.workDir}`, ...(o.userxattr ? ['userxattr'] : [])].join(',');
}

/**
 * The child steps that mount the container's file systems, from making / private to the read-only remount of
 * the new root. Empty when the root is the host's (namespaces-only mode, as Guix with root "/").
 */
export function mountFileSystems(spec: ResolvedContainerSpec, ctx: MountPlanContext): PlannedStep[] {
  if (spec.root.kind === 'host') return [];
  const rootDir = ctx.rootDir;
  const confined = spec.root.kind === 'rootfs';
  // A rootfs comes from an image: resolve paths inside it by fd so its symlinks cannot redirect our mounts.
  const at: PathContext['at'] = (inside) => (confined ? { path: inside, inRoot: rootDir } : { path: inside === '/' ? rootDir : join(rootDir, inside) });
  const pathCtx: PathContext = { at };
  const steps: PlannedStep[] = [
    planned({ op: 'propagation', target: '/', flags: MS.REC | MS.PRIVATE }, 'make / private', '/'),
    spec.root.kind === 'tmpfs'
      ? planned({ op: 'mount', source: 'none', target: rootDir, fstype: 'tmpfs', flags: 0n, data: 'mode=755' },
        'mount root tmpfs', rootDir)
      : spec.root.kind === 'rootfs' && spec.root.overlay !== undefined
        ? planned({ op: 'mount', source: 'overlay', target: rootDir, fstype: 'overlay', flags: 0n, data: overlayData(spec.root.overlay) },
          'mount root overlay', rootDir)
        : planned({ op: 'mount', source: rootDir, target: rootDir, flags: MS.BIND | MS.REC }, 'bind root', rootDir),
  ];
  if (spec.rootPropagation !== undefined) {
    steps.push(planned({ op: 'propagation', target: rootDir, flags: PROPAGATION_BITS[spec.rootPropagation] }, `make ${spec.rootPropagation}`, '/'));
  }
  const devContext = { at, consoleTty: ctx.consoleTty ?? undefined, initPath: ctx.initPath };
  if (spec.defaultFileSystems) {
    steps.push(...planProcSys(spec, pathCtx), ...planDev({
      ...devContext, hostDevices: ctx.hostDevices ?? HOST_DEVICES, newIpc: isNewNamespace(spec, 'ipc'),
    }));
  }
  for (const mount of spec.mounts) steps.push(...planUserMount(pathCtx, mount, ctx.sourceIsDirectory));
  const mknod = ctx.mknodDevices ?? false;
  if (!spec.defaultFileSystems) {
    // An OCI /dev: the config's mounts made it; the devices, links, console and init go in after them.
    if (spec.defaultDevices) steps.push(...planDevices(pathCtx, DEFAULT_DEVICES, mknod), ...planDevLinks(pathCtx));
    steps.push(...planConsoleAndInit(devContext));
  }
  steps.push(...planDevices(pathCtx, spec.devices, mknod));
  if (ctx.pauseBeforePivotRoot === true) steps.push(planned({ op: 'wait', label: BEFORE_PIVOT_ROOT }, 'wait before pivot_root'));
  if (spec.confinement.noPivotRoot) steps.push(...planChrootRoot(rootDir));
  else steps.push(planned({ op: 'pivotRoot', newRoot: rootDir }, 'pivot_root', rootDir));
  for (const step of spec.populate) steps.push(planned(step, 'populate', 'path' in step ? String(step.path) : undefined));
  if (spec.loopbackNetwork && isNewNamespace(spec, 'net')) steps.push(planned({ op: 'loopbackUp' }, 'bring lo up', 'lo'));
  if (spec.writeEtcHosts) {
    steps.push(
      planned({ op: 'mkdir', path: '/etc', mode: 0o755 }, 'mkdir', '/etc'),
      planned({ op: 'writeFile', path: '/etc/hosts', data: '127.0.0.1 localhost\n::1 localhost\n', mode: 0o444 },
        'write', '/etc/hosts'),
    );
  }
  // The tmpfs root is created mode 755 already; Guix's chmod repairs what the populate hook may have changed.
  // The engine's chmod goes through /proc/self/fd (an O_PATH fd cannot be fchmod'ed), so it needs our /proc:
  // without a new pid namespace the tmpfs mode stands (NEEDS-FROM-SYSCALLS.md, item 7).
  if (spec.root.kind === 'tmpfs' && isNewNamespace(spec, 'pid')) {
    steps.push(planned({ op: 'chmod', path: '/', mode: 0o755 }, 'chmod', '/'));
  }
  if (!spec.writableRoot) {
    steps.push(planned({ op: 'remount', target: '/', flags: MS.RDONLY, recursive: false }, 'remount read-only', '/'));
  }
  return steps;
}
