/**
 * config.json's confinement fields, typed for @ct/namespaces' ContainerSpec: process.capabilities (the five sets),
 * process.oomScoreAdj, linux.seccomp (the runtime-spec profile, values as bigint), linux.resources (config-resources.ts;
 * cpuset, blockIO, hugepageLimits and unified in config-resources-extra.ts),
 * linux.cgroupsPath, linux.sysctl, linux.personality, linux.timeOffsets, and the fields ct refuses naming them
 * (linux.mountLabel, linux.memoryPolicy, linux.intelRdt, a personality other than LINUX/LINUX32). Every problem is a
 * ConfigError naming the field.
 *
 * Man pages: capabilities(7), seccomp(2), cgroups(7), sysctl(8), personality(2), time_namespaces(7).
 */
import {
  CAPABILITY_NAMES, type CapabilityName, type CapabilitySets, type CgroupResources, type SeccompAction, type SeccompArch,
  type SeccompFlag, type SeccompOperator, type SeccompProfile, type TimeOffsets,
} from '@ct/namespaces/engine';
import { PER } from '@ct/syscalls';
import { ConfigError } from '../errors.js';
import { readExtraResources, type ExtraResources } from './config-resources-extra.js';
import { readResources } from './config-resources.js';

export { readResources } from './config-resources.js';
import { asInteger, asObject, optArray, optObject, optString, optStrings, reqString, type JsonObject } from './json-fields.js';
import { selinuxEnabled, type LsmProbe } from './config-process.js';

/** The confinement part of a config, typed. */
export interface ConfigConfinement {
  /** The five capability sets (undefined: the field was absent, so none are kept, as runc). */
  readonly capabilities: CapabilitySets | undefined;
  readonly oomScoreAdj: number | undefined;
  readonly seccomp: SeccompProfile | undefined;
  /** Limits ct applies (memory and its tuning, cpu quota/period/shares, pids, network, device rules: config-resources.ts). */
  readonly resources: CgroupResources | undefined;
  /** The other limits ct applies as raw cgroup files (cpuset, blockIO, hugepageLimits, unified). */
  readonly resourcesExtra: ExtraResources | undefined;
  /** linux.cgroupsPath as written. */
  readonly cgroupsPath: string | undefined;
  /** linux.sysctl, checked to be namespaced keys. */
  readonly sysctl: Readonly<Record<string, string>>;
  /** PER.LINUX32 or PER.LINUX (@ct/syscalls). */
  readonly personality: number | undefined;
  readonly timeOffsets: TimeOffsets | undefined;
  /** Fields accepted but not applied, one note each (for the log). */
  readonly notes: readonly string[];
}

const knownCapabilities: ReadonlySet<string> = new Set(CAPABILITY_NAMES);

/**
 * process.capabilities. A name the kernel does not know is left out with a note, as runc does and as config.md asks
 * ("MUST be logged as a warning ... SHOULD NOT fail"); any other value of a set is a ConfigError naming it.
 */
function readCapabilities(p: JsonObject | undefined, notes: string[]): CapabilitySets | undefined {
  const caps = p === undefined ? undefined : optObject(p, 'capabilities', 'process');
  if (caps === undefined) return undefined;
  const set = (name: keyof CapabilitySets): CapabilityName[] =>
    optStrings(caps, name, 'process.capabilities').filter((cap, i) => {
      if (knownCapabilities.has(cap)) return true;
      notes.push(`process.capabilities.${name}[${i}]: unknown capability ${JSON.stringify(cap)}, ignored`);
      return false;
    }) as CapabilityName[];
  return {
    bounding: set('bounding'), effective: set('effective'), permitted: set('permitted'),
    inheritable: set('inheritable'), ambient: set('ambient'),
  };
}

const u64 = (1n << 64n) - 1n;

/**
 * linux.seccomp. The optional fields default as runc's (Go's zero values): a missing `valueTwo`, `value` or `index`
 * is 0 (MASKED_EQ without valueTwo compares against 0, as libseccomp does), a missing `errnoRet` is the spec's EPERM
 * (left to @ct/namespaces), a rule with no names matches nothing and is dropped. errno values are 16 bits, as the
 * kernel's SECCOMP_RET_DATA. Action, operator and flag names are checked by @ct/namespaces' validateSeccompProfile.
 */
function readSeccomp(l: JsonObject): SeccompProfile | undefined {
  const s = optObject(l, 'seccomp', 'linux');
  if (s === undefined) return undefined;
  const path = 'linux.seccomp';
  const errno = (o: JsonObject, key: string, at: string): number | undefined =>
    o[key] === undefined || o[key] === null ? undefined : Number(asInteger(o[key], `${at}.${key}`, 0n, 0xffffn));
  const zeroOr = (o: JsonObject, key: string, at: string, max: bigint): bigint =>
    o[key] === undefined || o[key] === null ? 0n : asInteger(o[key], `${at}.${key}`, 0n, max);
  if (optString(s, 'listenerPath', path) !== undefined) throw new ConfigError(`${path}.listenerPath`, 'seccomp notify listeners are not supported');
  const syscalls = optArray(s, 'syscalls', path).map((v, i) => {
    const at = `${path}.syscalls[${i}]`;
    const r = asObject(v, at);
    const args = optArray(r, 'args', at).map((a, j) => {
      const aat = `${at}.args[${j}]`;
      const arg = asObject(a, aat);
      return {
        index: Number(zeroOr(arg, 'index', aat, 5n)),
        value: zeroOr(arg, 'value', aat, u64),
        valueTwo: zeroOr(arg, 'valueTwo', aat, u64),
        // names are checked by @ct/namespaces' validateSeccompProfile
        op: reqString(arg, 'op', aat) as SeccompOperator,
      };
    });
    const errnoRet = errno(r, 'errnoRet', at);
    return {
      names: optStrings(r, 'names', at), action: reqString(r, 'action', at) as SeccompAction,
      ...(errnoRet === undefined ? {} : { errnoRet }), args,
    };
  }).filter((rule) => rule.names.length > 0);
  const defaultErrnoRet = errno(s, 'defaultErrnoRet', path);
  const architectures = optStrings(s, 'architectures', path);
  const flags = optStrings(s, 'flags', path);
  return {
    defaultAction: reqString(s, 'defaultAction', path) as SeccompAction,
    ...(defaultErrnoRet === undefined ? {} : { defaultErrnoRet }),
    // ABIs this machine never runs are dropped rather than refused (engines list arm and others too)
    ...(architectures.length === 0 ? {} : { architectures: architectures.filter((a) => /^SCMP_ARCH_X(86_64|86|32)$/.test(a)) as SeccompArch[] }),
    ...(flags.length === 0 ? {} : { flags: flags as SeccompFlag[] }),
    syscalls,
  };
}

/** sysctl keys that belong to a namespace (runc's validator: ipc, uts, net), and the namespace each needs. */
export function sysctlNamespace(key: string): 'ipc' | 'uts' | 'network' | undefined {
  if (/^(kernel\.(msgmax|msgmnb|msgmni|sem|shmall|shmmax|shmmni|shm_rmid_forced))$/.test(key) || key.startsWith('fs.mqueue.')) return 'ipc';
  if (key === 'kernel.hostname' || key === 'kernel.domainname') return 'uts';
  if (key.startsWith('net.')) return 'network';
  return undefined;
}

function readSysctl(l: JsonObject): Record<string, string> {
  const s = optObject(l, 'sysctl', 'linux') ?? {};
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(s)) {
    if (typeof v !== 'string') throw new ConfigError(`linux.sysctl.${key}`, 'must be a string');
    if (key.includes('/') || key.includes('..') || sysctlNamespace(key) === undefined) {
      throw new ConfigError(`linux.sysctl.${key}`, 'not a namespaced sysctl (only ipc, uts and net ones may be set)');
    }
    out[key] = v;
  }
  return out;
}

function readTimeOffsets(l: JsonObject): TimeOffsets | undefined {
  const t = optObject(l, 'timeOffsets', 'linux');
  if (t === undefined) return undefined;
  const clock = (name: 'monotonic' | 'boottime'): { secs: number; nanosecs: number } | undefined => {
    const c = optObject(t, name, 'linux.timeOffsets');
    if (c === undefined) return undefined;
    const at = `linux.timeOffsets.${name}`;
    return {
      secs: Number(asInteger(c['secs'] ?? 0, `${at}.secs`, -(1n << 53n), 1n << 53n)),
      nanosecs: Number(asInteger(c['nanosecs'] ?? 0, `${at}.nanosecs`, 0n, 999_999_999n)),
    };
  };
  const monotonic = clock('monotonic');
  const boottime = clock('boottime');
  for (const k of Object.keys(t)) if (k !== 'monotonic' && k !== 'boottime') throw new ConfigError(`linux.timeOffsets.${k}`, 'unknown clock');
  return { ...(monotonic === undefined ? {} : { monotonic }), ...(boottime === undefined ? {} : { boottime }) };
}

function readPersonality(l: JsonObject): number | undefined {
  const p = optObject(l, 'personality', 'linux');
  if (p === undefined) return undefined;
  const domain = reqString(p, 'domain', 'linux.personality');
  if (optArray(p, 'flags', 'linux.personality').length > 0) throw new ConfigError('linux.personality.flags', 'personality flags are not supported');
  if (domain === 'LINUX') return PER.LINUX;
  if (domain === 'LINUX32') return PER.LINUX32;
  throw new ConfigError('linux.personality.domain', `${JSON.stringify(domain)} is not LINUX or LINUX32`);
}

/**
 * The linux fields ct cannot apply, refused naming the field rather than ignored: linux.mountLabel (runc passes it
 * to every mount as `context=`, which fails without SELinux), linux.memoryPolicy (set_mempolicy(2) acts on the
 * calling thread only, so it needs a step in the container's init that ct does not have; runc 1.3 applies it) and
 * linux.intelRdt (no resctrl support).
 */
function refuseUnapplied(l: JsonObject, probe: LsmProbe): void {
  const mountLabel = optString(l, 'mountLabel', 'linux');
  if (mountLabel !== undefined && mountLabel !== '') {
    throw new ConfigError('linux.mountLabel', selinuxEnabled(probe)
      ? 'selinux mount labels are not supported by ct' : 'selinux label is specified in config, but selinux is disabled or not supported');
  }
  if (optObject(l, 'memoryPolicy', 'linux') !== undefined) throw new ConfigError('linux.memoryPolicy', 'not supported by ct (set_mempolicy)');
  if (optObject(l, 'intelRdt', 'linux') !== undefined) throw new ConfigError('linux.intelRdt', 'Intel RDT is not supported');
}

/** Read the confinement fields of config.json (`o` is its top-level object). */
export function readConfinement(o: JsonObject, probe: LsmProbe = {}): ConfigConfinement {
  const p = optObject(o, 'process', '$');
  const l: JsonObject = optObject(o, 'linux', '$') ?? {};
  const notes: string[] = [];
  refuseUnapplied(l, probe);
  const oom = p?.['oomScoreAdj'];
  return {
    capabilities: readCapabilities(p, notes),
    oomScoreAdj: oom === undefined || oom === null ? undefined : Number(asInteger(oom, 'process.oomScoreAdj', -1000n, 1000n)),
    seccomp: readSeccomp(l),
    resources: readResources(l, notes),
    resourcesExtra: readExtraResources(l),
    cgroupsPath: optString(l, 'cgroupsPath', 'linux'),
    sysctl: readSysctl(l),
    personality: readPersonality(l),
    timeOffsets: readTimeOffsets(l),
    notes,
  };
}
