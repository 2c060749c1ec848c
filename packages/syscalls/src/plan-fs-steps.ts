/**
 * The child plan's filesystem steps (plan.ts has the rest and the plan itself): mounts, the files and nodes a
 * container root gets, the switch of root. A path is resolved inside `inRoot` by fd when given (see plan.ts).
 * Man pages: mount(2), mount_setattr(2), open_tree(2), move_mount(2), pivot_root(2), chroot(2), mknod(2),
 * umount(2).
 */

/** Where a step's path is resolved. */
export interface InRoot {
  /** A directory (absolute path, opened by the child with O_PATH|O_DIRECTORY) the path is confined to. */
  readonly inRoot?: string;
}
/** A mount step that is skipped when its path is missing (ENOENT), as runc skips a masked or read-only path. */
export interface Optional {
  /** Skip the step, rather than fail, when its target (or a bind's source) does not exist. Default false. */
  readonly optional?: boolean;
}
/** mount(2): any type, flags and data. `target` may be confined with `inRoot`; `source` is host-side. */
export interface MountStep extends InRoot, Optional {
  /** The step's kind. */
  readonly op: 'mount';
  /** The source (a device, a directory for a bind, or a name such as `proc`); absent: none (NULL). */
  readonly source?: string;
  /** The mount point. */
  readonly target: string;
  /** The file system type (`proc`, `tmpfs`, `overlay`, ...); absent for binds and remounts. */
  readonly fstype?: string;
  /** MS_* flags (see `MS`). */
  readonly flags: bigint;
  /** File-system-specific options, the `data` argument (`mode=755,size=65536k`). */
  readonly data?: string;
}
/**
 * A read-only (or other attribute) remount of a bind mount that keeps the locked flags: the child reads the
 * mount's current flags with statfs and ORs them in (bugs.gnu.org/46292), or uses mount_setattr when recursive.
 */
export interface RemountStep extends InRoot, Optional {
  /** The step's kind. */
  readonly op: 'remount';
  /** The mount to remount. */
  readonly target: string;
  /** MS_* flags to add (MS_RDONLY, MS_NOSUID, ...); MS_REMOUNT|MS_BIND are implied. */
  readonly flags: bigint;
  /** Apply to every mount below too (mount_setattr AT_RECURSIVE). */
  readonly recursive: boolean;
}
/** mount_setattr(2) on a path: attributes to set and clear, and propagation (MS_PRIVATE, MS_SLAVE, ...). */
export interface MountSetattrStep extends InRoot {
  /** The step's kind. */
  readonly op: 'mountSetattr';
  /** The mount to change. */
  readonly target: string;
  /** MOUNT_ATTR_* to set (see `MOUNT_ATTR`). */
  readonly attrSet: bigint;
  /** MOUNT_ATTR_* to clear. */
  readonly attrClr: bigint;
  /** MS_PRIVATE, MS_SLAVE, MS_SHARED or MS_UNBINDABLE, or 0n to leave propagation as it is. */
  readonly propagation: bigint;
  /** Apply to every mount below too (AT_RECURSIVE). */
  readonly recursive: boolean;
}
/** Propagation change with mount(2) (MS_PRIVATE|MS_REC on "/", as Guix should have). */
export interface PropagationStep extends InRoot {
  /** The step's kind. */
  readonly op: 'propagation';
  /** The mount point. */
  readonly target: string;
  /** MS_PRIVATE, MS_SLAVE, MS_SHARED or MS_UNBINDABLE, with MS_REC for the whole tree. */
  readonly flags: bigint;
}
/** mkdir -p with a mode for each created component. */
export interface MkdirStep extends InRoot {
  /** The step's kind. */
  readonly op: 'mkdir';
  /** The directory; missing parents are made too. */
  readonly path: string;
  /** Mode of each directory made (the umask applies). */
  readonly mode: number;
}
/** Create an empty file (a mount point for a file bind); existing files are kept. */
export interface TouchStep extends InRoot {
  /** The step's kind. */
  readonly op: 'touch';
  /** The file. */
  readonly path: string;
  /** Mode when it is created (the umask applies). */
  readonly mode: number;
}
/** symlink(2): `path` is created pointing at `target`; an existing identical link is kept. */
export interface SymlinkStep extends InRoot {
  /** The step's kind. */
  readonly op: 'symlink';
  /** What the link points at, stored as given. */
  readonly target: string;
  /** The link to make. */
  readonly path: string;
}
/** chmod, never following a final symlink. */
export interface ChmodStep extends InRoot {
  /** The step's kind. */
  readonly op: 'chmod';
  /** The file or directory. */
  readonly path: string;
  /** The new mode bits. */
  readonly mode: number;
}
/** chown (fchownat AT_EMPTY_PATH on the resolved O_PATH fd), never following a final symlink. */
export interface ChownStep extends InRoot {
  /** The step's kind. */
  readonly op: 'chown';
  /** The file or directory. */
  readonly path: string;
  /** The new owner, as the child's user namespace sees ids. */
  readonly uid: number;
  /** The new group. */
  readonly gid: number;
}
/** Write a small file (created or truncated) with a mode: /etc/hosts, a uid_map of our own, ... */
export interface WriteFileStep extends InRoot {
  /** The step's kind. */
  readonly op: 'writeFile';
  /** The file. */
  readonly path: string;
  /** Its contents (a string is written as UTF-8). */
  readonly data: Uint8Array | string;
  /** The file's mode, set with fchmod (the umask does not apply; not for files under /proc). */
  readonly mode: number;
}
/** mknod(2): a device node (type bits in mode) with a dev_t built from major/minor. */
export interface MknodStep extends InRoot {
  /** The step's kind. */
  readonly op: 'mknod';
  /** The node to make. */
  readonly path: string;
  /** File type (S_IFCHR, S_IFBLK, S_IFIFO, ...) and permission bits. */
  readonly mode: number;
  /** Device major number. */
  readonly major: number;
  /** Device minor number. */
  readonly minor: number;
}
/** umount2(2). */
export interface UmountStep extends InRoot {
  /** The step's kind. */
  readonly op: 'umount';
  /** The mount point. */
  readonly path: string;
  /** umount2(2) flags (MNT_DETACH, ...; see `MNT`). */
  readonly flags: number;
}
/** rmdir(2). */
export interface RmdirStep extends InRoot {
  /** The step's kind. */
  readonly op: 'rmdir';
  /** The (empty) directory. */
  readonly path: string;
}
/** chdir(2). After a pivot_root, `checkInRoot` refuses a cwd that resolved outside the new root. */
export interface ChdirStep {
  /** The step's kind. */
  readonly op: 'chdir';
  /** The new working directory. */
  readonly path: string;
}
/** chroot(2) (the --no-pivot path). */
export interface ChrootStep {
  /** The step's kind. */
  readonly op: 'chroot';
  /** The new root directory. */
  readonly path: string;
}
/**
 * pivot_root(2). Without `putOld`, the pivot_root(".", ".") idiom: chdir newRoot, pivot, umount2(".",
 * MNT_DETACH), chdir "/". With `putOld` (relative to newRoot): mkdir, pivot, chdir "/", detach, rmdir.
 */
export interface PivotRootStep {
  /** The step's kind. */
  readonly op: 'pivotRoot';
  /** The new root (a mount point). */
  readonly newRoot: string;
  /** Where the old root goes, relative to `newRoot`, before it is detached. */
  readonly putOld?: string;
}
/**
 * A bind mount made with the new mount API, with attributes applied to the detached tree
 * before it is attached: open_tree(source, OPEN_TREE_CLONE [| AT_RECURSIVE]), mount_setattr(attrSet, attrClr, and
 * MOUNT_ATTR_IDMAP with the user namespace at `usernsPath`, opened by the parent before the clone), then
 * move_mount onto `target` (confined with `inRoot` like other targets). This is how idmapped mounts are made.
 */
export interface BindTreeStep extends InRoot {
  /** The step's kind. */
  readonly op: 'bindTree';
  /** Host-side source path. */
  readonly source: string;
  /** The mount point. */
  readonly target: string;
  /** Clone the mounts below `source` too (AT_RECURSIVE). */
  readonly recursive: boolean;
  /** MOUNT_ATTR_* to set (MOUNT_ATTR_IDMAP needs `usernsPath`). */
  readonly attrSet?: bigint;
  /** MOUNT_ATTR_* to clear. */
  readonly attrClr?: bigint;
  /** A user namespace file (e.g. /proc/PID/ns/user) whose id mapping the mount takes. */
  readonly usernsPath?: string;
}
