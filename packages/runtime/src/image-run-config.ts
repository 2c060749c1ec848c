/**
 * The config.json of a `ct container run`: the image's runtime config template from the store with the root
 * an overlay of the layer dirs (image-overlay-annotation.ts: the child mounts it inside the container's mount
 * namespace before /proc, /dev and pivot_root; `userxattr` when rootless, as the only overlay a user namespace
 * may make reads `user.overlay.*`), and the run's flags applied: command, entrypoint, env, cwd, hostname, network,
 * limits; /etc/hosts, /etc/resolv.conf and /etc/hostname bound in from files written beside the bundle; and what
 * @ct/oci's applyContainerOptions makes of podman's flags (confinement as podman's by default, --cap-add/--cap-drop,
 * --privileged, --security-opt, --read-only with its tmpfs, --tmpfs, -v with podman's options, -u resolved in the
 * image's /etc/passwd and /etc/group with its HOME).
 * Man pages: mount(2), overlayfs (Documentation/filesystems/overlayfs.rst), hosts(5), resolv.conf(5).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SyscallError } from '@ct/syscalls/errors';
import { applyContainerOptions, volumesToChown, type ContainerOptions } from '@ct/oci/config';
import { parseJson, stringifyJson, type RuntimeSpec } from '@ct/oci/spec';
import { resolveImageUser, resolveUserInRoot, type ExecUser } from '@ct/oci/store';
import { RuntimeError } from './errors.js';
import { cgroupRootFromEnv, cgroupVersionAt } from './container-cgroup.js';
import { isDirectoryInRoots } from './config/root-files.js';
import { OVERLAY_ANNOTATION, overlayAnnotation } from './image-overlay-annotation.js';
import { writeNetworkConfig, type NetworkFlags } from './network/network-config.js';
import { applyUserns, volumeOwnerFor } from './userns-config.js';
import type { UsernsPlan } from './userns-mode.js';

/** `--security-opt seccomp=`: podman's profile (default), none, or a profile file. */
export type SeccompChoice = 'default' | 'unconfined' | {
  /** The profile file's path. */
  readonly file: string;
};

/** One `--ulimit` (podman's): the rlimit's type (RLIMIT_NOFILE) and its soft and hard values (bigint: -1 is 2^64-1). */
export interface Ulimit {
  /** The rlimit's name (RLIMIT_NOFILE). */
  readonly type: string;
  /** Its soft value. */
  readonly soft: bigint;
  /** Its hard value. */
  readonly hard: bigint;
}

/** The flags of `container run` that shape the config. */
export interface ImageRunFlags extends NetworkFlags {
  /** Replaces the image's command (Cmd) when not empty. */
  readonly command?: readonly string[] | undefined;
  /** Replaces the image's entrypoint ('' clears it). */
  readonly entrypoint?: string | undefined;
  /** `KEY=value` (or `KEY`, taken from our environment). */
  readonly env?: readonly string[] | undefined;
  /**
   * `SRC:DST[:OPTIONS]` bind mounts (podman's options); runImage has made volumes of the store (`NAME:DST`, `DST`)
   * binds of their data dirs before (volume-mounts.ts).
   */
  readonly volumes?: readonly string[] | undefined;
  /** Working directory. */
  readonly workdir?: string | undefined;
  /** `USER[:GROUP]`: names or ids, resolved in the image's /etc/passwd and /etc/group. */
  readonly user?: string | undefined;
  /** Hostname (default: the container id). */
  readonly hostname?: string | undefined;
  /** Mount the root read-only. */
  readonly readOnly?: boolean | undefined;
  /** With readOnly: tmpfs on /run, /tmp and /var/tmp (default true, as podman). */
  readonly readOnlyTmpfs?: boolean | undefined;
  /** `DST[:OPTIONS]` tmpfs mounts. */
  readonly tmpfs?: readonly string[] | undefined;
  /** Capabilities added to podman's default set (names, any case, with or without CAP_, or ALL). */
  readonly capAdd?: readonly string[] | undefined;
  /** Capabilities dropped (or ALL). */
  readonly capDrop?: readonly string[] | undefined;
  /** podman's --privileged. */
  readonly privileged?: boolean | undefined;
  /** The seccomp filter (default podman's profile). */
  readonly seccomp?: SeccompChoice | undefined;
  /** Set no_new_privs (default off, as podman). */
  readonly noNewPrivileges?: boolean | undefined;
  /** Memory limit in bytes. */
  readonly memory?: bigint | undefined;
  /** Process count limit. */
  readonly pidsLimit?: bigint | undefined;
  /** CPUs (1.5 = one and a half). */
  readonly cpus?: number | undefined;
  /** Allocate a terminal for the process. */
  readonly tty?: boolean | undefined;
  /** process.rlimits entries set (by type, replacing the template's of that type). */
  readonly ulimits?: readonly Ulimit[] | undefined;
  /** Run ct's init (@ct/namespaces' ct-init) as PID 1: it forks the command, relays signals, reaps orphans. */
  readonly init?: boolean | undefined;
  /** `--userns` (podman's): host (the default map), or keep-id (userns-mode.ts); others are refused. */
  readonly userns?: string | undefined;
}

/** The size to put in process.consoleSize: our terminal's, else 24x80. */
export function terminalSize(): { height: number; width: number } {
  // 0x0 (a pty nobody sized, e.g. script(1) without a terminal) is no size: the default then
  return { height: process.stdout.rows || 24, width: process.stdout.columns || 80 };
}

/** Where `--init` puts ct-init inside the container (bound read-only from the host, as podman's /run/podman-init). */
export const INIT_PATH_IN_CONTAINER = '/run/ct-init';

/** Where the container's root comes from: an overlay of the layer dirs on `merged`, or (copy) `merged` itself. */
export interface RunRoot {
  /** The mount point of the overlay, or the copy of the layers (root.path). */
  readonly merged: string;
  /** The overlay's dirs; undefined when `merged` holds a copy of the layers (image-run-copy.ts). */
  readonly overlay?: {
    /** Layer dirs, top first. */
    readonly lowerDirs: readonly string[];
    readonly upper: string;
    readonly work: string;
  } | undefined;
}

/** What writeImageRunConfig takes besides the flags. */
export interface RunConfigContext {
  readonly bundle: string;
  /** The image's runtime config template (config.json text). */
  readonly template: string;
  readonly root: RunRoot;
  readonly rootless: boolean;
  readonly id: string;
  /**
   * The container's cgroup (linux.cgroupsPath, one directory below ours): unique per container, not `ct-<id>`, so
   * containers of one name under different state roots never share (or freeze) one cgroup.
   */
  readonly cgroupName: string;
  /** The image config's Entrypoint (the template's args are Entrypoint + Cmd). */
  readonly imageEntrypoint: readonly string[];
  /** The image config's Env (a `-u` user's HOME replaces the template's unless the image sets HOME). */
  readonly imageEnv?: readonly string[] | undefined;
  /** The host path of ct-init (needed with flags.init). */
  readonly initPath?: string | undefined;
  readonly warn: (msg: string) => void;
  /** The init pid of a running container of the same state root (`--network container:ID`; none: refused). */
  readonly containerPid?: ((id: string) => number) | undefined;
  /** `--userns` other than host (userns-mode.ts): its id maps, process user and passwd entry. */
  readonly userns?: UsernsPlan | undefined;
}

type Json = Record<string, unknown>;

function overlayAnnotationFor(overlay: NonNullable<RunRoot['overlay']>, rootless: boolean): string {
  const all = [...overlay.lowerDirs, overlay.upper, overlay.work];
  const bad = all.find((p) => /[,:\\]/.test(p));
  if (bad !== undefined) throw new RuntimeError('ECONFIG', `container run: overlay: ${bad}: a store path may not hold ',' ':' or '\\'`);
  return overlayAnnotation({ lowerDirs: overlay.lowerDirs, upperDir: overlay.upper, workDir: overlay.work, userxattr: rootless });
}

function applyEnv(env: string[], entries: readonly string[]): string[] {
  const out = [...env];
  for (const e of entries) {
    const eq = e.indexOf('=');
    const entry = eq >= 0 ? e : process.env[e] !== undefined ? `${e}=${process.env[e]}` : undefined;
    if (entry === undefined) continue;
    const key = entry.slice(0, entry.indexOf('='));
    const at = out.findIndex((x) => x.startsWith(`${key}=`));
    if (at >= 0) out[at] = entry;
    else out.push(entry);
  }
  return out;
}

/** `--entrypoint`: a program, or podman's JSON form (`["sh","-c"]`: the program and its first arguments). */
export function entrypointOf(text: string): string[] {
  if (text === '') return [];
  if (!text.startsWith('[')) return [text];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((a) => typeof a === 'string')) {
    throw new RuntimeError('EUSAGE', `container run: --entrypoint ${text}: expected a program, or a JSON array of strings such as ["sh","-c"]`);
  }
  return parsed as string[];
}

/** The process args from the image's entrypoint and command and the flags (Docker's rules). */
function processArgs(image: readonly string[], imageEntrypoint: readonly string[], flags: ImageRunFlags): string[] {
  const entrypoint = flags.entrypoint === undefined ? imageEntrypoint : entrypointOf(flags.entrypoint);
  const cmd = flags.command !== undefined && flags.command.length > 0 ? flags.command : flags.entrypoint !== undefined ? [] : image.slice(imageEntrypoint.length);
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) throw new RuntimeError('EUSAGE', 'container run: no command: the image has none and none was given');
  return args;
}

/** `-u` resolved in the image: its layer dirs (overlay), or the copy of them. */
function resolveUser(root: RunRoot, user: string): ExecUser {
  return root.overlay !== undefined ? resolveImageUser(root.overlay.lowerDirs, user) : resolveUserInRoot(root.merged, user);
}

/** The seccomp option with a profile file's contents (read here, so its errors name the file). */
function seccompOption(choice: SeccompChoice | undefined): ContainerOptions['seccomp'] {
  if (choice === undefined || typeof choice === 'string') return choice;
  let contents: Buffer;
  try {
    contents = readFileSync(choice.file);
  } catch (err) {
    throw new RuntimeError('EUSAGE', `container run: --security-opt seccomp=${choice.file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err });
  }
  return { file: choice.file, contents };
}

/** A `-v ...:U` source to chown to the container's user before it starts (@ct/oci's chownVolume). */
export interface VolumeChown {
  readonly source: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Write `bundle/config.json` (and the hosts, resolv.conf and hostname files it binds) from the image's template;
 * returns the `U` volumes to chown before the container starts.
 * @throws RuntimeError EUSAGE; CtError OCI_USER_INVALID (-u), OCI_OPTION_INVALID (a flag's value), SpecValidationError
 *   (a seccomp profile).
 */
export function writeImageRunConfig(c: RunConfigContext, flags: ImageRunFlags): VolumeChown[] {
  const { bundle, root, rootless, id, warn } = c;
  const config = parseJson(c.template, 'the image\'s runtime config template') as unknown as Json;
  const proc = (config['process'] ?? {}) as Json;
  const linux = (config['linux'] ?? {}) as Json;
  proc['terminal'] = flags.tty === true;
  if (flags.tty === true) proc['consoleSize'] = terminalSize();
  const args = processArgs((proc['args'] as string[] | undefined) ?? [], c.imageEntrypoint, flags);
  proc['args'] = flags.init === true ? [INIT_PATH_IN_CONTAINER, '--', ...args] : args;
  if (flags.env !== undefined) proc['env'] = applyEnv((proc['env'] as string[] | undefined) ?? [], flags.env);
  if (flags.workdir !== undefined) {
    // podman refuses a -w missing in the image (the runtime, as runc, would make it): the chdir's error and status
    const layers = root.overlay === undefined ? [root.merged] : [root.overlay.upper, ...root.overlay.lowerDirs];
    if (!isDirectoryInRoots(layers, flags.workdir)) throw new SyscallError('chdir', 2 /* ENOENT */, { path: flags.workdir });
    proc['cwd'] = flags.workdir;
  }
  if (flags.ulimits !== undefined && flags.ulimits.length > 0) {
    const set = new Set(flags.ulimits.map((u) => u.type));
    const kept = ((proc['rlimits'] as Json[] | undefined) ?? []).filter((r) => !set.has(String(r['type'])));
    proc['rlimits'] = [...kept, ...flags.ulimits.map((u) => ({ type: u.type, soft: u.soft, hard: u.hard }))] as unknown as Json[];
  }
  const hostname = flags.hostname ?? id.slice(0, 63);
  config['root'] = { path: root.merged, readonly: false };
  const annotations = { ...(config['annotations'] as Record<string, string> | undefined) };
  delete annotations[OVERLAY_ANNOTATION];
  if (root.overlay !== undefined) annotations[OVERLAY_ANNOTATION] = overlayAnnotationFor(root.overlay, rootless);
  config['annotations'] = annotations;
  // the network (network/network-config.ts): /etc/hosts, /etc/hostname, /etc/resolv.conf and the namespaces
  const net = writeNetworkConfig({ bundle, id, hostname, rootless, annotations, containerPid: c.containerPid ?? noContainers, warn }, flags);
  config['hostname'] = net.hostname;
  // sysfs needs a net namespace the user namespace owns: rootless on the host's network, /sys is the host's, bound
  // read-only (as podman does)
  const sysBind = (m: Json): Json => (rootless && net.mode.kind === 'host' && m['destination'] === '/sys' && m['type'] === 'sysfs'
    ? { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] } : m);
  const mounts = ((config['mounts'] as Json[] | undefined) ?? []).map(sysBind);
  config['mounts'] = [...mounts, ...net.mounts, ...initMount(c, flags)];
  // rootless on cgroup v1 no cgroup can be made: no cgroupsPath and no limits (the runtime would refuse them), as
  // podman gives the runtime none there, with podman's warning for the limits
  const noCgroup = rootless && cgroupVersionAt(cgroupRootFromEnv()) === 'v1';
  if (!noCgroup) linux['cgroupsPath'] = c.cgroupName;
  linux['namespaces'] = net.namespaces((linux['namespaces'] as Json[] | undefined) ?? []);
  if (net.dropIdMappings) {
    delete linux['uidMappings'];
    delete linux['gidMappings'];
  }
  const resources: Json = {};
  if (flags.memory !== undefined) resources['memory'] = { limit: Number(flags.memory) };
  if (flags.pidsLimit !== undefined) resources['pids'] = { limit: Number(flags.pidsLimit) };
  if (flags.cpus !== undefined) resources['cpu'] = { quota: Math.round(flags.cpus * 100000), period: 100000 };
  if (Object.keys(resources).length > 0) {
    // podman 4.3's words (--memory, --pids-limit, --cpus... as an unprivileged user on cgroup v1)
    if (noCgroup) warn('Resource limits are not supported and ignored on cgroups V1 rootless systems');
    else linux['resources'] = resources;
  }
  config['linux'] = linux;
  config['process'] = proc;
  const user = flags.user === undefined ? undefined : resolveUser(root, flags.user);
  const options: ContainerOptions = {
    capAdd: flags.capAdd, capDrop: flags.capDrop, privileged: flags.privileged, seccomp: seccompOption(flags.seccomp),
    noNewPrivileges: flags.noNewPrivileges, readOnly: flags.readOnly, readOnlyTmpfs: flags.readOnlyTmpfs, tmpfs: flags.tmpfs,
    volumes: flags.volumes, user, imageEnv: c.imageEnv, rootlessDevices: rootless,
  };
  const applied = applyContainerOptions(config as unknown as RuntimeSpec, options);
  if (c.userns !== undefined) {
    applyUserns(applied as unknown as Json, {
      plan: c.userns, bundle, layers: root.overlay === undefined ? [root.merged] : root.overlay.lowerDirs,
      userGiven: flags.user !== undefined, env: [...(c.imageEnv ?? []), ...(flags.env ?? [])],
    });
  }
  writeFileSync(join(bundle, 'config.json'), stringifyJson(applied, 2));
  const owner = applied.process?.user ?? { uid: 0, gid: 0 };
  // chownVolume chowns in a namespace with the default map: a --userns mode's ids are given as that map's
  const ids = volumeOwnerFor(c.userns, owner.uid, owner.gid);
  return volumesToChown(options).map((source) => ({ source, uid: ids.uid, gid: ids.gid }));
}

/** The containerPid of a context without containers to join. */
function noContainers(other: string): number {
  throw new RuntimeError('EUSAGE', `container run: --network container:${other}: no container to join here`);
}

/** The read-only bind of ct-init for --init (executable: no noexec). */
function initMount(c: RunConfigContext, flags: ImageRunFlags): Json[] {
  if (flags.init !== true) return [];
  if (c.initPath === undefined) throw new TypeError('writeImageRunConfig: --init without the init program\'s path');
  return [{ destination: INIT_PATH_IN_CONTAINER, type: 'bind', source: c.initPath, options: ['bind', 'ro', 'nosuid', 'nodev'] }];
}
