/**
 * A container's capability sets as podman 4.3 makes them (pkg/specgen/generate/security.go with containers/common's
 * MergeCapabilities): containers.conf's 11 default capabilities, or with `privileged` (and for `--cap-add ALL`)
 * every capability in this process's bounding set; `--cap-drop` then `--cap-add` (names with or without `CAP_`,
 * any case, `ALL`). Root gets the result in bounding, effective and permitted; another user gets it in bounding only,
 * with just the explicitly added capabilities in effective, permitted, inheritable and ambient.
 * Man pages: capabilities(7), user_namespaces(7), proc(5) (/proc/PID/status CapBnd, /proc/sys/kernel/cap_last_cap).
 */
import { readFileSync } from 'node:fs';
import { CtError } from '../internal/ct-error.js';
import { CAPABILITY_NAMES, capabilityNamesOf, isCapabilityName, type CapabilityName } from '../spec/capability-names.js';
import type { RuntimeCapabilities } from '../spec/runtime-spec.js';

/** containers.conf's `default_capabilities` of podman 4.3 (containers/common 0.50, pkg/config/default.go). */
export const PODMAN_DEFAULT_CAPABILITIES: readonly CapabilityName[] = Object.freeze([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP',
  'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
] as const);

/** What decides the sets. */
export interface CapabilityRequest {
  /** Capabilities to add (`NET_ADMIN`, `cap_net_admin`, `ALL`). */
  readonly capAdd?: readonly string[] | undefined;
  /** Capabilities to drop (`ALL` drops every one but those added). */
  readonly capDrop?: readonly string[] | undefined;
  /** Start from every capability of the bounding set (podman `--privileged`). */
  readonly privileged?: boolean | undefined;
  /** The container process's uid: 0 gets the sets effective, others only what capAdd names. */
  readonly uid: number;
  /** The bounding set `ALL` and `privileged` stand for (default: this process's, from /proc/self/status). */
  readonly hostBounding?: readonly string[] | undefined;
}

/**
 * The capabilities `--privileged` and `--cap-add ALL` stand for, as podman computes them (its own bounding set):
 * as root, this process's bounding set (/proc/self/status CapBnd: root here lacks CAP_SYS_RESOURCE, and so do its
 * containers); unprivileged, every capability up to /proc/sys/kernel/cap_last_cap, since a new user namespace
 * starts with a full bounding set (the kernel's set_cred_user_ns) and rootless podman computes it inside one.
 * @throws CtError OCI_OPTION_INVALID (a status file without a CapBnd line); Node's fs errors (ENOENT, EACCES) when
 *   the /proc file cannot be read.
 */
export function processBoundingSet(proc = '/proc'): CapabilityName[] {
  if (process.geteuid?.() !== 0) {
    const last = Number(readFileSync(`${proc}/sys/kernel/cap_last_cap`, 'utf8').trim());
    return CAPABILITY_NAMES.filter((_, bit) => bit <= last);
  }
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync(`${proc}/self/status`, 'utf8'));
  if (m === null) throw new CtError('OCI_OPTION_INVALID', `read bounding set: ${proc}/self/status: no CapBnd line`);
  return capabilityNamesOf(BigInt(`0x${m[1]}`));
}

/**
 * `name` as a capability name (`CAP_` and upper case), or 'ALL'.
 * @throws CtError OCI_OPTION_INVALID naming the option and the name.
 */
export function normalizeCapability(name: string, option: string): CapabilityName | 'ALL' {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!isCapabilityName(full)) throw new CtError('OCI_OPTION_INVALID', `${option}: ${JSON.stringify(name)}: unknown capability`);
  return full;
}

function sorted(set: Iterable<string>): string[] {
  return [...new Set(set)].sort();
}

/**
 * The capability sets for `req` (podman's order of operations and its errors).
 * @throws CtError OCI_OPTION_INVALID: an unknown name, or one both added and dropped.
 */
export function containerCapabilities(req: CapabilityRequest): RuntimeCapabilities {
  const adds = (req.capAdd ?? []).map((c) => normalizeCapability(c, '--cap-add'));
  const drops = (req.capDrop ?? []).map((c) => normalizeCapability(c, '--cap-drop'));
  let host: readonly string[] | undefined = req.hostBounding;
  const bounding = (): readonly string[] => (host ??= processBoundingSet());
  const expand = (names: readonly (CapabilityName | 'ALL')[]): string[] => names.flatMap((c) => (c === 'ALL' ? bounding() : [c]));
  let caps: string[];
  if (drops.includes('ALL')) {
    caps = sorted(expand(adds));
  } else {
    const both = adds.find((c) => c !== 'ALL' && drops.includes(c));
    if (both !== undefined) throw new CtError('OCI_OPTION_INVALID', `--cap-add/--cap-drop: ${both}: cannot be dropped and added`);
    const base = req.privileged === true || adds.includes('ALL') ? bounding() : PODMAN_DEFAULT_CAPABILITIES;
    caps = sorted([...base, ...expand(adds)].filter((c) => !drops.includes(c as CapabilityName)));
  }
  if (caps.length === 0) return {};
  if (req.uid === 0) return { bounding: caps, effective: caps, permitted: caps };
  const inBounding = new Set(caps);
  const user = sorted(expand(adds).filter((c) => inBounding.has(c)));
  return user.length === 0 ? { bounding: caps } : { bounding: caps, effective: user, inheritable: user, permitted: user, ambient: user };
}


