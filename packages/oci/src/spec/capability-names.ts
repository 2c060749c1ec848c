/**
 * The capability names a runtime-spec `process.capabilities` set may hold (config.md "capabilities": the names
 * of capabilities(7)), in kernel order (index = capability number, linux/capability.h up to
 * CAP_CHECKPOINT_RESTORE, Linux 5.9). Kept here, in the light entry, so building or checking a config needs no addon;
 * @ct/namespaces has the same table for its child steps.
 */

/** Capability names in kernel order. */
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

/** True when `name` is a capability name (upper case, with its CAP_ prefix). */
export function isCapabilityName(name: string): name is CapabilityName {
  return (CAPABILITY_NAMES as readonly string[]).includes(name);
}

/** The names of the bits set in `mask` (a /proc/PID/status Cap* field), in kernel order; unknown bits are left out. */
export function capabilityNamesOf(mask: bigint): CapabilityName[] {
  return CAPABILITY_NAMES.filter((_, bit) => ((mask >> BigInt(bit)) & 1n) === 1n);
}
