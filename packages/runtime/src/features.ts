/**
 * `features`: the runtime-spec features document (features.md), honest about what ct does today. `null` means
 * unknown, an empty list means none; things ct does not do yet are `enabled: false`, not omitted.
 */
import { supportedMountOptions } from './config/mount-options.js';
import { specVersion } from './oci-version.js';

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
    readonly seccomp: { readonly enabled: boolean };
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
    hooks: [],
    mountOptions: [...supportedMountOptions].sort(),
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts'],
      capabilities: null,
      cgroup: { v1: false, v2: false, systemd: false, systemdUser: false, rdma: false },
      seccomp: { enabled: false },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: { 'org.ct.runtime': 'ct' },
  };
}
