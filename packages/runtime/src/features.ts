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
  /** The oldest runtime-spec version accepted in config.json (`1.0.0`). */
  readonly ociVersionMin: string;
  /** The newest runtime-spec version accepted (ct's `specVersion`). */
  readonly ociVersionMax: string;
  /** The hook kinds run (`prestart`, `createRuntime`, ...). */
  readonly hooks: readonly string[];
  /** The mount options recognised in `mounts[].options`, sorted. */
  readonly mountOptions: readonly string[];
  /** The Linux-specific features. */
  readonly linux: {
    /** The namespace types `linux.namespaces` may name. */
    readonly namespaces: readonly string[];
    /** The capability names known (`CAP_*`); null in the format would mean unknown. */
    readonly capabilities: readonly string[] | null;
    /** Which cgroup setups are supported. */
    readonly cgroup: {
      /** cgroup v1 hierarchies. */
      readonly v1: boolean;
      /** The cgroup v2 unified hierarchy. */
      readonly v2: boolean;
      /** The systemd cgroup driver (false: ct has none). */
      readonly systemd: boolean;
      /** The systemd user-session driver (false). */
      readonly systemdUser: boolean;
      /** The rdma controller (false). */
      readonly rdma: boolean;
    };
    /** What `linux.seccomp` may use. */
    readonly seccomp: {
      /** Whether seccomp filters are applied at all. */
      readonly enabled: boolean;
      /** The SCMP_ACT_* actions accepted. */
      readonly actions?: readonly string[];
      /** The SCMP_CMP_* comparisons accepted. */
      readonly operators?: readonly string[];
      /** The SCMP_ARCH_* architectures a filter can cover. */
      readonly archs?: readonly string[];
      /** The SECCOMP_FILTER_FLAG_* names recognised. */
      readonly knownFlags?: readonly string[];
      /** The SECCOMP_FILTER_FLAG_* names that take effect. */
      readonly supportedFlags?: readonly string[];
    };
    /** AppArmor profiles (false: not applied). */
    readonly apparmor: {
      /** Whether `process.apparmorProfile` is applied. */
      readonly enabled: boolean;
    };
    /** SELinux labels (false: not applied). */
    readonly selinux: {
      /** Whether `process.selinuxLabel` and `linux.mountLabel` are applied. */
      readonly enabled: boolean;
    };
    /** Intel RDT (false: not supported). */
    readonly intelRdt: {
      /** Whether `linux.intelRdt` is applied. */
      readonly enabled: boolean;
    };
    /** Mount extensions. */
    readonly mountExtensions: {
      /** Id-mapped mounts (`mounts[].uidMappings`). */
      readonly idmap: {
        /** Whether id-mapped mounts are made (false). */
        readonly enabled: boolean;
      };
    };
  };
  /** Implementation-specific facts (`org.ct.runtime: ct`). */
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
