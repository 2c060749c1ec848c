/**
 * The confinement part of `ContainerSpec`, beyond Guix (which stops at namespaces): capabilities, no_new_privs,
 * umask, supplementary groups, oom_score_adj, rlimits, domainname, time namespace offsets, seccomp, masked and
 * read-only paths, sysctls, the personality, the cgroup, and the OCI lifecycle's exec FIFO and --no-pivot. Each
 * field is checked here once (ContainerSpecError naming the field) and resolved into typed values the child plan
 * uses.
 *
 * Man pages: capabilities(7), prctl(2) (PR_SET_NO_NEW_PRIVS), umask(2), setgroups(2), proc(5) (oom_score_adj,
 * timens_offsets), getrlimit(2), setdomainname(2), time_namespaces(7), seccomp(2), cgroups(7), fifo(7).
 */
import { type CapabilityMasks, type CapabilitySpec, DEFAULT_CAPABILITY_SETS, resolveCapabilities } from './capabilities.js';
import { type CgroupSpec, validateCgroupSpec } from './cgroups/resources.js';
import { ContainerSpecError } from './errors.js';
import { validateContainerPaths } from './masked-paths.js';
import type { NamespaceKind } from './namespaces.js';
import { type Rlimit, validateRlimits } from './rlimits.js';
import { type SeccompProfile, validateSeccompProfile } from './seccomp/profile.js';

/** A clock offset of a new time namespace (time_namespaces(7)). */
export interface ClockOffset {
  /** Seconds (may be negative). */
  readonly secs: number;
  /** Nanoseconds, 0 to 999999999. */
  readonly nanosecs?: number;
}

/** Offsets of the container's time namespace clocks. */
export interface TimeOffsets {
  /** CLOCK_MONOTONIC offset. */
  readonly monotonic?: ClockOffset;
  /** CLOCK_BOOTTIME offset (what /proc/uptime shows). */
  readonly boottime?: ClockOffset;
}

/** Confinement fields of a `ContainerSpec` (all optional; absent means nothing done, but for `capabilities`: runc's set). */
export interface ConfinementSpec {
  /**
   * Capabilities kept. Default `DEFAULT_CAPABILITY_SETS`: runc's set (`DEFAULT_CAPABILITIES`: audit_write, kill,
   * net_bind_service) in all five sets, every other one dropped, bounding set included. 'all' drops none (Guix's
   * behaviour, the default of the Guix-shaped wrappers `callWithContainer`, `runContainerGuix`, `evalInContainer`).
   */
  readonly capabilities?: CapabilitySpec;
  /**
   * The session keyring (keyrings(7)): by default a new anonymous one ("_ses", runc's default of a new keyring per
   * container); a name makes a new keyring of that name (runc names it after the container id; an existing one
   * of that name the process may join is joined); false keeps the caller's (runc --no-new-keyring, Guix). A
   * kernel without keyrings (ENOSYS) or a full key quota (EDQUOT) gives a warning, not a failure.
   */
  readonly sessionKeyring?: string | false;
  /** PR_SET_NO_NEW_PRIVS before exec (default false). */
  readonly noNewPrivileges?: boolean;
  /** The command's umask (default: inherited). */
  readonly umask?: number;
  /** Supplementary groups of the command (ids inside the container; default none). */
  readonly additionalGids?: readonly number[];
  /** /proc/self/oom_score_adj, -1000 to 1000 (lowering it needs CAP_SYS_RESOURCE). */
  readonly oomScoreAdj?: number;
  /** Resource limits; a hard limit the caller cannot raise is lowered to the caller's with a warning. */
  readonly rlimits?: readonly Rlimit[];
  /** NIS domain name (with a new uts namespace). */
  readonly domainname?: string;
  /** Clock offsets of a new time namespace ('time' must be among the new namespaces). */
  readonly timeOffsets?: TimeOffsets;
  /** A seccomp profile, compiled to BPF before the clone and loaded last (or before the id switch without NNP). */
  readonly seccomp?: SeccompProfile;
  /** Paths hidden inside the container (/dev/null over files, a read-only empty tmpfs over directories). */
  readonly maskedPaths?: readonly string[];
  /** Paths made read-only inside the container. */
  readonly readonlyPaths?: readonly string[];
  /** A cgroup with limits (v1 or v2; unprivileged without delegation: no limits and one warning). */
  readonly cgroup?: CgroupSpec;
  /**
   * The OCI create/start split: a FIFO (host path) the container's process opens for writing right before exec
   * (after every other step); `runContainer` then resolves at "created" and `execed()` resolves once a reader
   * (ct start) has opened the FIFO and the command was exec'd. The open for writing is the wait, so the child
   * reopens an O_PATH descriptor of it as /proc/self/fd/N after the root switch: the container needs /proc (a wait
   * on a plain descriptor reverses the protocol: see `execWrapper` and @ct/runtime's ct-exec-fifo).
   */
  readonly execFifo?: string;
  /** chroot into the root instead of pivot_root (runc --no-pivot; for a root on ramfs). */
  readonly noPivotRoot?: boolean;
  /**
   * A host program exec'd instead of the command, with `argv` followed by the command's argv (e.g. ct's
   * exec-fifo helper: `{path: '/usr/lib/ct/ct-exec-fifo', argv: ['ct-exec-fifo', '3', '--']}`). It is opened
   * before the clone and exec'd by fd (execveat), so it need not exist inside the root; it must exec the command.
   * Unlike `execFifo`, the wait then happens after our exec, so the container survives its creator's exit.
   */
  readonly execWrapper?: {
    /** The program's absolute path on the host. */
    readonly path: string;
    /** Its argv, before the command's. */
    readonly argv: readonly string[];
  };
  /**
   * Kernel parameters written under the container's /proc/sys after the root switch, before the read-only paths
   * (OCI linux.sysctl; `net.ipv4.ip_forward` is /proc/sys/net/ipv4/ip_forward). Which keys a container may set
   * (namespaced ones) is the caller's policy.
   */
  readonly sysctl?: Readonly<Record<string, string>>;
  /** personality(2) persona (e.g. 0x0008 PER_LINUX32), set before exec. */
  readonly personality?: number;
}

/** The confinement after checks (each field means what the ConfinementSpec field says; `capabilities` undefined = 'all'). */
export interface ResolvedConfinement {
  /** The five sets as masks; undefined: 'all' (nothing dropped). */
  readonly capabilities: CapabilityMasks | undefined;
  /** True when `capabilities` is the default (runc's set), not the spec's. */
  readonly capabilitiesDefaulted: boolean;
  /** undefined: none (keep the caller's); '' a new anonymous keyring; else its name. */
  readonly sessionKeyring: string | undefined;
  /** {@link ConfinementSpec.noNewPrivileges}; default false. */
  readonly noNewPrivileges: boolean;
  /** {@link ConfinementSpec.umask}, 0 to 0o777; undefined: inherited. */
  readonly umask: number | undefined;
  /** {@link ConfinementSpec.additionalGids}; default none. */
  readonly additionalGids: readonly number[];
  /** {@link ConfinementSpec.oomScoreAdj}, -1000 to 1000; undefined: inherited. */
  readonly oomScoreAdj: number | undefined;
  /** {@link ConfinementSpec.rlimits}, checked; default none. */
  readonly rlimits: readonly Rlimit[];
  /** {@link ConfinementSpec.domainname}; undefined: none set. */
  readonly domainname: string | undefined;
  /** {@link ConfinementSpec.timeOffsets}, checked; undefined: none. */
  readonly timeOffsets: TimeOffsets | undefined;
  /** {@link ConfinementSpec.seccomp}; undefined: no filter. */
  readonly seccomp: SeccompProfile | undefined;
  /** {@link ConfinementSpec.maskedPaths}, checked; default none. */
  readonly maskedPaths: readonly string[];
  /** {@link ConfinementSpec.readonlyPaths}, checked; default none. */
  readonly readonlyPaths: readonly string[];
  /** {@link ConfinementSpec.cgroup}, checked; undefined: no cgroup. */
  readonly cgroup: CgroupSpec | undefined;
  /** {@link ConfinementSpec.execFifo} (an absolute path); undefined: none. */
  readonly execFifo: string | undefined;
  /** {@link ConfinementSpec.noPivotRoot}; default false. */
  readonly noPivotRoot: boolean;
  /** {@link ConfinementSpec.execWrapper}; undefined: the command is exec'd itself. */
  readonly execWrapper: {
    /** The program's absolute path on the host. */
    readonly path: string;
    /** Its argv, before the command's. */
    readonly argv: readonly string[];
  } | undefined;
  /** [file under /proc/sys, value], in the spec's order. */
  readonly sysctl: readonly (readonly [string, string])[];
  /** personality(2) persona, set before exec (none when undefined). */
  readonly personality: number | undefined;
}

function checkOffset(field: string, offset: ClockOffset | undefined): void {
  if (offset === undefined) return;
  if (!Number.isSafeInteger(offset.secs)) throw new ContainerSpecError(`${field}.secs`, `not an integer: ${offset.secs}`);
  const ns = offset.nanosecs ?? 0;
  if (!Number.isInteger(ns) || ns < 0 || ns > 999_999_999) throw new ContainerSpecError(`${field}.nanosecs`, `not 0-999999999: ${ns}`);
}

/** sysctl keys as files under /proc/sys: dots separate the components; none may be empty or '..'. */
function resolveSysctl(sysctl: Readonly<Record<string, string>>): (readonly [string, string])[] {
  return Object.entries(sysctl).map(([key, value]) => {
    const file = key.replace(/\./g, '/');
    if (file.split('/').some((c) => c === '' || c === '..') || key.includes('\0')) {
      throw new ContainerSpecError(`sysctl.${key}`, 'not a kernel parameter name');
    }
    if (typeof value !== 'string' || value.includes('\0')) throw new ContainerSpecError(`sysctl.${key}`, 'value is not a string without NUL');
    return [file, value] as const;
  });
}

/** Which namespaces a container has: `isNew`, made for it; `has`, its own (new or joined by path). */
export interface NamespaceQuery {
  readonly isNew: (kind: NamespaceKind) => boolean;
  readonly has: (kind: NamespaceKind) => boolean;
}

/** Check the confinement fields of a spec. */
export function resolveConfinement(spec: ConfinementSpec, ns: NamespaceQuery, hasMnt: boolean): ResolvedConfinement {
  const { isNew, has } = ns;
  if (spec.umask !== undefined && (!Number.isInteger(spec.umask) || spec.umask < 0 || spec.umask > 0o777)) {
    throw new ContainerSpecError('umask', `not 0-0777: ${spec.umask}`);
  }
  (spec.additionalGids ?? []).forEach((gid, i) => {
    if (!Number.isInteger(gid) || gid < 0 || gid > 0xfffffffe) throw new ContainerSpecError(`additionalGids[${i}]`, `not a valid id: ${gid}`);
  });
  if (spec.oomScoreAdj !== undefined && (!Number.isInteger(spec.oomScoreAdj) || spec.oomScoreAdj < -1000 || spec.oomScoreAdj > 1000)) {
    throw new ContainerSpecError('oomScoreAdj', `not -1000 to 1000: ${spec.oomScoreAdj}`);
  }
  if (spec.domainname !== undefined) {
    if (!has('uts')) throw new ContainerSpecError('domainname', 'setting a domainname needs a uts namespace of its own (new or joined)');
    if (spec.domainname.length > 64 || spec.domainname.includes('\0')) throw new ContainerSpecError('domainname', 'longer than 64 bytes or has a NUL');
  }
  if (spec.timeOffsets !== undefined) {
    if (!isNew('time')) throw new ContainerSpecError('timeOffsets', "clock offsets need a new 'time' namespace");
    checkOffset('timeOffsets.monotonic', spec.timeOffsets.monotonic);
    checkOffset('timeOffsets.boottime', spec.timeOffsets.boottime);
  }
  const masked = validateContainerPaths('maskedPaths', spec.maskedPaths ?? []);
  const readonly = validateContainerPaths('readonlyPaths', spec.readonlyPaths ?? []);
  if ((masked.length > 0 || readonly.length > 0) && !hasMnt) {
    throw new ContainerSpecError(masked.length > 0 ? 'maskedPaths' : 'readonlyPaths', 'needs a mnt namespace of its own and a tmpfs or rootfs root');
  }
  if (spec.noPivotRoot === true && !hasMnt) throw new ContainerSpecError('noPivotRoot', 'needs a mnt namespace of its own and a root');
  if (spec.execFifo !== undefined && !spec.execFifo.startsWith('/')) throw new ContainerSpecError('execFifo', `not an absolute path: ${spec.execFifo}`);
  if (spec.execWrapper !== undefined) {
    if (!spec.execWrapper.path.startsWith('/')) throw new ContainerSpecError('execWrapper.path', `not an absolute path: ${spec.execWrapper.path}`);
    if (spec.execWrapper.argv.length === 0) throw new ContainerSpecError('execWrapper.argv', 'empty (argv[0] is needed)');
  }
  if (spec.personality !== undefined && (!Number.isInteger(spec.personality) || spec.personality < 0 || spec.personality > 0xffffffff)) {
    throw new ContainerSpecError('personality', `not a persona: ${spec.personality}`);
  }
  const keyring = spec.sessionKeyring;
  if (keyring !== undefined && keyring !== false && (typeof keyring !== 'string' || keyring === '' || keyring.includes('\0') || keyring.length > 4095)) {
    throw new ContainerSpecError('sessionKeyring', 'not false or a non-empty name without NUL (at most 4095 bytes)');
  }
  return {
    capabilities: resolveCapabilities(spec.capabilities ?? DEFAULT_CAPABILITY_SETS),
    capabilitiesDefaulted: spec.capabilities === undefined,
    sessionKeyring: keyring === false ? undefined : keyring ?? '',
    noNewPrivileges: spec.noNewPrivileges ?? false,
    umask: spec.umask,
    additionalGids: spec.additionalGids ?? [],
    oomScoreAdj: spec.oomScoreAdj,
    rlimits: validateRlimits(spec.rlimits ?? []),
    domainname: spec.domainname,
    timeOffsets: spec.timeOffsets,
    seccomp: spec.seccomp === undefined ? undefined : validateSeccompProfile(spec.seccomp),
    maskedPaths: masked,
    readonlyPaths: readonly,
    cgroup: spec.cgroup === undefined ? undefined : validateCgroupSpec(spec.cgroup),
    execFifo: spec.execFifo,
    noPivotRoot: spec.noPivotRoot ?? false,
    execWrapper: spec.execWrapper,
    sysctl: resolveSysctl(spec.sysctl ?? {}),
    personality: spec.personality,
  };
}
