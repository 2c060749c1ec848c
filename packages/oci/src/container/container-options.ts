/**
 * The confinement and mounts of a container as `podman run` sets them, applied to a runtime config: capabilities
 * (capabilities.ts), the seccomp profile reduced for them (seccomp-profile.ts), masked and read-only paths,
 * no_new_privs, the read-only root with its tmpfs mounts, `--tmpfs` and `-v` (mount-options.ts), `--privileged`
 * (every capability of the bounding set, no seccomp filter, no masked or read-only paths, /sys and cgroups
 * writable, the host's devices: host-devices.ts), the process user with its HOME, and the kernel's limit on each
 * argument and environment string. Defaults are podman 4.3's (compared field by field with the config.json
 * `podman create` writes in test/integration/podman-defaults.test.ts).
 * Man pages: capabilities(7), seccomp(2), prctl(2) (PR_SET_NO_NEW_PRIVS), execve(2) (MAX_ARG_STRLEN).
 */
import { CtError } from '../internal/ct-error.js';
import type { ExecUser } from '../passwd.js';
import type { RuntimeMount, RuntimeProcess, RuntimeSpec } from '../spec/runtime-spec.js';
import type { RuntimeSeccomp } from '../spec/runtime-seccomp.js';
import { containerCapabilities } from './capabilities.js';
import { hostDeviceBinds, hostDevices } from './host-devices.js';
import { parseTmpfs, parseVolume, readOnlyTmpfsMounts } from './mount-options.js';
import { defaultSeccompProfile, parseSeccompProfile, seccompForContainer } from './seccomp-profile.js';

/** podman 4.3's masked paths (containers/common pkg/config, DefaultMaskedPaths; the same rootless). */
export const PODMAN_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/fs/selinux', '/sys/dev/block',
]);
/** podman 4.3's read-only paths. */
export const PODMAN_READONLY_PATHS: readonly string[] = Object.freeze([
  '/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
]);

/**
 * The kernel's limit on one argument or environment string, its terminating NUL included (MAX_ARG_STRLEN,
 * 32 pages of 4 KiB): execve(2) fails with E2BIG past it.
 */
export const MAX_ARG_STRLEN = 32 * 4096;

/** `--security-opt seccomp=...`: podman's default profile, none, or a profile file's contents. */
export type SeccompOption = 'default' | 'unconfined' | {
  /** The profile file's path, used in error messages (the file is not read again). */
  readonly file: string;
  /** The profile's JSON text. */
  readonly contents: string | Uint8Array;
};

/** What `ct container run` (and `image unpack`'s config.json) can ask of a container, with podman's defaults. */
export interface ContainerOptions {
  /** `--cap-add`: capability names with or without `CAP_`, any case, or `ALL`. */
  readonly capAdd?: readonly string[] | undefined;
  /** `--cap-drop`: names or `ALL` (then only capAdd's are kept). A name both added and dropped is an error. */
  readonly capDrop?: readonly string[] | undefined;
  /**
   * `--privileged` (podman's meaning): every capability of this process's bounding set, no seccomp filter (unless
   * `seccomp` names a file), no masked or read-only paths, /sys and the cgroup mount writable, and the host's
   * devices (device nodes as root; bind mounts of them when rootless). capDrop still applies (podman 4.3 ignores
   * it under --privileged; docker and later podman honour it).
   */
  readonly privileged?: boolean | undefined;
  /** `--security-opt seccomp=`: 'default' (podman's profile for the container's capabilities), 'unconfined', or a file. */
  readonly seccomp?: SeccompOption | undefined;
  /** `--security-opt no-new-privileges` (default false, as podman: setuid programs such as su work). */
  readonly noNewPrivileges?: boolean | undefined;
  /** `--read-only`: the root is mounted read-only. */
  readonly readOnly?: boolean | undefined;
  /** `--read-only-tmpfs` (default true): with readOnly, tmpfs on /run, /tmp and /var/tmp. */
  readonly readOnlyTmpfs?: boolean | undefined;
  /** `--tmpfs DST[:OPTIONS]` mounts (podman's options and `size=`, `mode=`). */
  readonly tmpfs?: readonly string[] | undefined;
  /**
   * `-v SRC:DST[:OPTIONS]` bind mounts (podman's options: ro, rw, z, Z (ignored: no SELinux), nosuid, suid, nodev,
   * dev, noexec, exec, bind, rbind, the propagation modes, idmap, U; O is refused). Relative sources resolve from
   * the working directory. A `U` volume must be chowned before the run: see {@link volumesToChown} and chownVolume.
   */
  readonly volumes?: readonly string[] | undefined;
  /**
   * The process user (resolveImageUser / resolveUserInRoot of @ct/oci/store): sets process.user and HOME (the
   * user's home, unless `imageEnv` sets HOME, as podman).
   */
  readonly user?: ExecUser | undefined;
  /** The image config's Env (only its HOME is looked at, with `user`). */
  readonly imageEnv?: readonly string[] | undefined;
  /** Set for an unprivileged caller (privileged binds the host's devices instead of making nodes). */
  readonly rootlessDevices?: boolean | undefined;
  /** Tests: the bounding set `privileged` and `ALL` stand for (default: this process's). */
  readonly hostBounding?: readonly string[] | undefined;
}

/**
 * Check every argument and environment string against MAX_ARG_STRLEN (execve(2) would fail with E2BIG).
 * @throws CtError OCI_OPTION_INVALID naming the variable (or argument) and the limit.
 */
export function checkArgStrings(proc: Pick<RuntimeProcess, 'args' | 'env'>): void {
  const check = (s: string, what: () => string): void => {
    const bytes = Buffer.byteLength(s) + 1;
    if (bytes > MAX_ARG_STRLEN) throw new CtError('OCI_OPTION_INVALID', `${what()}: ${bytes - 1} bytes exceeds the kernel's limit of ${MAX_ARG_STRLEN - 1} bytes per string (MAX_ARG_STRLEN)`);
  };
  for (const e of proc.env ?? []) check(e, () => `environment variable ${e.slice(0, Math.max(0, e.indexOf('=')))}`);
  for (const [i, a] of (proc.args ?? []).entries()) check(a, () => `argument ${i}`);
}

/** Mounts in order, a later one replacing an earlier one at the same destination (a -v over /dev/shm, say). */
function withMounts(base: readonly RuntimeMount[], extra: readonly RuntimeMount[]): RuntimeMount[] {
  const dests = new Set(extra.map((m) => m.destination));
  const out = base.filter((m) => !dests.has(m.destination));
  for (const m of extra) {
    const at = out.findIndex((o) => o.destination === m.destination);
    if (at >= 0) out.splice(at, 1);
    out.push(m);
  }
  return out;
}

function seccompOf(o: ContainerOptions, bounding: readonly string[]): RuntimeSeccomp | undefined {
  const choice = o.seccomp ?? 'default';
  if (choice === 'unconfined' || (choice === 'default' && o.privileged === true)) return undefined;
  const profile = choice === 'default' ? defaultSeccompProfile() : parseSeccompProfile(choice.contents, choice.file);
  return seccompForContainer(profile, bounding);
}

/** The -v entries marked `U`: their sources are to be chowned to the container user before it starts. */
export function volumesToChown(o: Pick<ContainerOptions, 'volumes'>): string[] {
  return (o.volumes ?? []).map((v) => parseVolume(v)).filter((v) => v.chown).map((v) => v.mount.source!);
}

/**
 * `spec` with `options` applied (a new object; fields it does not set are kept). Call it after process.args and
 * process.env are final: it checks their lengths. Use stringifyJson (of `@ct/oci/spec`) to write the result: a
 * profile file's values past 2^53 are bigints.
 * @throws CtError OCI_OPTION_INVALID (a bad capability, volume, tmpfs or over-long string, naming it),
 *   SpecValidationError naming the seccomp file and the JSON path of a bad field.
 */
export function applyContainerOptions<T extends RuntimeSpec>(spec: T, options: ContainerOptions = {}): T {
  const proc = spec.process ?? { user: { uid: 0, gid: 0 }, cwd: '/' };
  const user = options.user !== undefined
    ? { uid: options.user.uid, gid: options.user.gid, ...(options.user.additionalGids.length > 0 ? { additionalGids: options.user.additionalGids } : {}) }
    : proc.user;
  let env = proc.env;
  if (options.user !== undefined && !(options.imageEnv ?? []).some((e) => e.startsWith('HOME='))) {
    env = [...(env ?? []).filter((e) => !e.startsWith('HOME=')), `HOME=${options.user.home}`];
  }
  const privileged = options.privileged === true;
  const capabilities = containerCapabilities({ capAdd: options.capAdd, capDrop: options.capDrop, privileged, uid: user.uid, hostBounding: options.hostBounding });
  const seccomp = seccompOf(options, capabilities.bounding ?? []);
  const { seccomp: _old, maskedPaths: _m, readonlyPaths: _r, ...linux } = spec.linux ?? {};
  let mounts = (spec.mounts ?? []).map((m) => (privileged && (m.type === 'sysfs' || m.type === 'cgroup')
    ? { ...m, options: (m.options ?? []).map((x) => (x === 'ro' ? 'rw' : x)) } : m));
  const devices = privileged ? hostDevices() : [];
  if (privileged && options.rootlessDevices === true) mounts = withMounts(mounts, hostDeviceBinds(devices));
  const readOnly = options.readOnly === true;
  const extra = [
    ...(readOnly && options.readOnlyTmpfs !== false ? readOnlyTmpfsMounts() : []),
    ...(options.tmpfs ?? []).map(parseTmpfs),
    ...(options.volumes ?? []).map((v) => parseVolume(v).mount),
  ];
  const process: RuntimeProcess = { ...proc, user, ...(env !== undefined ? { env } : {}), capabilities, noNewPrivileges: options.noNewPrivileges === true };
  checkArgStrings(process);
  return {
    ...spec,
    process,
    ...(readOnly ? { root: { ...(spec.root ?? { path: 'rootfs' }), readonly: true } } : {}),
    mounts: withMounts(mounts, extra),
    linux: {
      ...linux,
      ...(privileged && options.rootlessDevices !== true ? { devices, resources: { ...linux.resources, devices: [{ allow: true, access: 'rwm' }] } } : {}),
      ...(seccomp !== undefined ? { seccomp } : {}),
      ...(privileged ? {} : { maskedPaths: [...PODMAN_MASKED_PATHS], readonlyPaths: [...PODMAN_READONLY_PATHS] }),
    },
  };
}
