/**
 * Planning the uid/gid maps of a container's user namespace (Guix's `initialize-user-namespace`, extended):
 * - unprivileged: one id, the caller's own, seen as the guest id; setgroups is denied first;
 * - unprivileged with /etc/subuid and /etc/subgid ranges: the caller's id as the guest id plus every range around
 *   it, written by newuidmap/newgidmap (setuid helpers). A map of the caller's own id alone (`hostUids: 1`) is
 *   written directly, as Guix writes it: newgidmap would write "deny" to setgroups for it (shadow 4.13), so
 *   setgroups is planned from what /proc/PID/setgroups will say (id-map-write.ts checks it after newgidmap);
 * - root: as Guix, `hostUids` ids (default 65536) from `hostIdBase` (default 0) seen from 0, or the guest id alone
 *   when `hostUids` is 1.
 * Mount locking adds an inner user namespace whose maps are the identity over the outer one's inside ids.
 *
 * Man pages: user_namespaces(7), newuidmap(1), subuid(5).
 */
import type { IdMapEntry, ResolvedContainerSpec } from './spec.js';
import type { SubordinateRange } from './subordinate-ids.js';
import { ContainerSpecError } from './errors.js';

/** What a map needs from the host. */
export interface IdMapContext {
  /** The caller's effective uid. */
  readonly euid: number;
  /** The caller's effective gid. */
  readonly egid: number;
  /** The caller's ranges from /etc/subuid (empty when none or not wanted). */
  readonly subuid: readonly SubordinateRange[];
  /** The caller's ranges from /etc/subgid (empty when none or not wanted). */
  readonly subgid: readonly SubordinateRange[];
  /** Whether newuidmap and newgidmap can be run. */
  readonly newidmapAvailable: boolean;
  /**
   * The caller's own user namespace denies setgroups (/proc/self/setgroups says "deny", as inside `unshare
   * --map-root-user` or a rootless engine's namespace): a nested namespace inherits the denial. Default false.
   */
  readonly setgroupsDenied?: boolean;
  /**
   * The maps of the caller's own user namespace (/proc/self/uid_map, gid_map) when it is not the initial one (a
   * container nested in another): each planned extent must fall within one of its extents (the kernel checks
   * so), so planned extents are split at their boundaries.
   */
  readonly ownUidMap?: readonly IdMapEntry[];
  /** The same for /proc/self/gid_map. */
  readonly ownGidMap?: readonly IdMapEntry[];
}

/** The planned maps and how to write them. */
export interface IdMapPlan {
  /** The uid_map lines. */
  readonly uidMap: readonly IdMapEntry[];
  /** The gid_map lines. */
  readonly gidMap: readonly IdMapEntry[];
  /** 'write': the parent writes /proc/PID/{uid,gid}_map itself; 'newidmap': through newuidmap/newgidmap. */
  readonly method: 'write' | 'newidmap';
  /** Write "deny" to /proc/PID/setgroups first (required for an unprivileged single-id gid map). */
  readonly denySetgroups: boolean;
  /**
   * Ids the child switches to right after the maps, before it mounts, when the caller's own ids are not mapped
   * (root with a base range): container root, so the files it creates belong to mapped ids.
   */
  readonly setupIds: {
    /** The uid switched to (0: container root). */
    readonly uid: number;
    /** The gid switched to. */
    readonly gid: number;
  } | undefined;
}

/** Root's default `hostUids` (Guix's system containers use 65536). */
export const ROOT_DEFAULT_HOST_UIDS = 65536;

function contains(map: readonly IdMapEntry[], id: number, side: 'inside' | 'outside'): boolean {
  return map.some((e) => id >= e[side] && id < e[side] + e.count);
}

/** The `uid_map` text of `entries`: one `inside outside count` line each. */
export function formatIdMap(entries: readonly IdMapEntry[]): string {
  return entries.map((e) => `${e.inside} ${e.outside} ${e.count}\n`).join('');
}

/**
 * The caller's own id at `guest`, and the ranges laid out around it from inside id 0 up, at most `limit` ids in
 * all (undefined: every range).
 */
export function layoutRanges(
  guest: number, own: number, ranges: readonly SubordinateRange[], limit: number | undefined,
): IdMapEntry[] {
  const entries: IdMapEntry[] = [{ inside: guest, outside: own, count: 1 }];
  let total = 1;
  let next = 0;
  for (const range of ranges) {
    let start = range.start;
    let left = range.count;
    while (left > 0 && (limit === undefined || total < limit)) {
      if (next === guest) {
        next += 1;
        continue;
      }
      let count = next < guest ? Math.min(left, guest - next) : left;
      if (limit !== undefined) count = Math.min(count, limit - total);
      entries.push({ inside: next, outside: start, count });
      next += count;
      start += count;
      left -= count;
      total += count;
    }
  }
  return entries;
}

function planRoot(spec: ResolvedContainerSpec): IdMapPlan {
  const count = spec.hostUids ?? ROOT_DEFAULT_HOST_UIDS;
  const base = spec.hostIdBase;
  const map = (guest: number, field: string): IdMapEntry[] => {
    if (count === 1) return [{ inside: guest, outside: base, count: 1 }];
    if (guest >= count) throw new ContainerSpecError(field, `${guest} is outside the ${count} mapped ids`);
    return [{ inside: 0, outside: base, count }];
  };
  const uidMap = map(spec.guestUid, 'guestUid');
  const gidMap = map(spec.guestGid, 'guestGid');
  const setupIds = !contains(uidMap, 0, 'outside') && contains(uidMap, 0, 'inside') && contains(gidMap, 0, 'inside')
    ? { uid: 0, gid: 0 } : undefined;
  return { uidMap, gidMap, method: 'write', denySetgroups: false, setupIds };
}

function planExplicit(uidMap: readonly IdMapEntry[], gidMap: readonly IdMapEntry[],
  ctx: IdMapContext): IdMapPlan {
  const single = (map: readonly IdMapEntry[], own: number): boolean =>
    map.length === 1 && map[0]?.count === 1 && map[0].outside === own;
  const root = ctx.euid === 0;
  const selfOnly = single(uidMap, ctx.euid) && single(gidMap, ctx.egid);
  if (!root && !selfOnly && !ctx.newidmapAvailable) {
    throw new ContainerSpecError('uidMap', 'mapping more than the caller\'s own id needs root or newuidmap');
  }
  const method = root || selfOnly ? 'write' : 'newidmap';
  const setupIds = !contains(uidMap, ctx.euid, 'outside') && contains(uidMap, 0, 'inside')
    && contains(gidMap, 0, 'inside') ? { uid: 0, gid: 0 } : undefined;
  // Unprivileged: a direct write must deny setgroups first; newgidmap denies it itself for a gid map of the
  // caller's own gid alone (it allows setgroups only when a subgid range is mapped).
  const denySetgroups = !root && (method === 'write' || single(gidMap, ctx.egid));
  return { uidMap, gidMap, method, denySetgroups, setupIds };
}

/**
 * `map` with each extent split where the caller's own map `own` changes extent (its outside ids are the caller's
 * ids: `own`'s inside ones). An id `own` does not map is a ContainerSpecError on `field`.
 */
export function fitToExtents(map: readonly IdMapEntry[], own: readonly IdMapEntry[], field: string, file: string): IdMapEntry[] {
  const fitted: IdMapEntry[] = [];
  for (const entry of map) {
    let inside = entry.inside;
    let outside = entry.outside;
    let left = entry.count;
    while (left > 0) {
      const extent = own.find((e) => outside >= e.inside && outside < e.inside + e.count);
      if (extent === undefined) {
        throw new ContainerSpecError(field, `id ${outside} is not mapped in the caller's user namespace (${file}): ` +
          `it maps ${own.map((e) => `${e.inside}-${e.inside + e.count - 1}`).join(', ')}`);
      }
      const count = Math.min(left, extent.inside + extent.count - outside);
      fitted.push({ inside, outside, count });
      inside += count;
      outside += count;
      left -= count;
    }
  }
  return fitted;
}

/** Plan the maps of the container's user namespace for this caller. */
export function planIdMaps(spec: ResolvedContainerSpec, ctx: IdMapContext): IdMapPlan {
  let plan = planMaps(spec, ctx);
  const field = (name: string): string => (spec.uidMap !== undefined ? name : 'hostUids');
  if (ctx.ownUidMap !== undefined) plan = { ...plan, uidMap: fitToExtents(plan.uidMap, ctx.ownUidMap, field('uidMap'), '/proc/self/uid_map') };
  if (ctx.ownGidMap !== undefined) plan = { ...plan, gidMap: fitToExtents(plan.gidMap, ctx.ownGidMap, field('gidMap'), '/proc/self/gid_map') };
  return ctx.setgroupsDenied === true ? { ...plan, denySetgroups: true } : plan;
}

function planMaps(spec: ResolvedContainerSpec, ctx: IdMapContext): IdMapPlan {
  if (spec.uidMap !== undefined && spec.gidMap !== undefined) return planExplicit(spec.uidMap, spec.gidMap, ctx);
  if (ctx.euid === 0) return planRoot(spec);
  const ranges = spec.useSubordinateIds && ctx.newidmapAvailable && ctx.subuid.length > 0 && ctx.subgid.length > 0;
  if (ranges) {
    // hostUids 1: the caller's own ids alone, written directly (Guix's host-uids 1)
    return planExplicit(layoutRanges(spec.guestUid, ctx.euid, ctx.subuid, spec.hostUids),
      layoutRanges(spec.guestGid, ctx.egid, ctx.subgid, spec.hostUids), ctx);
  }
  if (spec.hostUids !== undefined && spec.hostUids > 1) {
    throw new ContainerSpecError('hostUids', 'an unprivileged caller without /etc/subuid ranges maps one id');
  }
  return {
    uidMap: [{ inside: spec.guestUid, outside: ctx.euid, count: 1 }],
    gidMap: [{ inside: spec.guestGid, outside: ctx.egid, count: 1 }],
    method: 'write',
    denySetgroups: true,
    setupIds: undefined,
  };
}

/** The maps of the inner user namespace that locks the mounts: the identity over the outer inside ids. */
export function planInnerIdMaps(outer: IdMapPlan): {
  /** Each outer uid map line's inside range mapped onto itself. */
  readonly uidMap: IdMapEntry[];
  /** Each outer gid map line's inside range mapped onto itself. */
  readonly gidMap: IdMapEntry[];
} {
  const identity = (map: readonly IdMapEntry[]): IdMapEntry[] =>
    map.map((e) => ({ inside: e.inside, outside: e.inside, count: e.count }));
  return { uidMap: identity(outer.uidMap), gidMap: identity(outer.gidMap) };
}

/** True when the container may call setgroups(2) (the outer map did not deny it). */
export function setgroupsAllowed(plan: IdMapPlan): boolean {
  return !plan.denySetgroups;
}
