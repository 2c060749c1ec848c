/**
 * The child plan: the closed list of steps a cloned (or entered) child walks between clone and execve.
 *
 * This file is the contract between @ct/syscalls (which flattens a plan into one preallocated buffer and runs it
 * in C, async-signal-safe) and the layers above (which only build plans). Every step is a plain object with an
 * `op` discriminant; paths are strings (byte-exact where given as Uint8Array), numbers that can pass bit 31 are
 * bigint. Nothing here is policy: defaults and ordering belong to @ct/namespaces.
 *
 * Paths: a step's path is used as given (absolute or relative to the child's cwd) unless `inRoot` names a
 * directory, in which case the path is resolved inside that directory by fd (openat2 RESOLVE_IN_ROOT, or the
 * O_NOFOLLOW walk when forced), so that a symlink planted in a container image cannot redirect it.
 *
 * Man pages: clone3(2), unshare(2), setns(2), mount(2), mount_setattr(2), move_mount(2), pivot_root(2),
 * capabilities(7), seccomp(2), prctl(2), prlimit(2), execve(2), execveat(2), keyctl(2).
 */
import type { SyscallError } from './errors.js';
import type {
  BindTreeStep, ChdirStep, ChmodStep, ChownStep, ChrootStep, MkdirStep, MknodStep, MountSetattrStep, MountStep,
  PivotRootStep, PropagationStep, RemountStep, RmdirStep, SymlinkStep, TouchStep, UmountStep, WriteFileStep,
} from './plan-fs-steps.js';

export type * from './plan-fs-steps.js';

/** Pause point: the child reports `{kind: 'paused', step}` and blocks until the parent calls `release()`. */
export interface WaitStep {
  /** The step's kind. */
  readonly op: 'wait';
  /** A name for the pause, reported in the `paused` event (the parent's way to tell pauses apart). */
  readonly label: string;
}
/** unshare(2) with CLONE_NEW* flags (mount locking, a cgroup ns after cgroup placement, a time ns). */
export interface UnshareStep {
  /** The step's kind. */
  readonly op: 'unshare';
  /** CLONE_NEW* flags (see `CLONE`). */
  readonly flags: number;
}
/**
 * setns(2) on a namespace file (e.g. /proc/PID/ns/net or a bind-mounted ns file) or a pidfd. The path is
 * opened by the parent before the clone (O_RDONLY|O_CLOEXEC), so a missing file fails in the caller.
 */
export interface SetnsStep {
  /** The step's kind. */
  readonly op: 'setns';
  /** The namespace file to join. */
  readonly path: string;
  /** The CLONE_NEW* type the file must be, or 0 for any (setns(2)'s `nstype`). */
  readonly nstype: number;
}
/** sethostname(2) (in the child's uts namespace). */
export interface SethostnameStep {
  /** The step's kind. */
  readonly op: 'sethostname';
  /** The hostname. */
  readonly name: string;
}
/** setdomainname(2) (in the child's uts namespace). */
export interface SetdomainnameStep {
  /** The step's kind. */
  readonly op: 'setdomainname';
  /** The NIS domain name. */
  readonly name: string;
}
/** Bring the loopback interface up (SIOCGIFFLAGS/SIOCSIFFLAGS IFF_UP on "lo"). */
export interface LoopbackUpStep {
  /** The step's kind. */
  readonly op: 'loopbackUp';
}
/** setgroups(2) with the given list (an empty list clears supplementary groups). */
export interface SetgroupsStep {
  /** The step's kind. */
  readonly op: 'setgroups';
  /** The supplementary group ids. */
  readonly gids: readonly number[];
}
/** setresgid(2): real, effective and saved gid all set to `gid` (the raw syscall, this thread only). */
export interface SetresgidStep {
  /** The step's kind. */
  readonly op: 'setresgid';
  /** The gid. */
  readonly gid: number;
}
/** setresuid(2): real, effective and saved uid all set to `uid` (the raw syscall, this thread only). */
export interface SetresuidStep {
  /** The step's kind. */
  readonly op: 'setresuid';
  /** The uid. */
  readonly uid: number;
}
/**
 * Capabilities: drop every capability not in `bounding` from the bounding set (PR_CAPBSET_DROP), capset the
 * effective/permitted/inheritable sets, then raise the ambient ones (PR_CAP_AMBIENT). Masks are bit masks of
 * capability numbers (bit n = capability n), bigint because they pass bit 31.
 */
export interface CapabilitiesStep {
  /** The step's kind. */
  readonly op: 'capabilities';
  /** The bounding set to keep. */
  readonly bounding: bigint;
  /** The effective set. */
  readonly effective: bigint;
  /** The permitted set. */
  readonly permitted: bigint;
  /** The inheritable set. */
  readonly inheritable: bigint;
  /** The ambient set (each must be permitted and inheritable). */
  readonly ambient: bigint;
}
/** Keep capabilities across the setresuid that follows (PR_SET_KEEPCAPS). */
export interface KeepCapsStep {
  /** The step's kind. */
  readonly op: 'keepCaps';
  /** Set (true) or clear (false) the flag. */
  readonly on: boolean;
}
/** PR_SET_NO_NEW_PRIVS: from here on execve grants no privileges (setuid bits, file capabilities). */
export interface NoNewPrivsStep {
  /** The step's kind. */
  readonly op: 'noNewPrivs';
}
/** PR_SET_PDEATHSIG (the child re-checks getppid afterwards and exits if the parent is already gone). */
export interface PdeathsigStep {
  /** The step's kind. */
  readonly op: 'pdeathsig';
  /** The signal sent when the parent dies (0 clears it). */
  readonly signal: number;
}
/** prlimit(2) on the child itself. */
export interface RlimitStep {
  /** The step's kind. */
  readonly op: 'rlimit';
  /** The RLIMIT_* number (see `RLIMIT`). */
  readonly resource: number;
  /** The soft limit (`RLIM_INFINITY` for none). */
  readonly soft: bigint;
  /** The hard limit (`RLIM_INFINITY` for none). */
  readonly hard: bigint;
}
/** Write /proc/self/oom_score_adj. */
export interface OomScoreAdjStep {
  /** The step's kind. */
  readonly op: 'oomScoreAdj';
  /** -1000 to 1000. */
  readonly value: number;
}
/** umask(2). */
export interface UmaskStep {
  /** The step's kind. */
  readonly op: 'umask';
  /** The new file mode creation mask. */
  readonly mask: number;
}
/** setsid(2). */
export interface SetsidStep {
  /** The step's kind. */
  readonly op: 'setsid';
}
/**
 * Allocate a pty from the container's /dev/ptmx (after pivot_root), make the slave the controlling terminal and
 * fds 0-2, set its size, and send the master over the unix socket at `socketPath` (connected by the parent before
 * the clone and passed as an fd) with SCM_RIGHTS, as runc's --console-socket does.
 */
export interface ConsoleStep {
  /** The step's kind. */
  readonly op: 'console';
  /** The AF_UNIX socket that receives the pty master. */
  readonly socketPath: string;
  /** Rows of the pty; the size is set only when `rows` and `cols` are both above 0. */
  readonly rows?: number;
  /** Columns of the pty. */
  readonly cols?: number;
  /** Also bind the pty on /dev/console (made when missing), as runc does for a container's init. Default false. */
  readonly devConsole?: boolean;
}
/** dup2 an fd the parent passed (see SpawnOptions.fds) onto a child fd number. */
export interface Dup2Step {
  /** The step's kind. */
  readonly op: 'dup2';
  /** The fd in the child to copy. */
  readonly from: number;
  /** The fd number it gets. */
  readonly to: number;
}
/** close_range(first, ~0U): closes every fd from `first` up, except the error pipe until exec (CLOEXEC). */
export interface CloseFromStep {
  /** The step's kind. */
  readonly op: 'closeFrom';
  /** The lowest fd closed. */
  readonly first: number;
}
/** seccomp(2) SECCOMP_SET_MODE_FILTER with a compiled BPF program (8 bytes per instruction). */
export interface SeccompStep {
  /** The step's kind. */
  readonly op: 'seccomp';
  /** The classic BPF program, `struct sock_filter` entries back to back. */
  readonly bpf: Uint8Array;
  /** SECCOMP_FILTER_FLAG_* (see `SECCOMP_FILTER_FLAG`). */
  readonly flags: number;
}
/** Open a FIFO for writing and block until a reader (ct start) opens it: the create/start split. */
export interface WaitFifoStep {
  /** The step's kind. */
  readonly op: 'waitFifo';
  /** The FIFO. */
  readonly path: string;
}
/** personality(2). */
export interface PersonalityStep {
  /** The step's kind. */
  readonly op: 'personality';
  /** The execution domain (`PER.LINUX`, `PER.LINUX32`) and flags. */
  readonly persona: number;
}
/**
 * Join a new session keyring (keyctl KEYCTL_JOIN_SESSION_KEYRING; runc's default): named `name`, or "_ses" when
 * absent (a keyring of that name the process may join is joined instead of made). `perm` (KEYCTL_SETPERM, e.g.
 * runc's 0x3f1b0000) is set on it when given. ENOSYS (no keyrings) and EDQUOT (key quota full) are warnings
 * (`ChildHandle.warnings`), not failures: the process keeps its parent's session keyring.
 */
export interface SessionKeyringStep {
  /** The step's kind. */
  readonly op: 'sessionKeyring';
  /** The keyring's name (default `_ses`). */
  readonly name?: string;
  /** KEYCTL_SETPERM's permission mask. */
  readonly perm?: number;
}
/** Write a file under /proc/self (e.g. timens_offsets after unshare(CLONE_NEWTIME)). */
export interface WriteProcSelfStep {
  /** The step's kind. */
  readonly op: 'writeProcSelf';
  /** The file's name under /proc/self (`timens_offsets`). */
  readonly file: string;
  /** What is written. */
  readonly data: string;
}
/**
 * execve(2) (last step). With `search`, PATH in `env` is searched as execvp does (ENOENT/EACCES rules). An exec
 * failure comes back as {step, errno}; a successful exec closes the error pipe.
 */
export interface ExecStep {
  /** The step's kind. */
  readonly op: 'exec';
  /** The program: a path, or a name looked up in `env`'s PATH with `search`. */
  readonly path: string;
  /** argv, argv[0] included. */
  readonly argv: readonly string[];
  /** The environment, `NAME=value` strings. */
  readonly env: readonly string[];
  /** Search PATH as execvp(3) does when `path` has no `/`. */
  readonly search: boolean;
  /**
   * Open `path` in the parent before the clone (O_PATH, host view) and execveat(2) that fd
   * with AT_EMPTY_PATH: a program outside the container's root (ct's init) can then be exec'd after pivot_root.
   * `search` does not apply. Only binaries: a script's interpreter cannot reopen the close-on-exec fd (ENOENT).
   */
  readonly preopen?: boolean;
}
/**
 * The rest of the plan runs in a new process: pid and time namespaces (joined by `setns`, or made by `unshare`)
 * apply to children only (pid_namespaces(7)). The new process is cloned with CLONE_PARENT, so it is the caller's
 * own child, and the process that cloned it exits at once (runc's nsexec does the same); the handle `spawn`
 * returns is the new process's (its pid, pidfd, events and exit). Only `setns` and `unshare` steps may come
 * before it, at most one per plan, and not with CLONE_NEWPID in `SpawnPlan.namespaces` (the cloned child would be
 * a pid namespace's init, which may not use CLONE_PARENT). The parent-death signal is not inherited: set it after.
 */
export interface ForkInitStep {
  /** The step's kind. */
  readonly op: 'forkInit';
}
/** One child step. The list is closed: anything else is refused before the clone. */
export type Step =
  | WaitStep | UnshareStep | SetnsStep | MountStep | RemountStep | MountSetattrStep | PropagationStep
  | MkdirStep | TouchStep | SymlinkStep | ChmodStep | ChownStep | WriteFileStep | MknodStep | UmountStep | RmdirStep
  | ChdirStep | ChrootStep | PivotRootStep | SethostnameStep | SetdomainnameStep | LoopbackUpStep
  | SetgroupsStep | SetresgidStep | SetresuidStep | CapabilitiesStep | KeepCapsStep | NoNewPrivsStep
  | PdeathsigStep | RlimitStep | OomScoreAdjStep | UmaskStep | SetsidStep | ConsoleStep | Dup2Step
  | CloseFromStep | SeccompStep | WaitFifoStep | PersonalityStep | WriteProcSelfStep | ExecStep
  | BindTreeStep | SessionKeyringStep | ForkInitStep;
/** The `op` names, for validation. */
export type StepOp = Step['op'];
/** What `spawn` clones. */
export interface SpawnPlan {
  /** CLONE_NEW* flags (and nothing else: CLONE_PIDFD and the exit signal are the engine's). */
  readonly namespaces: number;
  /** The child's steps, in order; the last is usually `exec`. */
  readonly steps: readonly Step[];
  /**
   * Host fds the child receives at the given numbers before its steps run (stdio, preserved fds, a console
   * socket). Every other fd is closed or close-on-exec in the child.
   */
  readonly fds?: readonly {
    /** The fd in the caller. */
    readonly from: number;
    /** The fd number in the child. */
    readonly to: number;
  }[];
  /** Force clone(2) + pidfd_open instead of clone3 (so tests cover the fallback). */
  readonly forceLegacyClone?: boolean;
  /** Force the O_NOFOLLOW component walk instead of openat2 RESOLVE_IN_ROOT for `inRoot` paths. */
  readonly forceNoOpenat2?: boolean;
  /**
   * Make the child dumpable while it is paused at a `wait` step, and non-dumpable again
   * when released. An unprivileged parent needs this to write /proc/PID/{setgroups,uid_map,gid_map}: the /proc
   * files of a non-dumpable process belong to root. Default: true when `namespaces` has CLONE_NEWUSER and the
   * caller is not root (euid != 0), false otherwise. Outside pauses the child stays non-dumpable until exec.
   */
  readonly dumpableWhilePaused?: boolean;
}
/** What the child reports, in order, until it execs or fails. */
export type ChildEvent =
  /** The child reached a `wait` step and blocks until `release()`. */
  | {
    /** The event's kind. */
    readonly kind: 'paused';
    /** The wait step's label. */
    readonly label: string;
    /** The wait step's index in the plan. */
    readonly step: number;
  }
  /** execve succeeded (the error pipe closed on exec). */
  | {
    /** The event's kind. */
    readonly kind: 'exec';
  };
/** How a process ended: `code` for a normal exit, `signal` (number) when killed. */
export interface ExitStatus {
  /** The exit code, or null when a signal ended it. */
  readonly code: number | null;
  /** The signal number that ended it, or null for a normal exit. */
  readonly signal: number | null;
  /** The shell's convention: code, or 128 + signal. */
  readonly status: number;
}
/**
 * A spawned (or entered) child. `pidfd` stays open until `close()` (or until the exit is collected and the
 * handle closed by `wait()`).
 */
export interface ChildHandle {
  /** The child's pid in the caller's pid namespace. */
  readonly pid: number;
  /** A pidfd for the child (CLONE_PIDFD or pidfd_open). */
  readonly pidfd: number;
  /**
   * The next event: resolves with `paused` at each wait step and with `exec` once execve succeeded; rejects with
   * a `SyscallError` (errno, syscall, step index, step op, path) when a step fails (the child has then exited).
   */
  nextEvent(): Promise<ChildEvent>;
  /** Release the child from the wait step it is paused at. */
  release(): void;
  /** Resolves when the child exits (watched on the event loop through the pidfd; never blocks). */
  wait(): Promise<ExitStatus>;
  /** Send a signal through the pidfd (pidfd_send_signal); ESRCH after exit is ignored. */
  kill(signal: number | NodeJS.Signals): void;
  /**
   * Step failures the child went on after (a `sessionKeyring` step's ENOSYS or EDQUOT),
   * as SyscallErrors naming the step, in the order they came; complete once `exec` was seen.
   */
  readonly warnings?: readonly SyscallError[];
  /**
   * Stop keeping the event loop alive for this child (pidfd watch and sync socket),
   * as `ChildProcess.unref()` does, so a `create` command can exit while the container runs. Events and the
   * exit are still delivered while the loop runs for other reasons.
   */
  unref?(): void;
}
