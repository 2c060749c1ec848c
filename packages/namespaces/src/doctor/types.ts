/**
 * The shapes of `ct doctor`: one `CheckResult` per check (id, verdict, message, the ct features it affects, the
 * exact command that fixes it, and a stable cause id that `explainSetupError` also returns), and the report.
 *
 * Man pages: user_namespaces(7), subuid(5), newuidmap(1), cgroups(7).
 */

/** A check's verdict: failures stop rootless containers, warnings degrade them. */
export type CheckStatus = 'ok' | 'warning' | 'failure';

/** The checks, in report order. */
export const CHECK_IDS = [
  'user-namespaces', 'subordinate-ids', 'newidmap', 'cgroups', 'runtime-dir', 'overlay', 'network',
  'clone3', 'pidfd', 'openat2', 'mount-setattr', 'idmapped-mounts', 'time-namespace', 'seccomp',
] as const;

/** One check's id. */
export type CheckId = typeof CHECK_IDS[number];

/**
 * Why a check is not ok, as a stable id programs can branch on (the same id `explainSetupError` returns for a
 * failed container start with that cause).
 */
export type SetupCause =
  | 'userns-missing' | 'userns-clone-disabled' | 'userns-max-zero' | 'userns-apparmor' | 'userns-refused'
  | 'subids-missing' | 'subids-overlap' | 'newidmap-missing' | 'newidmap-not-privileged'
  | 'cgroup-v1' | 'cgroup-not-delegated' | 'cgroup-unreadable'
  | 'runtime-dir-unset' | 'runtime-dir-foreign' | 'runtime-dir-unwritable'
  | 'overlay-refused' | 'network-helper-missing'
  | 'clone3-missing' | 'pidfd-missing' | 'openat2-missing' | 'mount-setattr-missing' | 'idmapped-mounts-refused'
  | 'time-namespace-missing' | 'seccomp-missing';

/** The outcome of one check. */
export interface CheckResult {
  /** Which check. */
  readonly id: CheckId;
  /** ok, warning (degraded) or failure (rootless containers cannot run). */
  readonly status: CheckStatus;
  /** What was found, one line, lower case ("newuidmap: /tmp/x/newuidmap: no setuid bit and no file capability"). */
  readonly message: string;
  /** The ct features this check decides (shown with warnings and failures). */
  readonly affects: readonly string[];
  /** The cause id when not ok. */
  readonly cause?: SetupCause;
  /** The exact command (or one-line instruction) that fixes it, when not ok. */
  readonly fix?: string;
}

/** Who the checks were run for. */
export interface DoctorUser {
  /** Login name, when /etc/passwd has one for `uid`. */
  readonly name: string | undefined;
  /** The uid checked. */
  readonly uid: number;
  /** The gid checked. */
  readonly gid: number;
}

/** What `runDoctor` returns. */
export interface DoctorReport {
  /** The user the checks were run for. */
  readonly user: DoctorUser;
  /** One result per check, in `CHECK_IDS` order. */
  readonly checks: readonly CheckResult[];
  /** True when no check failed: rootless containers can run (perhaps degraded). */
  readonly canRunContainers: boolean;
}

/** How a real trial (a clone, a mount in a user namespace) went. */
export type TrialOutcome =
  | {
    /** The trial worked. */
    readonly ok: true;
  }
  /** `code` is the errno name (EPERM), `syscall` the failed call or child step, when known. */
  | {
    /** The trial failed. */
    readonly ok: false;
    /** The errno name (`EPERM`), or the error's text when it had no errno code. */
    readonly code: string;
    /** The failed syscall or child step, when known. */
    readonly syscall: string | undefined;
  };

/** The real kernel trials the doctor runs (injectable: unit tests pass canned outcomes). */
export interface DoctorTrials {
  /** clone a child into a new user namespace. */
  userNamespace(): Promise<TrialOutcome>;
  /** mount an overlay (userxattr) in a new user + mount namespace, on directories under `tmpDir`. */
  overlay(tmpDir: string): Promise<TrialOutcome>;
  /** clone with CLONE_NEWTIME (through clone3: clone(2) cannot carry that flag). */
  timeNamespace(): Promise<TrialOutcome>;
  /** mount_setattr(2) on a tmpfs in a new user + mount namespace. */
  mountSetattr(tmpDir: string): Promise<TrialOutcome>;
  /** an idmapped bind mount (open_tree, mount_setattr MOUNT_ATTR_IDMAP, move_mount) under `tmpDir` (root only). */
  idmappedMount(tmpDir: string): Promise<TrialOutcome>;
  /** pidfd_open(2) on this process. */
  pidfd(): TrialOutcome;
  /** openat2(2) of `/`. */
  openat2(): TrialOutcome;
  /** The `security.capability` xattr of `file` (lgetxattr), or undefined when it has none. */
  fileCapability(file: string): Buffer | undefined;
}
