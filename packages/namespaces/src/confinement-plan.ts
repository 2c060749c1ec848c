/**
 * The child steps of the confinement fields, grouped by where child-plan.ts puts them (runc's order):
 * early (cgroup placement pause, cgroup/time namespaces, the session keyring, oom_score_adj through the host's /proc, domainname,
 * right after the id maps), after the root is ready (masked and read-only paths, resolved inside the new root),
 * process attributes before the id switch (rlimits, umask), then capabilities around the id switch, no_new_privs, the exec FIFO and
 * seccomp last. Without no_new_privs the filter is loaded before capabilities are dropped, since loading it
 * then needs CAP_SYS_ADMIN (seccomp(2)).
 *
 * Man pages: seccomp(2), cgroup_namespaces(7), time_namespaces(7), fifo(7), proc(5), keyrings(7), keyctl(2).
 */
import { MS } from './internal/mount-flags.js';
import { planMaskedPaths, planReadonlyPaths, type PathKind } from './masked-paths.js';
import { CLONE_FLAGS } from './namespaces.js';
import { pauseStep } from './pause-protocol.js';
import { planned, type PlannedStep } from './planned-step.js';
import { planRlimits, type Rlimit } from './rlimits.js';
import type { CompiledSeccomp } from './seccomp/compile.js';
import { isNewNamespace, type ResolvedContainerSpec } from './spec.js';
import type { ClockOffset } from './confinement-spec.js';

/**
 * Permissions of the container's session keyring as runc leaves them: the kernel's default for a joined keyring
 * (possessor all; user view, read, link: 0x3f130000) plus, with a new user namespace, "other" search (0x8), else
 * user search (0x80000) (runc's getSessionRingParams and ModKeyringPerm).
 */
export function sessionKeyringPerm(newUserNamespace: boolean): number {
  return 0x3f130000 | (newUserNamespace ? 0x8 : 0x80000);
}

const offsetLine = (clock: string, o: ClockOffset | undefined): string => (o === undefined ? '' : `${clock} ${o.secs} ${o.nanosecs ?? 0}\n`);

/**
 * True when the cgroup namespace must be unshared after the placement in the container's cgroup (`placed`: the
 * plan pauses for it, whether the cgroup comes from the spec or from the caller) instead of made by the clone: a new
 * cgroup namespace's root is the cgroup its creator is in at that moment.
 */
export function cgroupNsDeferred(spec: ResolvedContainerSpec, placed: boolean): boolean {
  return placed && isNewNamespace(spec, 'cgroup');
}

/** True when the time namespace is unshared in the child so that its offsets can still be written. */
export function timeNsDeferred(spec: ResolvedContainerSpec): boolean {
  return spec.confinement.timeOffsets !== undefined;
}

/** Right after the id maps: the cgroup pause and the deferred cgroup and time namespaces. */
export function planEarlySteps(spec: ResolvedContainerSpec, cgroupPause: boolean): PlannedStep[] {
  const steps: PlannedStep[] = [];
  if (cgroupPause) steps.push(pauseStep('cgroup'));
  if (cgroupNsDeferred(spec, cgroupPause)) steps.push(planned({ op: 'unshare', flags: CLONE_FLAGS.cgroup }, 'unshare cgroup namespace'));
  const offsets = spec.confinement.timeOffsets;
  if (offsets !== undefined) {
    // Offsets can be written only before a process enters the namespace: unshare makes it the namespace of our
    // future children, and execve moves us into it (Linux 6.0, "fs/exec: switch timens when a task gets a new mm").
    steps.push(
      planned({ op: 'unshare', flags: CLONE_FLAGS.time }, 'unshare time namespace'),
      planned({ op: 'writeProcSelf', file: 'timens_offsets', data: offsetLine('monotonic', offsets.monotonic) + offsetLine('boottime', offsets.boottime) },
        'write', '/proc/self/timens_offsets'),
    );
  }
  // runc's init joins its new session keyring first thing; ours right after the id maps and cgroup placement.
  const keyring = spec.confinement.sessionKeyring;
  if (keyring !== undefined) {
    const perm = sessionKeyringPerm(isNewNamespace(spec, 'user'));
    steps.push(planned({ op: 'sessionKeyring', ...(keyring === '' ? {} : { name: keyring }), perm },
      'join session keyring', keyring === '' ? '_ses' : keyring));
  }
  // Written while the host's /proc is still mounted: the container may have none.
  const oom = spec.confinement.oomScoreAdj;
  if (oom !== undefined) steps.push(planned({ op: 'oomScoreAdj', value: oom }, 'write', '/proc/self/oom_score_adj'));
  if (spec.confinement.domainname !== undefined) {
    steps.push(planned({ op: 'setdomainname', name: spec.confinement.domainname }, 'setdomainname', spec.confinement.domainname));
  }
  return steps;
}

/**
 * After pivot_root (or chroot), in runc's order: the sysctls (while /proc/sys is still writable), the read-only
 * paths, then the masked paths.
 */
export function planRootSteps(spec: ResolvedContainerSpec, kindOf: (inside: string) => PathKind): PlannedStep[] {
  const sysctl = spec.confinement.sysctl.map(([file, value]) =>
    planned({ op: 'writeFile', path: `/proc/sys/${file}`, inRoot: '/', data: value, mode: 0o644 }, 'write sysctl', `/proc/sys/${file}`));
  return [
    ...sysctl,
    ...planReadonlyPaths(spec.confinement.readonlyPaths, kindOf),
    ...planMaskedPaths(spec.confinement.maskedPaths, kindOf),
  ];
}

/** Before the id switch: rlimits (clamped by the caller), umask, personality. */
export function planProcessAttributes(spec: ResolvedContainerSpec, rlimits: readonly Rlimit[]): PlannedStep[] {
  const c = spec.confinement;
  const steps: PlannedStep[] = [];
  steps.push(...planRlimits(rlimits));
  if (c.umask !== undefined) steps.push(planned({ op: 'umask', mask: c.umask }, 'umask'));
  if (c.personality !== undefined) steps.push(planned({ op: 'personality', persona: c.personality }, 'personality'));
  return steps;
}

/** The seccomp step. */
export function seccompStep(compiled: CompiledSeccomp): PlannedStep {
  return planned({ op: 'seccomp', bpf: compiled.bpf, flags: compiled.flags }, 'load seccomp filter');
}

/** The create/start split: the "created" pause, the FIFO write, and the FIFO's fd closed on exec. */
export function planExecFifo(fifoFdInChild: number): PlannedStep[] {
  return [
    pauseStep('created'),
    planned({ op: 'waitFifo', path: `/proc/self/fd/${fifoFdInChild}` }, 'wait for start', 'exec fifo'),
    planned({ op: 'closeFrom', first: fifoFdInChild }, 'close exec fifo'),
  ];
}

/** The pivot_root replacement for --no-pivot: move the root onto / and chroot into it (runc's msMoveRoot). */
export function planChrootRoot(rootDir: string): PlannedStep[] {
  return [
    planned({ op: 'chdir', path: rootDir }, 'chdir', rootDir),
    planned({ op: 'mount', source: rootDir, target: '/', flags: MS.MOVE }, 'move root', rootDir),
    planned({ op: 'chroot', path: '.' }, 'chroot', rootDir),
    planned({ op: 'chdir', path: '/' }, 'chdir', '/'),
  ];
}

/** Default `PathKind` lookup context for the spec's root and binds. */
export function pathKindContext(spec: ResolvedContainerSpec, rootDir: string): {
  rootfs: string | undefined; procMounted: boolean; sysMounted: boolean; binds: { source: string; target: string }[];
} {
  const has = (fstype: string, target: string): boolean => spec.mounts.some((m) => (m.type === 'filesystem' && m.fstype === fstype && m.target === target)
    || (m.type === 'bind' && m.target === target));
  return {
    rootfs: spec.root.kind === 'rootfs' ? rootDir : undefined,
    procMounted: spec.defaultFileSystems ? isNewNamespace(spec, 'pid') : has('proc', '/proc'),
    sysMounted: spec.defaultFileSystems ? isNewNamespace(spec, 'net') || spec.bindHostSys : has('sysfs', '/sys'),
    binds: spec.mounts.flatMap((m) => (m.type === 'bind' ? [{ source: m.source, target: m.target }] : [])),
  };
}

