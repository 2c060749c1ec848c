/**
 * The flat plan format, mirrored from native/plan_layout.h (test/unit/plan-layout.test.ts checks the two agree
 * through the binding's planLayout()). Each step op has a field table saying where its fields go in the
 * 128-byte record: string slots (s), int32 slots (a), uint64 slots (b).
 */
import type { StepOp } from '../plan.js';

/** "CTPL", the header's first word. */
export const PLAN_MAGIC = 0x4c504354;
/** The format version the addon accepts. */
export const PLAN_VERSION = 1;
/** Bytes in the header. */
export const HEADER_SIZE = 64;
/** Bytes in one step record. */
export const RECORD_SIZE = 128;
/** The offset of an absent string slot. */
export const NONE = 0xffffffff;
/** The most steps a plan may have. */
export const MAX_STEPS = 4096;
/** The most fd map entries a plan may have. */
export const MAX_FD_MAP = 256;
/**
 * The largest single string or byte field: what execve(2) accepts for one argument or environment string
 * (MAX_ARG_STRLEN, 32 pages of 4 KiB, its NUL included), so any value the kernel would run is encodable.
 */
export const MAX_STRING = 32 * 4096 - 1;
/** The largest list (argv, env, gids) entry count. */
export const MAX_LIST = 65536;
/** The largest arena. */
export const MAX_ARENA = 64 * 1024 * 1024;
/** String slot 5 holds every step's `inRoot`. */
export const SLOT_IN_ROOT = 5;
/** Int slot 5 holds a mount step's `optional` flag. */
export const SLOT_OPTIONAL = 5;

/** Header flag: clone(2) + pidfd_open instead of clone3. */
export const FLAG_LEGACY_CLONE = 1;
/** Header flag: the O_NOFOLLOW walk instead of openat2 for `inRoot`. */
export const FLAG_NO_OPENAT2 = 2;
/** Header flag: dumpable while paused at a wait step. */
export const FLAG_DUMPABLE_WHILE_PAUSED = 4;
/** Header flag (enter): fork again after setns. */
export const FLAG_ENTER_FORK = 8;
/** Header flag: the plan has a forkInit step (the addon takes over the new process). */
export const FLAG_FORK_INIT = 16;

/** Op codes: index + 1 in this list (the order of CT_STEP_OPS). */
export const OP_NAMES = [
  'wait', 'unshare', 'setns', 'mount', 'remount', 'mountSetattr', 'propagation', 'mkdir', 'touch', 'symlink',
  'chmod', 'writeFile', 'mknod', 'umount', 'rmdir', 'chdir', 'chroot', 'pivotRoot', 'sethostname',
  'setdomainname', 'loopbackUp', 'setgroups', 'setresgid', 'setresuid', 'capabilities', 'keepCaps', 'noNewPrivs',
  'pdeathsig', 'rlimit', 'oomScoreAdj', 'umask', 'setsid', 'console', 'dup2', 'closeFrom', 'seccomp', 'waitFifo',
  'personality', 'writeProcSelf', 'exec', 'bindTree', 'chown', 'sessionKeyring', 'forkInit',
] as const satisfies readonly StepOp[];

/** Syscall names by the child's SyscallId (the order of CT_SYSCALLS). */
export const SYSCALL_NAMES = [
  'none', 'openat2', 'openat', 'mount', 'umount2', 'mount_setattr', 'fstatfs', 'mkdirat', 'symlinkat', 'fchmod',
  'write', 'mknodat', 'unlinkat', 'chdir', 'chroot', 'pivot_root', 'sethostname', 'setdomainname', 'socket',
  'ioctl', 'setgroups', 'setresgid', 'setresuid', 'prctl', 'capset', 'prlimit64', 'setsid', 'dup2',
  'close_range', 'seccomp', 'open', 'personality', 'execve', 'unshare', 'setns', 'read', 'fcntl', 'sendmsg',
  'readlinkat', 'fstat', 'ftruncate', 'fork', 'wait4', 'getppid', 'rt_sigaction', 'open_tree', 'move_mount',
  'execveat', 'fchownat', 'keyctl', 'pipe2',
] as const;

/** How one field is checked and where it goes. */
export type FieldSpec =
  | { readonly kind: 'path' | 'text'; readonly s: number; readonly optional?: boolean }
  | { readonly kind: 'bytes'; readonly s: number }
  | { readonly kind: 'strings'; readonly s: number; readonly count: number }
  | { readonly kind: 'gids'; readonly s: number; readonly count: number }
  | {
    readonly kind: 'int'; readonly a: number; readonly min: number; readonly max: number; readonly optional?: boolean;
  }
  | { readonly kind: 'bool'; readonly a: number; readonly optional?: boolean }
  | { readonly kind: 'u64'; readonly b: number; readonly optional?: boolean };

const path = (s: number, optional = false): FieldSpec => ({ kind: 'path', s, optional });
const text = (s: number, optional = false): FieldSpec => ({ kind: 'text', s, optional });
const int = (a: number, min: number, max: number, optional = false): FieldSpec =>
  ({ kind: 'int', a, min, max, optional });
const u64 = (b: number, optional = false): FieldSpec => ({ kind: 'u64', b, optional });
const bool = (a: number): FieldSpec => ({ kind: 'bool', a });
const optional = { optional: { kind: 'bool', a: SLOT_OPTIONAL, optional: true } } as const;
const inRoot = { inRoot: path(SLOT_IN_ROOT, true) };
const MODE = int(0, 0, 0o7777);
const U32 = 0xffffffff;
const I32 = 0x7fffffff;
const FD = int(0, 0, I32);

/** The field table of every op (`op` itself excluded). Unknown fields are refused. */
export const STEP_FIELDS: { readonly [K in StepOp]: Readonly<Record<string, FieldSpec>> } = {
  wait: { label: text(0) },
  unshare: { flags: int(0, 0, I32) },
  setns: { path: path(0), nstype: int(0, 0, I32) },
  mount: {
    source: path(0, true), target: path(1), fstype: text(2, true), flags: u64(0), data: text(3, true), ...inRoot,
    ...optional,
  },
  remount: { target: path(1), flags: u64(0), recursive: bool(0), ...inRoot, ...optional },
  mountSetattr: {
    target: path(1), attrSet: u64(0), attrClr: u64(1), propagation: u64(2), recursive: bool(0), ...inRoot,
  },
  propagation: { target: path(1), flags: u64(0), ...inRoot },
  mkdir: { path: path(0), mode: MODE, ...inRoot },
  touch: { path: path(0), mode: MODE, ...inRoot },
  symlink: { target: path(1), path: path(0), ...inRoot },
  chmod: { path: path(0), mode: MODE, ...inRoot },
  chown: { path: path(0), uid: int(0, 0, U32 - 1), gid: int(1, 0, U32 - 1), ...inRoot },
  writeFile: { path: path(0), data: { kind: 'bytes', s: 1 }, mode: MODE, ...inRoot },
  mknod: { path: path(0), mode: int(0, 0, 0o177777), major: int(1, 0, 0xfff), minor: int(2, 0, 0xfffff), ...inRoot },
  umount: { path: path(0), flags: int(0, 0, 15), ...inRoot },
  rmdir: { path: path(0), ...inRoot },
  chdir: { path: path(0) },
  chroot: { path: path(0) },
  pivotRoot: { newRoot: path(0), putOld: path(1, true) },
  sethostname: { name: text(0) },
  setdomainname: { name: text(0) },
  loopbackUp: {},
  setgroups: { gids: { kind: 'gids', s: 0, count: 0 } },
  setresgid: { gid: int(0, 0, U32 - 1) },
  setresuid: { uid: int(0, 0, U32 - 1) },
  capabilities: { bounding: u64(0), effective: u64(1), permitted: u64(2), inheritable: u64(3), ambient: u64(4) },
  keepCaps: { on: bool(0) },
  noNewPrivs: {},
  pdeathsig: { signal: int(0, 0, 64) },
  rlimit: { resource: int(0, 0, 15), soft: u64(0), hard: u64(1) },
  oomScoreAdj: { value: int(0, -1000, 1000) },
  umask: { mask: int(0, 0, 0o777) },
  setsid: {},
  console: {
    socketPath: path(0), rows: int(0, 0, 0xffff, true), cols: int(1, 0, 0xffff, true),
    devConsole: { kind: 'bool', a: 2, optional: true },
  },
  dup2: { from: FD, to: int(1, 0, I32) },
  closeFrom: { first: int(0, 0, I32) },
  seccomp: { bpf: { kind: 'bytes', s: 0 }, flags: int(0, 0, I32) },
  waitFifo: { path: path(0) },
  personality: { persona: int(0, 0, U32) },
  writeProcSelf: { file: path(0), data: { kind: 'bytes', s: 1 } },
  sessionKeyring: { name: text(0, true), perm: int(0, 0, U32, true) },
  exec: {
    path: path(0), argv: { kind: 'strings', s: 1, count: 0 }, env: { kind: 'strings', s: 2, count: 1 },
    search: bool(2), preopen: { kind: 'bool', a: 3, optional: true },
  },
  forkInit: {},
  bindTree: {
    source: path(0), target: path(1), recursive: bool(0), attrSet: u64(0, true), attrClr: u64(1, true),
    usernsPath: path(2, true), ...inRoot,
  },
};
