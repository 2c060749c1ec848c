/**
 * Kernel constants as typed `as const` objects (x86_64 / generic Linux values). Values that can pass bit 31, or
 * that feed a 64-bit kernel field (mount flags, mount attributes, rlimits), are bigint.
 *
 * Man pages: open(2), openat2(2), fcntl(2), stat(2), statx(2), clone(2), mount(2), umount(2),
 * mount_setattr(2), signal(7), capabilities(7), getrlimit(2), flock(2), rename(2), utimensat(2).
 */

/** open(2) flags. @enum */
export const O = {
  RDONLY: 0, WRONLY: 1, RDWR: 2, CREAT: 0o100, EXCL: 0o200, NOCTTY: 0o400, TRUNC: 0o1000, APPEND: 0o2000,
  NONBLOCK: 0o4000, DSYNC: 0o10000, DIRECTORY: 0o200000, NOFOLLOW: 0o400000, NOATIME: 0o1000000,
  CLOEXEC: 0o2000000, SYNC: 0o4010000, PATH: 0o10000000, TMPFILE: 0o20200000,
} as const;

/** *at(2) flags and the AT_FDCWD pseudo-fd. @enum */
export const AT = {
  FDCWD: -100, SYMLINK_NOFOLLOW: 0x100, REMOVEDIR: 0x200, SYMLINK_FOLLOW: 0x400, NO_AUTOMOUNT: 0x800,
  EMPTY_PATH: 0x1000, STATX_FORCE_SYNC: 0x2000, STATX_DONT_SYNC: 0x4000, RECURSIVE: 0x8000,
} as const;

/** openat2(2) `how.resolve` flags. @enum */
export const RESOLVE = {
  NO_XDEV: 0x01, NO_MAGICLINKS: 0x02, NO_SYMLINKS: 0x04, BENEATH: 0x08, IN_ROOT: 0x10, CACHED: 0x20,
} as const;

/** renameat2(2) flags. @enum */
export const RENAME = { NOREPLACE: 1, EXCHANGE: 2, WHITEOUT: 4 } as const;

/** File type and mode bits (inode(7)). @enum */
export const S = {
  IFMT: 0o170000, IFSOCK: 0o140000, IFLNK: 0o120000, IFREG: 0o100000, IFBLK: 0o60000, IFDIR: 0o40000,
  IFCHR: 0o20000, IFIFO: 0o10000, ISUID: 0o4000, ISGID: 0o2000, ISVTX: 0o1000,
} as const;

/** Namespace clone flags (CLONE_NEW*; all below bit 31) and the engine's own clone flags. @enum */
export const CLONE = {
  NEWTIME: 0x80, NEWNS: 0x20000, NEWCGROUP: 0x2000000, NEWUTS: 0x4000000, NEWIPC: 0x8000000,
  NEWUSER: 0x10000000, NEWPID: 0x20000000, NEWNET: 0x40000000, PIDFD: 0x1000,
} as const;

/** Every CLONE_NEW* bit, for validating a namespace mask. */
export const CLONE_NEW_ALL =
  CLONE.NEWTIME | CLONE.NEWNS | CLONE.NEWCGROUP | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWUSER | CLONE.NEWPID |
  CLONE.NEWNET;

/** mount(2) flags (bigint: the kernel field is an unsigned long). */
export const MS = {
  /** MS_RDONLY */
  RDONLY: 1n,
  /** MS_NOSUID */
  NOSUID: 2n,
  /** MS_NODEV */
  NODEV: 4n,
  /** MS_NOEXEC */
  NOEXEC: 8n,
  /** MS_SYNCHRONOUS */
  SYNCHRONOUS: 16n,
  /** MS_REMOUNT */
  REMOUNT: 32n,
  /** MS_MANDLOCK */
  MANDLOCK: 64n,
  /** MS_DIRSYNC */
  DIRSYNC: 128n,
  /** MS_NOSYMFOLLOW */
  NOSYMFOLLOW: 256n,
  /** MS_NOATIME */
  NOATIME: 1024n,
  /** MS_NODIRATIME */
  NODIRATIME: 2048n,
  /** MS_BIND */
  BIND: 4096n,
  /** MS_MOVE */
  MOVE: 8192n,
  /** MS_REC */
  REC: 16384n,
  /** MS_SILENT */
  SILENT: 32768n,
  /** MS_POSIXACL */
  POSIXACL: 1n << 16n,
  /** MS_UNBINDABLE */
  UNBINDABLE: 1n << 17n,
  /** MS_PRIVATE */
  PRIVATE: 1n << 18n,
  /** MS_SLAVE */
  SLAVE: 1n << 19n,
  /** MS_SHARED */
  SHARED: 1n << 20n,
  /** MS_RELATIME */
  RELATIME: 1n << 21n,
  /** MS_I_VERSION */
  I_VERSION: 1n << 23n,
  /** MS_STRICTATIME */
  STRICTATIME: 1n << 24n,
  /** MS_LAZYTIME */
  LAZYTIME: 1n << 25n,
} as const;

/** umount2(2) flags. @enum */
export const MNT = { FORCE: 1, DETACH: 2, EXPIRE: 4, UMOUNT_NOFOLLOW: 8 } as const;

/** mount_setattr(2) attributes (bigint: `attr_set`/`attr_clr` are 64-bit). */
export const MOUNT_ATTR = {
  /** MOUNT_ATTR_RDONLY */
  RDONLY: 0x1n,
  /** MOUNT_ATTR_NOSUID */
  NOSUID: 0x2n,
  /** MOUNT_ATTR_NODEV */
  NODEV: 0x4n,
  /** MOUNT_ATTR_NOEXEC */
  NOEXEC: 0x8n,
  /** MOUNT_ATTR_ATIME (the mask of the atime bits) */
  _ATIME: 0x70n,
  /** MOUNT_ATTR_RELATIME */
  RELATIME: 0x0n,
  /** MOUNT_ATTR_NOATIME */
  NOATIME: 0x10n,
  /** MOUNT_ATTR_STRICTATIME */
  STRICTATIME: 0x20n,
  /** MOUNT_ATTR_NODIRATIME */
  NODIRATIME: 0x80n,
  /** MOUNT_ATTR_IDMAP */
  IDMAP: 0x100000n,
  /** MOUNT_ATTR_NOSYMFOLLOW */
  NOSYMFOLLOW: 0x200000n,
} as const;

/** personality(2) execution domains (linux/personality.h). @enum */
export const PER = { LINUX: 0x0000, LINUX32: 0x0008 } as const;

/** Signal numbers (x86_64). @enum */
export const SIG = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17,
  SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25,
  SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
} as const;

/** Capability names to numbers (capabilities(7)); a mask sets bit `CAP[name]`. @enum */
export const CAP = {
  CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_DAC_READ_SEARCH: 2, CAP_FOWNER: 3, CAP_FSETID: 4, CAP_KILL: 5,
  CAP_SETGID: 6, CAP_SETUID: 7, CAP_SETPCAP: 8, CAP_LINUX_IMMUTABLE: 9, CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11, CAP_NET_ADMIN: 12, CAP_NET_RAW: 13, CAP_IPC_LOCK: 14, CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16, CAP_SYS_RAWIO: 17, CAP_SYS_CHROOT: 18, CAP_SYS_PTRACE: 19, CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21, CAP_SYS_BOOT: 22, CAP_SYS_NICE: 23, CAP_SYS_RESOURCE: 24, CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26, CAP_MKNOD: 27, CAP_LEASE: 28, CAP_AUDIT_WRITE: 29, CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31, CAP_MAC_OVERRIDE: 32, CAP_MAC_ADMIN: 33, CAP_SYSLOG: 34, CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36, CAP_AUDIT_READ: 37, CAP_PERFMON: 38, CAP_BPF: 39, CAP_CHECKPOINT_RESTORE: 40,
} as const;

/** The highest capability number this table knows. */
export const CAP_LAST_CAP = 40;

/** Resource numbers for prlimit(2), and RLIM_INFINITY. @enum */
export const RLIMIT = {
  CPU: 0, FSIZE: 1, DATA: 2, STACK: 3, CORE: 4, RSS: 5, NPROC: 6, NOFILE: 7, MEMLOCK: 8, AS: 9, LOCKS: 10,
  SIGPENDING: 11, MSGQUEUE: 12, NICE: 13, RTPRIO: 14, RTTIME: 15,
} as const;
/** The "no limit" rlimit value. */
export const RLIM_INFINITY = 0xffffffffffffffffn;

/** flock(2) operations. @enum */
export const LOCK = { SH: 1, EX: 2, NB: 4, UN: 8 } as const;
/** fcntl(2) record-lock types and commands (OFD and classic). @enum */
export const F = {
  RDLCK: 0, WRLCK: 1, UNLCK: 2, GETLK: 5, SETLK: 6, SETLKW: 7, OFD_GETLK: 36, OFD_SETLK: 37, OFD_SETLKW: 38,
} as const;
/** lseek whence values, used by record locks. @enum */
export const SEEK = { SET: 0, CUR: 1, END: 2 } as const;

/** setxattr(2) flags. @enum */
export const XATTR = { CREATE: 1, REPLACE: 2 } as const;

/** statx(2) mask bits. @enum */
export const STATX = {
  TYPE: 0x1, MODE: 0x2, NLINK: 0x4, UID: 0x8, GID: 0x10, ATIME: 0x20, MTIME: 0x40, CTIME: 0x80, INO: 0x100,
  SIZE: 0x200, BLOCKS: 0x400, BASIC_STATS: 0x7ff, BTIME: 0x800, MNT_ID: 0x1000, DIOALIGN: 0x2000,
  MNT_ID_UNIQUE: 0x4000,
} as const;

/** utimensat(2) special nanosecond values. @enum */
export const UTIME = { NOW: 1073741823, OMIT: 1073741822 } as const;

/** Socket types (and SOCK_NONBLOCK) for socketpair/unixConnect. @enum */
export const SOCK = { STREAM: 1, DGRAM: 2, SEQPACKET: 5, NONBLOCK: 0o4000 } as const;
/** sendmsg/recvmsg flags. @enum */
export const MSG = { PEEK: 0x2, CTRUNC: 0x8, TRUNC: 0x20, DONTWAIT: 0x40 } as const;

/** seccomp(2) SECCOMP_SET_MODE_FILTER flags. @enum */
export const SECCOMP_FILTER_FLAG = { TSYNC: 1, LOG: 2, SPEC_ALLOW: 4, NEW_LISTENER: 8, TSYNC_ESRCH: 16 } as const;
