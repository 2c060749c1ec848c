/**
 * Device nodes in the container's /dev, as OCI runtimes make them (linux.devices and the default devices):
 * mknod when the caller is real root with no new user namespace (then chmod, since the child's umask would
 * narrow the mode), else a bind of the host's node at the same path (a user namespace cannot mknod). Plus the
 * default /dev links (ptmx → pts/ptmx, fd, stdin, stdout, stderr). Used when the spec brings its own /dev
 * (`defaultFileSystems: false`); Guix's /dev (dev-plan.ts) binds its devices itself.
 *
 * Man pages: mknod(2), makedev(3), mount(2) (MS_BIND), pts(4).
 */
import { ContainerSpecError } from './errors.js';
import { MS } from './internal/mount-flags.js';
import { bindFile, linkAt, mkdirAt, type PathContext } from './internal/step-builders.js';
import { planned, type PlannedStep } from './planned-step.js';

/** A device node (OCI linux.devices). */
export interface DeviceNode {
  /** Absolute path inside the container. */
  readonly path: string;
  /** 'c' (or 'u') character, 'b' block, 'p' FIFO. */
  readonly type: 'c' | 'u' | 'b' | 'p';
  /** Major number (ignored for 'p'). */
  readonly major: number;
  /** Minor number (ignored for 'p'). */
  readonly minor: number;
  /** Permission bits (default 0o666). */
  readonly fileMode?: number;
  /** Owner (a made node only; a bound host node keeps its own). Default 0. */
  readonly uid?: number;
  /** Group (a made node only). Default 0. */
  readonly gid?: number;
}

/** runc's default devices in runc's order (its AllowedDevices: null, random, full, tty, zero, urandom), mode 0666. */
export const DEFAULT_DEVICES: readonly DeviceNode[] = Object.freeze([
  { path: '/dev/null', type: 'c', major: 1, minor: 3 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9 },
] as const);

const TYPE_BITS = { c: 0o020000, u: 0o020000, b: 0o060000, p: 0o010000 } as const;

/** Check device nodes (fields `devices[i].x`). */
export function validateDevices(devices: readonly DeviceNode[]): readonly DeviceNode[] {
  devices.forEach((d, i) => {
    if (typeof d.path !== 'string' || !d.path.startsWith('/') || d.path.split('/').includes('..')) {
      throw new ContainerSpecError(`devices[${i}].path`, `not an absolute path without '..': ${String(d.path)}`);
    }
    if (!Object.hasOwn(TYPE_BITS, d.type)) throw new ContainerSpecError(`devices[${i}].type`, `not c, u, b or p: ${String(d.type)}`);
    for (const key of ['major', 'minor'] as const) {
      if (!Number.isInteger(d[key]) || d[key] < 0 || d[key] > 0xfffff) throw new ContainerSpecError(`devices[${i}].${key}`, `not a device number: ${d[key]}`);
    }
    if (d.fileMode !== undefined && (!Number.isInteger(d.fileMode) || d.fileMode < 0 || d.fileMode > 0o7777)) {
      throw new ContainerSpecError(`devices[${i}].fileMode`, `not a permission mode: ${d.fileMode}`);
    }
    for (const key of ['uid', 'gid'] as const) {
      const id = d[key];
      if (id !== undefined && (!Number.isInteger(id) || id < 0 || id > 0xfffffffe)) throw new ContainerSpecError(`devices[${i}].${key}`, `not a valid id: ${id}`);
    }
  });
  return devices;
}

/** The steps that create `devices` (mknod when `mknod`, else binds of the host nodes). */
export function planDevices(ctx: PathContext, devices: readonly DeviceNode[], mknod: boolean): PlannedStep[] {
  const steps: PlannedStep[] = [];
  for (const d of devices) {
    // runc's createDevices skips it: setupPtmx makes /dev/ptmx the link to pts/ptmx (podman's --privileged lists it)
    if (d.path === '/dev/ptmx') continue;
    const dir = d.path.slice(0, d.path.lastIndexOf('/')) || '/';
    steps.push(mkdirAt(ctx, dir, 0o755));
    if (!mknod) {
      steps.push(...bindFile(ctx, d.path, d.path, 'bind device', MS.BIND));
      continue;
    }
    const mode = d.fileMode ?? 0o666;
    const { path, ...inRoot } = ctx.at(d.path);
    steps.push(
      planned({ op: 'mknod', path, mode: TYPE_BITS[d.type] | mode, major: d.major, minor: d.minor, ...inRoot }, 'mknod', d.path),
      planned({ op: 'chmod', path, mode, ...inRoot }, 'chmod', d.path),
    );
    if ((d.uid ?? 0) !== 0 || (d.gid ?? 0) !== 0) {
      steps.push(planned({ op: 'chown', path, uid: d.uid ?? 0, gid: d.gid ?? 0, ...inRoot }, 'chown', d.path));
    }
  }
  return steps;
}

/**
 * The default /dev links of an OCI container, as runc's setupPtmx and setupDevSymlinks make them (/dev/core only
 * when the kernel has /proc/kcore).
 */
export function planDevLinks(ctx: PathContext, kcore: boolean): PlannedStep[] {
  return [
    linkAt(ctx, '/dev/ptmx', 'pts/ptmx'),
    linkAt(ctx, '/dev/fd', '/proc/self/fd'),
    linkAt(ctx, '/dev/stdin', '/proc/self/fd/0'),
    linkAt(ctx, '/dev/stdout', '/proc/self/fd/1'),
    linkAt(ctx, '/dev/stderr', '/proc/self/fd/2'),
    ...(kcore ? [linkAt(ctx, '/dev/core', '/proc/kcore')] : []),
  ];
}

/** The defaults whose paths `devices` does not name, then `devices` (runc's specconv order). */
export function withDefaultDevices(devices: readonly DeviceNode[]): DeviceNode[] {
  const named = new Set(devices.map((d) => d.path));
  return [...DEFAULT_DEVICES.filter((d) => !named.has(d.path)), ...devices];
}
