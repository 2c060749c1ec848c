/**
 * Small builders of described child steps at container paths, shared by the /dev and mount planners.
 *
 * Man pages: mount(2), mkdir(2), symlink(2).
 */
import type { InRoot } from './syscalls-port.js';
import { MS } from './mount-flags.js';
import { planned, type PlannedStep } from '../planned-step.js';

/** How container paths become step paths before pivot_root. */
export interface PathContext {
  /** Maps a container path (/dev/null) to the path a child step uses before pivot_root. */
  readonly at: (inside: string) => { readonly path: string } & InRoot;
}

/** A mount(2) step at a container path. */
export function mountAt(ctx: PathContext, inside: string, what: string, fields: {
  source?: string; fstype?: string; flags: bigint; data?: string;
}): PlannedStep {
  const { path, ...inRoot } = ctx.at(inside);
  return planned({ op: 'mount', target: path, ...inRoot, ...fields }, what, inside);
}

/** mkdir -p at a container path. */
export function mkdirAt(ctx: PathContext, inside: string, mode: number): PlannedStep {
  const { path, ...inRoot } = ctx.at(inside);
  return planned({ op: 'mkdir', path, mode, ...inRoot }, 'mkdir', inside);
}

/** An empty file (a file mount point) at a container path. */
export function touchAt(ctx: PathContext, inside: string, mode: number): PlannedStep {
  const { path, ...inRoot } = ctx.at(inside);
  return planned({ op: 'touch', path, mode, ...inRoot }, 'create mount point', inside);
}

/** A symlink at a container path. */
export function linkAt(ctx: PathContext, inside: string, target: string): PlannedStep {
  const { path, ...inRoot } = ctx.at(inside);
  return planned({ op: 'symlink', target, path, ...inRoot }, `symlink ${target}`, inside);
}

/** A bind of a host file onto an empty file at `inside`. */
export function bindFile(ctx: PathContext, source: string, inside: string, what: string, flags: bigint = MS.BIND): PlannedStep[] {
  return [touchAt(ctx, inside, 0o644), mountAt(ctx, inside, what, { source, flags })];
}


/** A remount adding `flags` (MS_RDONLY, ...) that keeps the mount's locked flags. */
export function remountAt(ctx: PathContext, inside: string, what: string, flags: bigint, recursive: boolean): PlannedStep {
  const { path, ...inRoot } = ctx.at(inside);
  return planned({ op: 'remount', target: path, flags, recursive, ...inRoot }, what, inside);
}
