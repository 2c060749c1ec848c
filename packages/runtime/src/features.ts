/**
 * `features`: the runtime-spec features document (features.md), honest about what ct does today. `null` means
 * unknown, an empty list means none; things ct does not do yet are `enabled: false`, not omitted.
 */
import { supportedMountOptions } from './config/mount-options.js';
import { specVersion } from './oci-version.js';
import { HOOK_KINDS } from './hooks.js';
import { CAPABILITY_NAMES } from '@ct/namespaces/engine';

/** The features document (the fields ct fills). */
export interface FeaturesDocument {
  readonly ociVersionMin: string;
  readonly ociVersionMax: string;
  readonly hooks: readonly string[];
  readonly mountOptions: readonly string[];
  readonly linux: {
    readonly namespaces: readonly string[];
    readonly capabilities: readonly string[] | null;
    readonly cgroup: { readonly v1: boolean; readonly v2: boolean; readonly systemd: boolean; readonly systemdUser: boolean; readonly rdma: boolean };
    readonly seccomp: {
      readonly enabled: boolean;
      readonly actions?: readonly string[];
      readonly operators?: readonly string[];
      readonly archs?: readonly string[];
      readonly knownFlags?: readonly string[];
      readonly supportedFlags?: readonly string[];
    };
    readonly apparmor: { readonly enabled: boolean };
    readonly selinux: { readonly enabled: boolean };
    readonly intelRdt: { readonly enabled: boolean };
    readonly mountExtensions: { readonly idmap: { readonly enabled: boolean } };
  };
  readonly annotations: Readonly<Record<string, string>>;
}

/** The features document of this build. */
export function featuresDocument(): FeaturesDocument {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: specVersion,
    hooks: [...HOOK_KINDS],
    mountOptions: [...supportedMountOptions].sort(),
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'],
      capabilities: [...CAPABILITY_NAMES],
      // resources, freezer (pause), update, stats, OOM counts: v1 for real as root; v2 (a delegated subtree) tested
      // against a fake cgroupfs (CT_CGROUP_ROOT) on this v1 machine. No systemd driver.
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
      seccomp: {
        enabled: true,
        actions: ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP'],
        operators: ['SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE'],
        archs: ['SCMP_ARCH_X32', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64'],
        knownFlags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
        supportedFlags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: { 'org.ct.runtime': 'ct' },
  };
}
