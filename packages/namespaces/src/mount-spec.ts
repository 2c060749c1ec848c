/**
 * The mount types of `ContainerSpec`: bind mounts (with remount flags, recursive read-only and propagation),
 * tmpfs mounts and any other file system, with typed flags (mount(8) names) instead of option strings.
 *
 * Man pages: mount(2), mount(8), mount_namespaces(7) (propagation), mount_setattr(2).
 */

/** A mount flag, as mount(8) names it; turned into MS_* bits by the mount planner. */
export type MountFlag =
  | 'ro' | 'nosuid' | 'nodev' | 'noexec' | 'sync' | 'dirsync' | 'noatime' | 'nodiratime' | 'relatime'
  | 'strictatime';

/** Mount propagation (mount(8) names; the r- forms apply to the whole subtree). */
export type Propagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave' | 'unbindable' | 'runbindable';

/** A bind mount of a host path (Guix's `file-system-mapping`). Always recursive unless `recursive: false`. */
export interface BindMount {
  readonly type: 'bind';
  /** Flags applied by a remount after the bind (nosuid, nodev, noexec, ro, ...), keeping locked flags. */
  readonly flags?: readonly MountFlag[];
  /** Propagation of the new mount. */
  readonly propagation?: Propagation;
  /** Read-only for every mount below too (mount_setattr AT_RECURSIVE MOUNT_ATTR_RDONLY: OCI's `rro`). */
  readonly recursiveReadOnly?: boolean;
  /** The host path (file or directory); a missing source fails in the caller with ENOENT. */
  readonly source: string;
  /** Absolute path inside the container. */
  readonly target: string;
  /** Read-only through a second remount that keeps the source's locked flags. Default false. */
  readonly readOnly?: boolean;
  /** MS_REC (default true, as Guix always binds recursively). */
  readonly recursive?: boolean;
}

/** A tmpfs (Guix's `%writable-/tmp`, /run/user/UID, a home). */
export interface TmpfsMount {
  readonly type: 'tmpfs';
  /** Absolute path inside the container. */
  readonly target: string;
  /** Permission bits of the tmpfs root (default 0o755). */
  readonly mode?: number;
  /** tmpfs `size=` (bytes as a number, or a tmpfs size string such as '10%' or '64m'). */
  readonly size?: number | string;
  /** Mount flags (default nosuid, nodev). */
  readonly flags?: readonly MountFlag[];
}

/** Any other file system (proc, mqueue, a device). */
export interface FileSystemMount {
  readonly type: 'filesystem';
  /** The file system type given to mount(2) ('proc', 'mqueue', 'ext4', ...). */
  readonly fstype: string;
  /** The mount source ('none', a device). */
  readonly source: string;
  /** Absolute path inside the container. */
  readonly target: string;
  /** Mount flags. */
  readonly flags?: readonly MountFlag[];
  /** The file-system-specific data string (the only string option left: it belongs to the file system). */
  readonly data?: string;
  /** Propagation of the new mount. */
  readonly propagation?: Propagation;
}

/** One user mount, applied in order after /dev (later mounts cover earlier ones). */
export type Mount = BindMount | TmpfsMount | FileSystemMount;
