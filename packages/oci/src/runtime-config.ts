/**
 * The runtime config.json of a bundle from an image config, as umoci's unpack makes it (oci/config/convert and
 * runtime-tools' default spec): Entrypoint + Cmd as args, the image Env merged over the defaults (replacing in
 * place), HOME from the user's passwd entry when unset, WorkingDir as cwd, User resolved in the rootfs, Labels as
 * annotations plus the org.opencontainers.image.* ones, StopSignal as the stopSignal annotation. The confinement is
 * podman's (container/container-options.ts: its 11 capabilities, its seccomp profile, masked and read-only paths,
 * no_new_privs off) and its mount options for /proc and /dev; the options add what `podman run` flags do.
 * See image-spec conversion.md and runtime-spec config.md.
 */
import { applyContainerOptions, type ContainerOptions } from './container/container-options.js';
import type { ImageConfig } from './spec/image-spec.js';
import type { RuntimeMount, RuntimeSpec } from './spec/runtime-spec.js';
import type { ExecUser } from './passwd.js';

/** One line of a runtime-spec uid/gid mapping. */
export interface IdMapping {
  /** First id inside the container. */
  readonly containerID: number;
  /** First id on the host it maps to. */
  readonly hostID: number;
  /** How many consecutive ids the line maps. */
  readonly size: number;
}

const DEFAULT_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'];

// podman's options for /proc and /dev (noexec on both)
const MOUNTS: readonly RuntimeMount[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'noexec', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
];

/**
 * Options of {@link buildRuntimeConfig}: the container's (see {@link ContainerOptions}: capabilities, seccomp,
 * privileged, no-new-privileges, read-only root, tmpfs and bind mounts, user) and the bundle's own.
 */
export interface RuntimeConfigOptions extends Omit<ContainerOptions, 'rootlessDevices'> {
  /**
   * For an unprivileged caller: a user namespace mapping root to the caller (or the given maps, e.g. the caller
   * plus its subuid range the rootfs was unpacked with), no cgroup mount, no gid=5 on devpts.
   */
  readonly rootless?: {
    /** The caller's uid: container root maps to it when `uidMappings` is absent. */
    readonly uid: number;
    /** The caller's gid: container root's group maps to it when `gidMappings` is absent. */
    readonly gid: number;
    /** The uid map to write instead (default: one line, 0 to `uid`, size 1). */
    readonly uidMappings?: readonly IdMapping[];
    /** The gid map to write instead (default: one line, 0 to `gid`, size 1). */
    readonly gidMappings?: readonly IdMapping[];
  };
  /** Hostname (default "ct"). */
  readonly hostname?: string;
}

/** Merge `KEY=value` entries over `base`: an existing key is replaced in place, a new one appended. */
export function mergeEnv(base: readonly string[], extra: readonly string[]): string[] {
  const out = [...base];
  for (const e of extra) {
    const key = e.includes('=') ? e.slice(0, e.indexOf('=')) : e;
    const i = out.findIndex((x) => (x.includes('=') ? x.slice(0, x.indexOf('=')) : x) === key);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

/**
 * Build the runtime spec for `image` with the resolved `user` (umoci's resolution for an unpacked bundle;
 * `options.user` overrides it with podman's, see resolveImageUser).
 * @throws CtError OCI_OPTION_INVALID, SpecValidationError: see applyContainerOptions.
 */
export function buildRuntimeConfig(image: ImageConfig, user: ExecUser, options: RuntimeConfigOptions = {}): RuntimeSpec {
  const c = image.config ?? {};
  let env = mergeEnv(DEFAULT_ENV, c.Env ?? []);
  if (!env.some((e) => e.startsWith('HOME='))) env = [...env, `HOME=${user.home}`];
  const args = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
  const annotations: Record<string, string> = { ...(c.Labels ?? {}) };
  annotations['org.opencontainers.image.architecture'] = image.architecture;
  annotations['org.opencontainers.image.os'] = image.os;
  if (image.author !== undefined) annotations['org.opencontainers.image.author'] = image.author;
  if (image.created !== undefined) annotations['org.opencontainers.image.created'] = image.created;
  if (c.ExposedPorts !== undefined) annotations['org.opencontainers.image.exposedPorts'] = Object.keys(c.ExposedPorts).sort().join(',');
  if (c.StopSignal !== undefined) annotations['org.opencontainers.image.stopSignal'] = c.StopSignal;
  const rootless = options.rootless;
  const mounts = MOUNTS
    .filter((m) => rootless === undefined || m.type !== 'cgroup')
    .map((m) => (rootless !== undefined && m.type === 'devpts' ? { ...m, options: m.options!.filter((o) => o !== 'gid=5') } : m));
  const namespaces = ['pid', 'network', 'ipc', 'uts', 'mount', ...(rootless !== undefined ? ['user'] : [])].map((type) => ({ type }));
  const { rootless: _r, hostname: _h, ...container } = options;
  return applyContainerOptions({
    ociVersion: '1.0.2',
    process: {
      terminal: true,
      user: { uid: user.uid, gid: user.gid, ...(user.additionalGids.length > 0 ? { additionalGids: user.additionalGids } : {}) },
      args: args.length > 0 ? args : ['sh'],
      env,
      cwd: c.WorkingDir !== undefined && c.WorkingDir !== '' ? (c.WorkingDir.startsWith('/') ? c.WorkingDir : `/${c.WorkingDir}`) : '/',
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024n, soft: 1024n }],
    },
    root: { path: 'rootfs' },
    hostname: options.hostname ?? 'ct',
    mounts,
    annotations,
    linux: {
      namespaces,
      ...(rootless !== undefined ? {
        uidMappings: [...(rootless.uidMappings ?? [{ containerID: 0, hostID: rootless.uid, size: 1 }])],
        gidMappings: [...(rootless.gidMappings ?? [{ containerID: 0, hostID: rootless.gid, size: 1 }])],
      } : {}),
    },
  }, { ...container, imageEnv: c.Env ?? [], ...(rootless !== undefined ? { rootlessDevices: true } : {}) });
}
