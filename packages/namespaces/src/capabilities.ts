/**
 * Capabilities: the names (capabilities(7), numbered as in linux/capability.h up to CAP_CHECKPOINT_RESTORE),
 * runc's default set, and the child steps that leave the container with exactly the requested five sets.
 *
 * Ordering (runc's finalizeNamespace): the bounding set is dropped while the child is still root in its user
 * namespace (PR_CAPBSET_DROP needs CAP_SETPCAP); for a non-root guest, PR_SET_KEEPCAPS keeps the permitted set
 * across setresuid and a second capset (which leaves the bounding set alone) then sets the final effective,
 * permitted, inheritable and ambient sets.
 *
 * Man pages: capabilities(7), capset(2), prctl(2) (PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_SET_KEEPCAPS).
 */
import { ContainerSpecError } from './errors.js';
import { planned, type PlannedStep } from './planned-step.js';

/** Capability names in kernel order (index = capability number). */
export const CAPABILITY_NAMES = Object.freeze([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const);

/** A capability name ('CAP_SYS_ADMIN'). */
export type CapabilityName = (typeof CAPABILITY_NAMES)[number];

/** `runc spec`'s default set (the same in all five sets but ambient): audit_write, kill, net_bind_service. */
export const DEFAULT_CAPABILITIES: readonly CapabilityName[] = Object.freeze([
  'CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE',
] as const);

/**
 * The spec API's default (`ContainerSpec.capabilities` absent): runc's set in all five sets, as `runc spec` wrote
 * it before 1.1 (a non-root guest keeps them effective through ambient); every other capability is dropped,
 * from the bounding set too. The Guix-shaped wrappers pass 'all' instead.
 */
export const DEFAULT_CAPABILITY_SETS: CapabilitySets = Object.freeze({
  bounding: DEFAULT_CAPABILITIES, effective: DEFAULT_CAPABILITIES, permitted: DEFAULT_CAPABILITIES,
  inheritable: DEFAULT_CAPABILITIES, ambient: DEFAULT_CAPABILITIES,
});

/** The five capability sets of the container's process (capabilities(7), "Thread capability sets"). */
export interface CapabilitySets {
  /** Capabilities the process (and its children across execve) can ever gain; the rest are dropped. */
  readonly bounding: readonly CapabilityName[];
  /** Effective after exec (for a non-root guest: only through `ambient`). */
  readonly effective: readonly CapabilityName[];
  /** Permitted. */
  readonly permitted: readonly CapabilityName[];
  /** Inheritable. */
  readonly inheritable: readonly CapabilityName[];
  /** Ambient (kept across execve by a non-root guest; each must be permitted and inheritable). */
  readonly ambient: readonly CapabilityName[];
}

/**
 * What `ContainerSpec.capabilities` accepts: 'all' (Guix: nothing dropped), one list for bounding, effective,
 * permitted and inheritable (ambient empty; runc's shorthand), or the five sets.
 */
export type CapabilitySpec = 'all' | readonly CapabilityName[] | CapabilitySets;

/** The five sets as bit masks (bit n = capability n). */
export interface CapabilityMasks {
  /** The bounding set (bit n = capability n). */
  readonly bounding: bigint;
  /** The effective set. */
  readonly effective: bigint;
  /** The permitted set. */
  readonly permitted: bigint;
  /** The inheritable set. */
  readonly inheritable: bigint;
  /** The ambient set. */
  readonly ambient: bigint;
}

const NUMBERS = new Map<string, number>(CAPABILITY_NAMES.map((name, i) => [name, i]));

/** The bit of a capability name (accepts 'sys_admin' and 'CAP_SYS_ADMIN'); throws naming `field`. */
export function capabilityBit(field: string, name: string): bigint {
  const upper = name.toUpperCase();
  const n = NUMBERS.get(upper.startsWith('CAP_') ? upper : `CAP_${upper}`);
  if (n === undefined) throw new ContainerSpecError(field, `unknown capability: ${name}`);
  return 1n << BigInt(n);
}

function maskOf(field: string, names: readonly string[]): bigint {
  if (!Array.isArray(names)) throw new ContainerSpecError(field, 'not a list of capability names');
  return names.reduce((mask, name, i) => mask | capabilityBit(`${field}[${i}]`, name), 0n);
}

/** Check a capability spec and turn it into masks; undefined for 'all' or undefined (nothing is dropped). */
export function resolveCapabilities(spec: CapabilitySpec | undefined, field = 'capabilities'): CapabilityMasks | undefined {
  if (spec === undefined || spec === 'all') return undefined;
  if (Array.isArray(spec)) {
    const mask = maskOf(field, spec as readonly string[]);
    return { bounding: mask, effective: mask, permitted: mask, inheritable: mask, ambient: 0n };
  }
  if (typeof spec !== 'object') throw new ContainerSpecError(field, 'not "all", a list or the five sets');
  const sets = spec as CapabilitySets;
  const masks: CapabilityMasks = {
    bounding: maskOf(`${field}.bounding`, sets.bounding ?? []),
    effective: maskOf(`${field}.effective`, sets.effective ?? []),
    permitted: maskOf(`${field}.permitted`, sets.permitted ?? []),
    inheritable: maskOf(`${field}.inheritable`, sets.inheritable ?? []),
    ambient: maskOf(`${field}.ambient`, sets.ambient ?? []),
  };
  if ((masks.effective & ~masks.permitted) !== 0n) {
    throw new ContainerSpecError(`${field}.effective`, 'not a subset of permitted');
  }
  if ((masks.ambient & ~(masks.permitted & masks.inheritable)) !== 0n) {
    throw new ContainerSpecError(`${field}.ambient`, 'each ambient capability must be permitted and inheritable');
  }
  return masks;
}

/** Names of the capabilities set in `mask`, for messages and tests. */
export function capabilityNames(mask: bigint): CapabilityName[] {
  return CAPABILITY_NAMES.filter((_, i) => (mask & (1n << BigInt(i))) !== 0n);
}

const SETUID_SETGID = capabilityBit('', 'CAP_SETUID') | capabilityBit('', 'CAP_SETGID');
/** Every bit set: the engine's capabilities step then drops nothing from the bounding set. */
const KEEP_BOUNDING = (1n << 64n) - 1n;

/** The credential steps, split around the id switch (setgroups/setresgid/setresuid) that goes in between. */
export interface CapabilityPlan {
  /** Before the id switch: bounding set dropped, sets narrowed (keeping SETUID/SETGID for the switch). */
  readonly before: PlannedStep[];
  /** After the id switch: the final sets. */
  readonly after: PlannedStep[];
}

/**
 * The capability steps for a guest uid. Root guests need one step after the id switch (it keeps its caps);
 * a non-root guest keeps the permitted set across setresuid with PR_SET_KEEPCAPS and sets the final sets after.
 */
export function planCapabilities(masks: CapabilityMasks | undefined, guestUid: number, switchesIds: boolean): CapabilityPlan {
  if (masks === undefined) return { before: [], after: [] };
  const final = { op: 'capabilities', ...masks } as const;
  // Root keeps its capabilities across setresuid(0): one step after the switch (which needs CAP_SETGID).
  if (guestUid === 0 || !switchesIds) return { before: [], after: [planned(final, 'set capabilities')] };
  const keep = masks.permitted | SETUID_SETGID;
  return {
    before: [
      planned({ op: 'capabilities', bounding: masks.bounding, effective: keep, permitted: keep, inheritable: masks.inheritable, ambient: 0n },
        'drop capabilities'),
      planned({ op: 'keepCaps', on: true }, 'keep capabilities'),
    ],
    after: [
      planned({ ...final, bounding: KEEP_BOUNDING }, 'set capabilities'),
      planned({ op: 'keepCaps', on: false }, 'keep capabilities'),
    ],
  };
}
