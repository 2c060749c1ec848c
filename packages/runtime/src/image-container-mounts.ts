/**
 * `container inspect`'s `Mounts` (podman 4.3's shape, libpod/container_inspect.go): the mounts the user asked for
 * (`-v`, `--mount`, the image's Volumes), read from the container's config.json, with the volumes of the store
 * (volumes.json in its store root) named as such. podman's rules: a volume is `Type: volume` with its Name and
 * Driver `local`, any other bind `Type: bind` with Driver ''; the options are split as podman's
 * parseMountOptionsForInspect splits them (ro/rw into RW, z/Z into Mode, the propagation into Propagation, the rest
 * in Options, in order); a tmpfs (`--tmpfs`, `--mount type=tmpfs`) is left out, as podman 4.3 leaves it out
 * (HostConfig.Tmpfs lists them there). The mounts ct makes itself (/proc, /dev, /etc/hosts from the bundle, the
 * rootless /sys bind, ct-init) are not the user's and are left out. Order: volumes, then binds, each in config
 * order (podman's order within each group differs: a documented choice, scripts look them up by Destination).
 */

/** One entry of `container inspect`'s Mounts (podman's InspectMount). */
export interface InspectMount {
  /** `volume` (a volume of the store) or `bind` (a host path). */
  readonly Type: 'bind' | 'volume';
  /** The volume's name (volumes only). */
  readonly Name?: string;
  /** The host path bound: a volume's `_data` dir. */
  readonly Source: string;
  /** Where it is in the container. */
  readonly Destination: string;
  /** `local` for a volume, '' for a bind. */
  readonly Driver: string;
  /** The SELinux relabel option given (z or Z), else ''. */
  readonly Mode: string;
  /** The other mount options, in order (rbind, nosuid, nodev...). */
  readonly Options: readonly string[];
  /** Mounted read-write. */
  readonly RW: boolean;
  /** The propagation option (rprivate...), else ''. */
  readonly Propagation: string;
}

/** A mount of config.json (runtime-spec). */
export interface SpecMount {
  /** Where it is in the container. */
  readonly destination?: string;
  /** The file system type (`bind`, `tmpfs`...). */
  readonly type?: string;
  /** What is mounted: a host path for a bind. */
  readonly source?: string;
  /** Its mount options. */
  readonly options?: readonly string[];
}

/** A volume a container uses (its store root's volumes.json). */
export interface UsedVolume {
  /** The volume's name. */
  readonly name: string;
  /** Where the container has it. */
  readonly destination: string;
}

const PROPAGATION = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

/** podman's parseMountOptionsForInspect: RW, Mode, Propagation and the other options of a mount's option list. */
function splitOptions(options: readonly string[]): Pick<InspectMount, 'Mode' | 'Options' | 'RW' | 'Propagation'> {
  let rw = true;
  let mode = '';
  let propagation = '';
  const other: string[] = [];
  for (const o of options) {
    if (o === 'ro' || o === 'rw') rw = o === 'rw';
    else if (o === 'z' || o === 'Z') mode = o;
    else if (PROPAGATION.has(o)) propagation = o;
    else other.push(o);
  }
  return { Mode: mode, Options: other, RW: rw, Propagation: propagation };
}

/**
 * The Mounts of a container from its config.json `mounts`, the destinations of the mounts the user asked for
 * (`userDestinations`; undefined for a container made before ct recorded them: then every bind whose source is
 * not in `bundle`, but for the rootless /sys and ct-init at `initPath`) and the volumes it uses.
 */
export function inspectMounts(mounts: readonly SpecMount[], userDestinations: readonly string[] | undefined, volumes: readonly UsedVolume[], bundle: string, initPath: string): InspectMount[] {
  const mine = (m: SpecMount): boolean => (userDestinations !== undefined
    ? userDestinations.includes(m.destination ?? '')
    : volumes.some((v) => v.destination === m.destination) || (!(m.source ?? '').startsWith(`${bundle}/`) && m.destination !== '/sys' && m.destination !== initPath));
  const out: InspectMount[] = [];
  for (const m of mounts) {
    if (m.type !== 'bind' || m.destination === undefined || !mine(m)) continue;
    const volume = volumes.find((v) => v.destination === m.destination);
    const split = splitOptions(m.options ?? []);
    out.push(volume === undefined
      ? { Type: 'bind', Source: m.source ?? '', Destination: m.destination, Driver: '', ...split }
      : { Type: 'volume', Name: volume.name, Source: m.source ?? '', Destination: m.destination, Driver: 'local', ...split });
  }
  return [...out.filter((m) => m.Type === 'volume'), ...out.filter((m) => m.Type === 'bind')];
}

/** podman's HostConfig.Binds entry of a mount: `NAME:DST:OPTS` (a volume) or `SOURCE:DST:OPTS`, OPTS rw or ro, the propagation, the rest. */
export function bindOf(m: InspectMount): string {
  const options = [m.RW ? 'rw' : 'ro', ...(m.Propagation === '' ? [] : [m.Propagation]), ...m.Options];
  return `${m.Name ?? m.Source}:${m.Destination}:${options.join(',')}`;
}

/** podman's HostConfig.Tmpfs: each tmpfs the user asked for, its destination to its options joined by commas. */
export function inspectTmpfs(mounts: readonly SpecMount[], userDestinations: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of mounts) {
    if (m.type === 'tmpfs' && m.destination !== undefined && userDestinations?.includes(m.destination) === true) out[m.destination] = (m.options ?? []).join(',');
  }
  return out;
}
