/**
 * `container run --userns`: podman 4.3's user namespace modes as id maps. Unprivileged, ct's default map (`host`,
 * podman's default for a rootless user) is the caller as container root and its subordinate ids as 1..N: the map
 * the image's layers were unpacked for (the store's runtime config template holds it). keep-id's map is given
 * as podman computes it (pkg/util GetKeepIDMapping): a map from container ids to the ids of that default
 * namespace ("intermediate" ids: 0 the caller, 1..N the subordinate ids), then composed with the default map into
 * host ids for linux.uidMappings.
 * `keep-id`: the caller's uid U is U inside; container ids 0..U-1 are intermediate 1..U (container root is the
 * first subordinate id); U+1..N are themselves.
 * `nomap` (the caller not mapped) is refused unprivileged: ct mounts the overlay root inside the container's user
 * namespace, where the store's directories (the caller's, mode 0700) could not be searched without the caller
 * mapped (podman mounts it in its own namespace, where the caller is root).
 * The same intermediate map says how to re-own the image's files for the mode (userns-shift.ts): in a namespace
 * with the default map, a file that shows owner k is given owner M(k).
 * Man pages: user_namespaces(7), subuid(5).
 */
import { RuntimeError } from './errors.js';

/** One id map line, runtime-spec form (linux.uidMappings). */
export interface IdMapping {
  readonly containerID: number;
  readonly hostID: number;
  readonly size: number;
}

/** The modes of `--userns` ct runs; `host` is the default. */
export type UsernsMode = 'host' | 'keep-id';

/**
 * `--userns VALUE` as a mode. podman's other values (auto, keep-id:uid=..., ns:PATH, container:ID, private) are
 * refused naming the value; keep-id only unprivileged, and keep-id and nomap as root with podman 4.3's words.
 * @throws RuntimeError EUSAGE
 */
export function parseUsernsMode(value: string | undefined, rootless: boolean): UsernsMode {
  if (value === undefined || value === '' || value === 'host') return 'host';
  if ((value === 'keep-id' || value === 'nomap') && !rootless) throw new RuntimeError('EUSAGE', `${value} is only supported in rootless mode`);
  if (value === 'keep-id') return value;
  throw new RuntimeError('EUSAGE', `container run: --userns ${value}: not supported: ct runs host (the default) and keep-id`);
}

/** The id `map` gives `id`, or undefined when it maps none. */
export function mapId(map: readonly IdMapping[], id: number): number | undefined {
  const e = map.find((m) => id >= m.containerID && id < m.containerID + m.size);
  return e === undefined ? undefined : e.hostID + (id - e.containerID);
}

/** The number of intermediate ids past 0 in the default map `base` (the subordinate ids it maps). */
function subordinateCount(base: readonly IdMapping[]): number {
  return base.reduce((n, m) => n + m.size, 0) - 1;
}

/**
 * Mode `mode`'s map from container ids to intermediate ids, for the caller's id `own` (uid or gid) and the default
 * map `base` (0 the caller, then the subordinate ids).
 */
export function intermediateMap(mode: Exclude<UsernsMode, 'host'>, own: number, base: readonly IdMapping[]): IdMapping[] {
  const max = subordinateCount(base);
  if (max < 1) throw new RuntimeError('EUSAGE', `container run: --userns ${mode}: needs subordinate ids (/etc/subuid and /etc/subgid ranges for this user)`);
  // podman: {0 → 1, min(U, max)}, {U → 0, 1}, {U+1 → U+1, max-U} when max > U
  const out: IdMapping[] = [{ containerID: 0, hostID: 1, size: Math.min(own, max) }, { containerID: own, hostID: 0, size: 1 }];
  if (max > own) out.push({ containerID: own + 1, hostID: own + 1, size: max - own });
  return out.filter((m) => m.size > 0);
}

/**
 * `inner` (container → intermediate) followed by `base` (intermediate → host): container → host, one line per
 * piece where `base` changes line.
 * @throws RuntimeError ESETUP when `inner` names an intermediate id `base` does not map (not for maps made here).
 */
export function composeMaps(inner: readonly IdMapping[], base: readonly IdMapping[]): IdMapping[] {
  const out: IdMapping[] = [];
  for (const m of inner) {
    let c = m.containerID;
    let i = m.hostID;
    let left = m.size;
    while (left > 0) {
      const e = base.find((b) => i >= b.containerID && i < b.containerID + b.size);
      if (e === undefined) throw new RuntimeError('ESETUP', `container run: --userns: intermediate id ${i} is not in the default map`);
      const size = Math.min(left, e.containerID + e.size - i);
      out.push({ containerID: c, hostID: e.hostID + (i - e.containerID), size });
      c += size;
      i += size;
      left -= size;
    }
  }
  return out;
}

/** What a `--userns` mode changes in a rootless run. */
export interface UsernsPlan {
  readonly mode: Exclude<UsernsMode, 'host'>;
  /** linux.uidMappings / gidMappings (host ids). */
  readonly uidMappings: readonly IdMapping[];
  readonly gidMappings: readonly IdMapping[];
  /** The default maps the image's files were unpacked for (the re-owning namespace's maps). */
  readonly baseUidMappings: readonly IdMapping[];
  readonly baseGidMappings: readonly IdMapping[];
  /** How the files are re-owned: an owner k seen in the default namespace becomes M(k). */
  readonly uidShift: readonly IdMapping[];
  readonly gidShift: readonly IdMapping[];
  /** The container's process ids when no `-u` is given (keep-id: the caller's). */
  readonly uid: number;
  readonly gid: number;
}

/** The plan of `mode` for the caller (`uid`, `gid`) from the default maps of the image's runtime config template. */
export function planUserns(mode: Exclude<UsernsMode, 'host'>, uid: number, gid: number,
  base: { readonly uidMappings: readonly IdMapping[]; readonly gidMappings: readonly IdMapping[] }): UsernsPlan {
  const uidShift = intermediateMap(mode, uid, base.uidMappings);
  const gidShift = intermediateMap(mode, gid, base.gidMappings);
  return {
    mode, uidShift, gidShift,
    uidMappings: composeMaps(uidShift, base.uidMappings),
    gidMappings: composeMaps(gidShift, base.gidMappings),
    baseUidMappings: base.uidMappings, baseGidMappings: base.gidMappings,
    uid, gid,
  };
}
