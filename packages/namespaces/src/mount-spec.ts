/**
 * The mount types of `ContainerSpec`: bind mounts (with remount flags), tmpfs mounts, any other file system and
 * the container's cgroups, with typed flags (mount(8) names) instead of option strings; each may carry
 * propagation changes and recursive attributes (mount_setattr(2), OCI's `r*` options).
 *
 * Man pages: mount(2), mount(8), mount_namespaces(7) (propagation), mount_setattr(2), cgroups(7).
 */

/** A mount flag, as mount(8) names it; turned into MS_* bits by the mount planner. */
export type MountFlag =
  | 'ro' | 'nosuid' | 'nodev' | 'noexec' | 'sync' | 'dirsync' | 'noatime' | 'nodiratime' | 'relatime'
  | 'strictatime' | 'lazytime' | 'nosymfollow' | 'mand' | 'iversion' | 'silent';

/** Mount propagation (mount(8) names; the r- forms apply to the whole subtree). */
export type Propagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave' | 'unbindable' | 'runbindable';

/**
 * A mount attribute set or cleared recursively (mount_setattr(2) AT_RECURSIVE): `ro` read-only, `nosuid`, `nodev`,
 * `noexec`, `nosymfollow`, `nodiratime`, and the atime mode (`noatime`, `strictatime`, `relatime`; clearing any of
 * them clears the mode, as OCI's `ratime` does).
 */
export type MountAttribute = 'ro' | 'nosuid' | 'nodev' | 'noexec' | 'nosymfollow' | 'nodiratime' | 'noatime' | 'strictatime' | 'relatime';

/** Attributes applied to a mount and every mount below it, after it is made (OCI's `rro`, `rnosuid`, `rrw`, ...). */
export interface RecursiveAttributes {
  /** Attributes to set (`rro` → 'ro'). */
  readonly set?: readonly MountAttribute[];
  /** Attributes to clear (`rrw` → 'ro', `rsuid` → 'nosuid'). */
  readonly clear?: readonly MountAttribute[];
}

/** What every mount may carry besides its kind. */
export interface MountCommon {
  /** Absolute path inside the container. */
  readonly target: string;
  /** Propagation changes of the new mount, in order (a list, as OCI's options may hold several). */
  readonly propagation?: Propagation | readonly Propagation[];
  /** Recursive attributes, applied once the mount (and, for a bind, its remount) is made. */
  readonly recursiveAttributes?: RecursiveAttributes;
}

/** A bind mount of a host path (Guix's `file-system-mapping`). Always recursive unless `recursive: false`. */
export interface BindMount extends MountCommon {
  /** The kind of mount. */
  readonly type: 'bind';
  /** Flags applied by a remount after the bind (nosuid, nodev, noexec, ro, ...), keeping locked flags. */
  readonly flags?: readonly MountFlag[];
  /** Read-only for every mount below too (the same as `recursiveAttributes: {set: ['ro']}`: OCI's `rro`). */
  readonly recursiveReadOnly?: boolean;
  /** The host path (file or directory); a missing source fails in the caller with ENOENT. */
  readonly source: string;
  /** Read-only through a second remount that keeps the source's locked flags. Default false. */
  readonly readOnly?: boolean;
  /** MS_REC (default true, as Guix always binds recursively). */
  readonly recursive?: boolean;
}

/** A tmpfs (Guix's `%writable-/tmp`, /run/user/UID, a home). */
export interface TmpfsMount extends MountCommon {
  /** The kind of mount. */
  readonly type: 'tmpfs';
  /** Permission bits of the tmpfs root (default 0o755). */
  readonly mode?: number;
  /** tmpfs `size=` (bytes as a number, or a tmpfs size string such as '10%' or '64m'). */
  readonly size?: number | string;
  /** Mount flags (default nosuid, nodev). */
  readonly flags?: readonly MountFlag[];
}

/**
 * Any other file system (proc, sysfs, devpts, mqueue, an OCI tmpfs with its own data, a device). A read-only tmpfs
 * (and any read-only mount at /dev) is mounted writable and remounted read-only once the devices and links are in
 * it, as runc's finalizeRootfs does.
 */
export interface FileSystemMount extends MountCommon {
  /** The kind of mount. */
  readonly type: 'filesystem';
  /** The file system type given to mount(2) ('proc', 'mqueue', 'ext4', ...). */
  readonly fstype: string;
  /** The mount source ('none', a device). */
  readonly source: string;
  /** Mount flags. */
  readonly flags?: readonly MountFlag[];
  /** The file-system-specific data string (the only string option left: it belongs to the file system). */
  readonly data?: string;
}

/**
 * The container's own cgroups at `target` (OCI's `cgroup` mount), as runc mounts them without a cgroup namespace:
 * on v1 a tmpfs holding a bind of the container's cgroup directory per hierarchy, named like the host's hierarchy
 * (`cpu,cpuacct`, with links `cpu` and `cpuacct` to it); on v2 a bind of its directory. With `ro` in `flags` the
 * binds and the tmpfs are read-only. Without a cgroup (an unprivileged caller without delegation) the tmpfs stays
 * empty and the caller is warned.
 */
export interface CgroupMount extends MountCommon {
  /** The kind of mount. */
  readonly type: 'cgroup';
  /** Mount flags of the tmpfs and the binds ('ro', 'nosuid', ...). */
  readonly flags?: readonly MountFlag[];
}

/** One user mount, applied in order (later mounts cover earlier ones). */
export type Mount = BindMount | TmpfsMount | FileSystemMount | CgroupMount;
