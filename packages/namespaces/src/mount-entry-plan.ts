/**
 * The steps of one user mount, in the container's mount order: the mount point made (a directory, or an empty file
 * for a bind of a file), the mount, for a bind the remount that applies its flags (keeping the locked ones), the
 * propagation changes in order, then the recursive attributes (mount_setattr AT_RECURSIVE, OCI's `r*` options).
 * A read-only tmpfs, or a read-only mount at /dev, is mounted writable and reported as late: the mount plan
 * remounts it read-only once the devices and links are in it (runc's finalizeRootfs).
 *
 * Man pages: mount(2), mount_setattr(2), mount_namespaces(7), tmpfs(5).
 */
import { dirname } from 'node:path';
import { planCgroupMount, type CgroupMountContext } from './cgroup-mount-plan.js';
import { ContainerSpecError } from './errors.js';
import { MS, mountAttributeBits, mountFlagBits } from './internal/mount-flags.js';
import { bindFile, mkdirAt, mountAt, type PathContext, remountAt } from './internal/step-builders.js';
import type { BindMount, FileSystemMount, Mount, MountCommon, Propagation } from './mount-spec.js';
import { planned, type PlannedStep } from './planned-step.js';

/** What planning a user mount needs besides the mount. */
export interface MountEntryContext extends PathContext {
  /** Whether a bind source is a directory (others get a file mount point). */
  readonly sourceIsDirectory: (source: string) => boolean;
  /** The container's cgroup, for `cgroup` mounts. */
  readonly cgroup: CgroupMountContext | undefined;
  /** Where a `cgroup` mount without a cgroup is reported. */
  readonly warn: (message: string) => void;
}

/** The steps of a mount, and its target when a read-only remount must wait for the end of the mount plan. */
export interface MountEntryPlan {
  readonly steps: readonly PlannedStep[];
  readonly lateReadOnly: string | undefined;
}

const PROPAGATION_BITS: Readonly<Record<Propagation, bigint>> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

/** The MS_* bits of a propagation name. */
export function propagationBits(propagation: Propagation): bigint {
  const flags = PROPAGATION_BITS[propagation];
  if (flags === undefined) throw new ContainerSpecError('propagation', `unknown propagation: ${String(propagation)}`);
  return flags;
}

/** A propagation change at a container path. */
export function propagationAt(ctx: PathContext, inside: string, propagation: Propagation): PlannedStep {
  const { path, ...inRoot } = ctx.at(inside);
  return planned({ op: 'propagation', target: path, flags: propagationBits(propagation), ...inRoot }, `make ${propagation}`, inside);
}

/** The propagation changes and recursive attributes every kind of mount may carry, in that order. */
function afterMount(ctx: PathContext, mount: MountCommon, recursiveReadOnly: boolean): PlannedStep[] {
  const list = mount.propagation === undefined ? [] : typeof mount.propagation === 'string' ? [mount.propagation] : mount.propagation;
  const steps = list.map((p) => propagationAt(ctx, mount.target, p));
  const set = [...(mount.recursiveAttributes?.set ?? []), ...(recursiveReadOnly ? ['ro' as const] : [])];
  const clear = mount.recursiveAttributes?.clear ?? [];
  if (set.length > 0 || clear.length > 0) {
    const { path, ...inRoot } = ctx.at(mount.target);
    const bits = mountAttributeBits(set, clear);
    steps.push(planned({ op: 'mountSetattr', target: path, ...bits, propagation: 0n, recursive: true, ...inRoot },
      'set recursive mount attributes', mount.target));
  }
  return steps;
}

function planBind(ctx: MountEntryContext, mount: BindMount): PlannedStep[] {
  const recursive = mount.recursive ?? true;
  const flags = MS.BIND | (recursive ? MS.REC : 0n);
  const steps = ctx.sourceIsDirectory(mount.source)
    ? [mkdirAt(ctx, mount.target, 0o755), mountAt(ctx, mount.target, `bind ${mount.source}`, { source: mount.source, flags })]
    : [mkdirAt(ctx, dirname(mount.target), 0o755), ...bindFile(ctx, mount.source, mount.target, `bind ${mount.source}`, flags)];
  // A bind ignores MS_RDONLY/NOSUID/...: they take a remount (which keeps the source's locked flags), of the bind
  // itself only, as runc's and Guix's (mount(2) ignores MS_REC on a remount): read-only for every mount below is
  // `recursiveReadOnly` (OCI's rro).
  const remount = mountFlagBits(mount.flags ?? []) | (mount.readOnly === true ? MS.RDONLY : 0n);
  if (remount !== 0n) steps.push(remountAt(ctx, mount.target, remount === MS.RDONLY ? 'remount read-only' : 'remount', remount, false));
  return [...steps, ...afterMount(ctx, mount, mount.recursiveReadOnly === true)];
}

function planFileSystem(ctx: MountEntryContext, mount: FileSystemMount): MountEntryPlan {
  const bits = mountFlagBits(mount.flags ?? []);
  const late = (bits & MS.RDONLY) !== 0n && (mount.fstype === 'tmpfs' || mount.target === '/dev');
  const steps = [mkdirAt(ctx, mount.target, 0o755), mountAt(ctx, mount.target, `mount ${mount.fstype}`, {
    source: mount.source, fstype: mount.fstype, flags: late ? bits & ~MS.RDONLY : bits,
    ...(mount.data === undefined ? {} : { data: mount.data }),
  }), ...afterMount(ctx, mount, false)];
  return { steps, lateReadOnly: late ? mount.target : undefined };
}

/** The steps of one user mount. */
export function planUserMount(ctx: MountEntryContext, mount: Mount): MountEntryPlan {
  switch (mount.type) {
    case 'bind':
      return { steps: planBind(ctx, mount), lateReadOnly: undefined };
    case 'tmpfs':
      return {
        steps: [mkdirAt(ctx, mount.target, 0o755), mountAt(ctx, mount.target, 'mount tmpfs', {
          source: 'tmpfs', fstype: 'tmpfs', flags: mountFlagBits(mount.flags ?? ['nosuid', 'nodev']),
          data: `mode=${(mount.mode ?? 0o755).toString(8)}${mount.size === undefined ? '' : `,size=${mount.size}`}`,
        }), ...afterMount(ctx, mount, false)],
        lateReadOnly: undefined,
      };
    case 'filesystem':
      return planFileSystem(ctx, mount);
    case 'cgroup': {
      const planned = planCgroupMount(ctx, mount, ctx.cgroup, ctx.warn);
      return { steps: [...planned.steps, ...afterMount(ctx, mount, false)], lateReadOnly: planned.lateReadOnly };
    }
  }
}
