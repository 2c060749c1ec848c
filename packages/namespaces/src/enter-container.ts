/**
 * `enterContainer(pid, process, options)`: run a process in a running container, the one entry for everything that
 * does (runc exec, OCI hooks run in the container, Guix's container-excursion). @ct/syscalls' `enter` joins the
 * target's namespaces (those the caller does not share; user first, mnt last) and forks the process into its pid
 * namespace as the caller's own child; the plan (enter-plan.ts) sets the process up as runc's setns init does.
 * Pauses go through the pause protocol: the cgroup placement, and the last one before exec (a runtime writes its
 * pid file there; a detached process is released from it and not waited for).
 *
 * Man pages: setns(2), pid_namespaces(7), capabilities(7), seccomp(2), keyrings(7).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CapabilitySpec, resolveCapabilities } from './capabilities.js';
import { buildEnterPlan, type ResolvedEnterProcess } from './enter-plan.js';
import { ContainerSpecError, NamespaceSetupError } from './errors.js';
import { defaultSyscalls } from './internal/default-syscalls.js';
import type { ChildHandle, ExitStatus, Syscalls } from './internal/syscalls-port.js';
import { NAMESPACES, type NamespaceKind, namespacesToBitMask } from './namespaces.js';
import { describeChildFailure, drivePauses, unexpectedPause } from './pause-protocol.js';
import { clampRlimits, readRlimitHost, type Rlimit, type RlimitHost, validateRlimits } from './rlimits.js';
import { compileSeccomp } from './seccomp/compile.js';
import { limitWait, type WaitOptions } from './wait-options.js';
import { type SeccompProfile, validateSeccompProfile } from './seccomp/profile.js';
import type { CommandSpec, ConsoleSpec, FdPassing, StdioSpec } from './spec.js';

/** The process to run. Only `command` is required: by default it keeps the caller's ids and capabilities. */
export interface EnterProcess {
  /** Program, arguments, environment (nothing is inherited) and working directory (default '/'). */
  readonly command: CommandSpec;
  /** The program to exec when it is not argv[0] (an OCI hook's `path`). */
  readonly path?: string;
  /** Search PATH of the environment for a program without a slash (default true). */
  readonly search?: boolean;
  /**
   * Open the program (`path`, absolute) in the caller, before the joins, and exec that fd: a host binary the
   * container's root does not have (a static one, or a dynamic loader; containerExcursionEval runs node so).
   */
  readonly preopen?: boolean;
  /** Switch to these ids inside the container (default: keep the caller's, as a hook). */
  readonly uid?: number;
  /** The group id to switch to inside the container (default: keep the caller's). */
  readonly gid?: number;
  /** Supplementary groups (with `uid`). */
  readonly additionalGids?: readonly number[];
  /** Capabilities kept (default: the caller's, untouched). */
  readonly capabilities?: CapabilitySpec;
  /** Set PR_SET_NO_NEW_PRIVS before exec. */
  readonly noNewPrivileges?: boolean;
  /** The process's umask (0-0777). */
  readonly umask?: number;
  /** Resource limits, clamped to the caller's hard limits with a warning. */
  readonly rlimits?: readonly Rlimit[];
  /** A seccomp profile loaded before exec. */
  readonly seccomp?: SeccompProfile;
  /** Join this session keyring (the container's: runc's `_ses.<id>`); default none. */
  readonly sessionKeyring?: string;
  /** A pty of its own from the container's /dev/ptmx, its master sent to the console socket. */
  readonly console?: ConsoleSpec;
}

/** How to enter. */
export interface EnterOptions {
  /** The kernel interface (default @ct/syscalls). */
  readonly syscalls?: Syscalls;
  /** Which of the target's namespaces to join (default all; those the caller shares are skipped). */
  readonly namespaces?: readonly NamespaceKind[];
  /**
   * Join the user namespace that owns the target's pid namespace rather than the target's own (Guix's
   * container-excursion; they differ with locked mounts, whose inner user namespace has no capability over the
   * container's uts, net, ipc and pid namespaces). Default false (runc exec joins the process's own).
   */
  readonly userOfPidNamespace?: boolean;
  /** Host fds for the process's 0, 1, 2 (default the caller's). */
  readonly stdio?: StdioSpec;
  /** More host fds the process gets at the given numbers. */
  readonly extraFds?: readonly FdPassing[];
  /** The container's cgroup directories: the process is moved into each at a pause before its steps. */
  readonly cgroupDirs?: readonly string[];
  /**
   * Called at that pause, after the cgroup placement, with the process's pid: what the caller sets from outside
   * before the process changes its ids (an OCI process's scheduler and I/O priority).
   */
  readonly setup?: (pid: number) => void | Promise<void>;
  /**
   * Called at the last pause, right before exec, with the process's pid (a runtime's pid file). With `detach`
   * enterContainer resolves once the process is released from there, without waiting for the exec.
   */
  readonly beforeExec?: (pid: number) => void | Promise<void>;
  /** The process outlives the caller: no parent-death signal, and not waited for past the last pause. */
  readonly detach?: boolean;
  /** Where warnings go (a clamped rlimit, a session keyring refused, unknown seccomp syscalls). */
  readonly warn?: (message: string) => void;
  /** The caller's hard limits (default read from /proc/self). */
  readonly rlimitHost?: RlimitHost;
  /** The proc file system's root (default /proc). */
  readonly procRoot?: string;
}

/** A process running in a container. */
export interface EnteredProcess {
  /** Its pid in the caller's pid namespace (the caller's own child). */
  readonly pid: number;
  /** A pidfd for it. */
  readonly pidfd: number;
  /** Resolves with its exit status (code, or 128 + signal). */
  wait(options?: WaitOptions): Promise<ExitStatus>;
  /** Send it a signal (default SIGKILL). */
  kill(signal?: NodeJS.Signals | number): void;
  /** Stop keeping the caller's event loop alive for it. */
  unref(): void;
}

function checkProcess(p: EnterProcess): void {
  if (p.command.argv.length === 0 || p.command.argv[0] === '') throw new ContainerSpecError('command.argv', 'empty');
  const cwd = p.command.cwd ?? '/';
  if (!cwd.startsWith('/')) throw new ContainerSpecError('command.cwd', `not an absolute path: ${cwd}`);
  if (p.preopen === true && !(p.path ?? p.command.argv[0] ?? '').startsWith('/')) throw new ContainerSpecError('path', 'preopen needs an absolute path');
  if ((p.uid === undefined) !== (p.gid === undefined)) throw new ContainerSpecError(p.uid === undefined ? 'uid' : 'gid', 'uid and gid go together');
  if (p.uid === undefined && (p.additionalGids ?? []).length > 0) throw new ContainerSpecError('additionalGids', 'needs uid and gid');
  if (p.umask !== undefined && (!Number.isInteger(p.umask) || p.umask < 0 || p.umask > 0o777)) throw new ContainerSpecError('umask', `not 0-0777: ${p.umask}`);
}

/** /proc/PID/setgroups of the target: whether its user namespace allows setgroups. */
function setgroupsAllowed(procRoot: string, pid: number): boolean {
  try {
    return readFileSync(join(procRoot, String(pid), 'setgroups'), 'utf8').trim() !== 'deny';
  } catch {
    return true;
  }
}

function resolveProcess(p: EnterProcess, options: EnterOptions, warn: (m: string) => void): ResolvedEnterProcess {
  checkProcess(p);
  const rlimits = validateRlimits(p.rlimits ?? []);
  const seccomp = p.seccomp === undefined ? undefined : compileSeccomp(validateSeccompProfile(p.seccomp));
  if (seccomp !== undefined && seccomp.unknownNames.length > 0) warn(`seccomp: unknown syscalls skipped: ${seccomp.unknownNames.join(' ')}`);
  return {
    command: { argv: p.command.argv, env: p.command.env ?? {}, cwd: p.command.cwd ?? '/' },
    path: p.path ?? p.command.argv[0] ?? '',
    search: p.search ?? true,
    preopen: p.preopen ?? false,
    ids: p.uid === undefined || p.gid === undefined ? undefined : { uid: p.uid, gid: p.gid, additionalGids: p.additionalGids ?? [] },
    capabilities: p.capabilities === undefined ? undefined : resolveCapabilities(p.capabilities),
    noNewPrivileges: p.noNewPrivileges ?? false,
    umask: p.umask,
    rlimits: rlimits.length === 0 ? [] : clampRlimits(rlimits, options.rlimitHost ?? readRlimitHost(options.procRoot), warn),
    seccomp,
    sessionKeyring: p.sessionKeyring,
    console: p.console,
    stdio: options.stdio ?? [0, 1, 2],
    extraFds: options.extraFds ?? [],
  };
}

/** Move `pid` into each cgroup directory. */
function joinCgroups(dirs: readonly string[], pid: number): void {
  for (const dir of dirs) {
    try {
      writeCgroupProcs(dir, pid);
    } catch (error) {
      throw new NamespaceSetupError('join cgroup', pid, error as Error, dir);
    }
  }
}

function writeCgroupProcs(dir: string, pid: number): void {
  // One write(2) of the pid: cgroupfs takes one value per write.
  writeFileSync(join(dir, 'cgroup.procs'), String(pid));
}

/**
 * Run `process` in the namespaces of `pid`; resolves once it has exec'd (with `detach`, once it was released from
 * its last pause). Throws a ContainerSpecError for a bad process, a NamespaceSetupError naming the failed step.
 */
export async function enterContainer(pid: number, process: EnterProcess, options: EnterOptions = {}): Promise<EnteredProcess> {
  const sys = options.syscalls ?? defaultSyscalls();
  const warn = options.warn ?? ((m: string) => globalThis.process.emitWarning(m, { code: 'CT_ENTER' }));
  const resolved = resolveProcess(process, options, warn);
  const cgroupDirs = options.cgroupDirs ?? [];
  const detach = options.detach === true;
  const { plan, described } = buildEnterPlan(resolved, {
    setgroupsAllowed: setgroupsAllowed(options.procRoot ?? '/proc', pid),
    pauseForCgroup: cgroupDirs.length > 0 || options.setup !== undefined,
    pauseBeforeExec: options.beforeExec !== undefined || detach,
    outliveCaller: detach,
  });
  let child: ChildHandle;
  try {
    const join = options.userOfPidNamespace === true ? { userOfPidNamespace: true } : undefined;
    child = await sys.enter(pid, namespacesToBitMask(options.namespaces ?? [...NAMESPACES, 'time']), plan, join);
  } catch (error) {
    // a step whose fd the parent opens first (the console socket) failed there: that step's
    throw describeChildFailure(error, described, pid, 'enter');
  }
  try {
    await drivePauses(child, described, {
      'id-maps': unexpectedPause('id-maps'), 'before-pivot-root': unexpectedPause('before-pivot-root'),
      'lock-mounts': unexpectedPause('lock-mounts'), 'lock-maps': unexpectedPause('lock-maps'), created: unexpectedPause('created'),
      namespaces: unexpectedPause('namespaces'),
      cgroup: async (p) => {
        joinCgroups(cgroupDirs, p);
        await options.setup?.(p);
      },
      'before-exec': async (p) => { await options.beforeExec?.(p); },
    }, detach ? 'before-exec' : undefined);
  } catch (error) {
    child.kill('SIGKILL');
    await child.wait().catch(() => undefined);
    throw error;
  }
  // Steps the process went on after (a session keyring refused: ENOSYS, EDQUOT).
  for (const w of child.warnings ?? []) warn(`${describeChildFailure(w, described, child.pid).message} (ignored)`);
  if (detach) child.unref?.();
  const running = child;
  return {
    pid: running.pid,
    pidfd: running.pidfd,
    wait: (limit?: WaitOptions) => limitWait(running.wait(), `process ${running.pid}`, limit),
    kill: (signal = 'SIGKILL') => running.kill(signal),
    unref: () => running.unref?.(),
  };
}
