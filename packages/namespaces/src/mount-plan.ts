/**
 * The container's mount plan (Guix's mount part of `run-container`, GUIX.md §1d steps 3-11), as child steps:
 * root propagation made private first (Guix relies on the user namespace instead, which leaks mounts when running
 * as root without one); a tmpfs root or a rootfs dir bound onto itself; with Guix's file systems, /proc for a pid
 * namespace of its own, /sys read-only (sysfs with a new net namespace, else a read-only rbind of the host's, or
 * none as Guix with `bindHostSys: false`) and
 * /dev (dev-plan.ts); the user's mounts in order (mount-entry-plan.ts); without Guix's file systems (an OCI config
 * brings its own), the devices and /dev links after them unless /dev is a bind; pivot_root with the old root
 * detached (or chroot with `noPivotRoot`; or, for a rootfs without a mount namespace of its own, runc's way: the
 * mounts in the caller's namespace and a plain chroot); the console; read-only remounts put off until then; the
 * populate hook; lo up and /etc/hosts; chmod / 0755; / read-only.
 *
 * Man pages: mount(2), mount_namespaces(7), pivot_root(2), proc(5), sysfs(5), tmpfs(5).
 */
import { join } from 'node:path';
import { ContainerSpecError } from './errors.js';
import { checkCgroupUnderSharedBind, type CgroupMountContext } from './cgroup-mount-plan.js';
import { planChrootRoot } from './confinement-plan.js';
import { HOST_DEVICES, planConsoleAndInit, planDev } from './dev-plan.js';
import { planDevices, planDevLinks, withDefaultDevices } from './device-plan.js';
import { MS } from './internal/mount-flags.js';
import { mkdirAt, mountAt, type PathContext, remountAt } from './internal/step-builders.js';
import { planUserMount, propagationBits } from './mount-entry-plan.js';
import { pauseStep } from './pause-protocol.js';
import { planned, type PlannedStep } from './planned-step.js';
import {
  hasNamespace, isNewNamespace, type OverlayRootSpec, type ResolvedContainerSpec, type TmpfsMount,
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
  /** The container's cgroup, for `cgroup` mounts. */
  readonly cgroup?: CgroupMountContext | undefined;
  /** Whether the kernel has /proc/kcore (runc links /dev/core to it then). Default false. */
  readonly kcore?: boolean;
  /** Where notes go (a cgroup mount without a cgroup). Default none. */
  readonly warn?: (message: string) => void;
  /** The host mount point the root directory sits on (made private with a `rootPropagation`). Default '/'. */
  readonly rootParentMount?: string;
}

/** Guix's `%writable-/tmp`: a tmpfs on /tmp (mode 755, 10% of RAM, nosuid, nodev) that stays writable. */
export const WRITABLE_TMP: TmpfsMount = Object.freeze({
  type: 'tmpfs', target: '/tmp', mode: 0o755, size: '10%', flags: ['nosuid', 'nodev'],
} as const);

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
  if (!isNewNamespace(spec, 'net') && !spec.bindHostSys) return steps; // Guix: no /sys without a net namespace
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

/** The most bytes of mount(2) data the kernel reads (one page, the last byte its NUL): longer data is cut. */
export const MOUNT_DATA_MAX = 4095;

/** overlayfs mount data for a root (paths were checked for ',' and ':' by whoever built them); it may be too long. */
export function overlayMountData(o: OverlayRootSpec): string {
  return [`lowerdir=${o.lowerDirs.join(':')}`, `upperdir=${o.upperDir}`, `workdir=${o.workDir}`, ...(o.userxattr ? ['userxattr'] : [])].join(',');
}

/**
 * overlayMountData, checked.
 * @throws ContainerSpecError (root.overlay.lowerDirs) when it is longer than the kernel reads: the last layer's path
 *   would be cut (an image of ~40 layers or more in a store with long paths; the caller can copy the layers instead).
 */
function overlayData(o: OverlayRootSpec): string {
  const data = overlayMountData(o);
  if (Buffer.byteLength(data) > MOUNT_DATA_MAX) {
    throw new ContainerSpecError('root.overlay.lowerDirs', `${o.lowerDirs.length} layer dirs make ${Buffer.byteLength(data)} bytes of overlay mount data, more than the ${MOUNT_DATA_MAX} the kernel reads`);
  }
  return data;
}

/**
 * The child steps that mount the container's file systems, from making / private to the read-only remount of
 * the new root. Empty when the root is the host's (namespaces-only mode, as Guix with root "/").
 */
export function mountFileSystems(spec: ResolvedContainerSpec, ctx: MountPlanContext): PlannedStep[] {
  if (spec.root.kind === 'host') return [];
  // No mount namespace of its own (a rootfs only): runc's way, the mounts made in the caller's mount namespace (they
  // stay there after the container, as runc's do) and a plain chroot into the root.
  const ownMnt = hasNamespace(spec, 'mnt');
  const rootDir = ctx.rootDir;
  const confined = spec.root.kind === 'rootfs';
  // A rootfs comes from an image: resolve paths inside it by fd so its symlinks cannot redirect our mounts.
  const at: PathContext['at'] = (inside) => (confined ? { path: inside, inRoot: rootDir } : { path: inside === '/' ? rootDir : join(rootDir, inside) });
  const pathCtx: PathContext = { at };
  // runc's prepareRoot: `/` takes the root propagation (default: private, recursively) before the root is bound, and
  // with a shared one the mount the root directory sits on is made private, so that pivot_root accepts it
  // (rootfsParentMountPrivate); an unbindable one makes the bind fail, as runc's.
  const rootPropagation = spec.rootPropagation;
  const parent = ctx.rootParentMount ?? '/';
  const steps: PlannedStep[] = !ownMnt ? [] : [
    rootPropagation === undefined
      ? planned({ op: 'propagation', target: '/', flags: MS.REC | MS.PRIVATE }, 'make / private', '/')
      : planned({ op: 'propagation', target: '/', flags: propagationBits(rootPropagation) }, `make / ${rootPropagation}`, '/'),
    ...(rootPropagation?.endsWith('shared') === true ? [planned({ op: 'propagation', target: parent, flags: MS.PRIVATE }, 'make private', parent)] : []),
    spec.root.kind === 'tmpfs'
      ? planned({ op: 'mount', source: 'none', target: rootDir, fstype: 'tmpfs', flags: 0n, data: 'mode=755' },
        'mount root tmpfs', rootDir)
      : spec.root.kind === 'rootfs' && spec.root.overlay !== undefined
        ? planned({ op: 'mount', source: 'overlay', target: rootDir, fstype: 'overlay', flags: 0n, data: overlayData(spec.root.overlay) },
          'mount root overlay', rootDir)
        : planned({ op: 'mount', source: rootDir, target: rootDir, flags: MS.BIND | MS.REC }, 'bind root', rootDir),
  ];
  const devContext = { at, consoleTty: ctx.consoleTty ?? undefined, initPath: ctx.initPath };
  if (spec.defaultFileSystems) {
    steps.push(...planProcSys(spec, pathCtx), ...planDev({
      ...devContext, hostDevices: ctx.hostDevices ?? HOST_DEVICES, newIpc: isNewNamespace(spec, 'ipc'),
    }));
  }
  const entryCtx = { at, sourceIsDirectory: ctx.sourceIsDirectory, cgroup: ctx.cgroup, warn: ctx.warn ?? (() => undefined) };
  const late: string[] = [];
  for (const [i, mount] of spec.mounts.entries()) {
    if (ownMnt) checkCgroupUnderSharedBind(spec.mounts, i, rootPropagation, ctx.cgroup);
    const entry = planUserMount(entryCtx, mount);
    steps.push(...entry.steps);
    if (entry.lateReadOnly !== undefined) late.push(entry.lateReadOnly);
  }
  const mknod = ctx.mknodDevices ?? false;
  if (spec.defaultFileSystems) steps.push(...planDevices(pathCtx, spec.devices, mknod));
  else {
    // An OCI /dev: the config's mounts made it; the devices and links go in after them (none when /dev is a bind,
    // as runc's needsSetupDev), then the console and init.
    if (!spec.mounts.some((m) => m.type === 'bind' && m.target === '/dev')) {
      steps.push(...planDevices(pathCtx, spec.defaultDevices ? withDefaultDevices(spec.devices) : spec.devices, mknod));
      if (spec.defaultDevices) steps.push(...planDevLinks(pathCtx, ctx.kcore ?? false));
    }
    steps.push(...planConsoleAndInit(devContext));
  }
  if (ctx.pauseBeforePivotRoot === true) steps.push(pauseStep('before-pivot-root'));
  if (!ownMnt) {
    steps.push(
      planned({ op: 'chdir', path: rootDir }, 'chdir', rootDir),
      planned({ op: 'chroot', path: '.' }, 'chroot', rootDir),
      planned({ op: 'chdir', path: '/' }, 'chdir', '/'),
    );
  } else if (spec.confinement.noPivotRoot) steps.push(...planChrootRoot(rootDir));
  else steps.push(planned({ op: 'pivotRoot', newRoot: rootDir }, 'pivot_root', rootDir));
  if (spec.console !== undefined) {
    // The pty comes from the container's own /dev/ptmx, so after the root switch (runc's setupConsole).
    const { socketPath, rows, cols } = spec.console;
    steps.push(planned({ op: 'console', socketPath, devConsole: true, ...(rows === undefined || cols === undefined ? {} : { rows, cols }) },
      'console', socketPath));
  }
  // A missing working directory is made, as runc makes it (before / may turn read-only).
  if (spec.root.kind === 'rootfs') steps.push(planned({ op: 'mkdir', path: spec.command.cwd, inRoot: '/', mode: 0o755 }, 'mkdir', spec.command.cwd));
  for (const target of late) {
    steps.push(planned({ op: 'remount', target, inRoot: '/', flags: MS.RDONLY, recursive: false }, 'remount read-only', target));
  }
  for (const step of spec.populate) steps.push(planned(step, 'populate', 'path' in step ? String(step.path) : undefined));
  if (spec.loopbackNetwork && isNewNamespace(spec, 'net')) steps.push(planned({ op: 'loopbackUp' }, 'bring lo up', 'lo'));
  if (spec.writeEtcHosts !== undefined) {
    steps.push(
      planned({ op: 'mkdir', path: '/etc', mode: 0o755 }, 'mkdir', '/etc'),
      planned({ op: 'writeFile', path: '/etc/hosts', data: spec.writeEtcHosts, mode: 0o444 },
        'write', '/etc/hosts'),
    );
  }
  // The tmpfs root is created mode 755 already; Guix's chmod repairs what the populate hook may have changed (the
  // chmod step needs no /proc: fchmodat2 on the O_PATH fd).
  if (spec.root.kind === 'tmpfs') {
    steps.push(planned({ op: 'chmod', path: '/', mode: 0o755 }, 'chmod', '/'));
  }
  if (!spec.writableRoot) {
    steps.push(planned({ op: 'remount', target: '/', flags: MS.RDONLY, recursive: false }, 'remount read-only', '/'));
  }
  return steps;
}
