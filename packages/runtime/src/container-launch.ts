/**
 * Launching a container's init from a checked config: config.json → ContainerSpec (to-container-spec.ts) →
 * @ct/namespaces' child plan, whose last step execs ct-exec-fifo (native/exec-fifo.c) instead of the user
 * program: from a descriptor the parent opened (`preopen`, so it need not be inside the root), with an O_PATH
 * descriptor of the exec FIFO. That program blocks until `ct start` opens the FIFO, then execs the user program.
 * So the child has exec'd (and told its parent so) while `ct create` is still alive, and the process that waits is
 * a tiny static program, never the forked Node image (STYLE.md; runc's "runc init" does the same job).
 *
 * The child's pauses are driven here rather than through `runContainer`, which cannot yet deny setgroups when
 * an outer user namespace denied it (NEEDS.md).
 *
 * Man pages: fifo(7), open(2) (O_PATH), execveat(2), user_namespaces(7).
 */
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join, posix, resolve } from 'node:path';
import * as syscalls from '@ct/syscalls';
import type { ChildHandle, SpawnPlan, Step } from '@ct/syscalls';
import {
  buildChildPlan, clampRlimits, describeChildFailure, readRlimitHost, HOST_DEVICES, installSignalRelay, isNewNamespace, planIdMaps, readSubordinateIds,
  withDefaults, writeIdMaps, CGROUP_WAIT_LABEL, createContainerCgroup, NODE_CGROUP_FS, WAIT_LABELS,
  type CgroupSpec, type ContainerCgroup, type ResolvedContainerSpec,
} from '@ct/namespaces/engine';
import type { BundleConfig } from './config/bundle-config.js';
import { cgroupMountParts, isCgroupMount } from './config/cgroup-mount.js';
import { toContainerSpec } from './config/to-container-spec.js';
import { applyExtraResources, cgroupFsFor } from './container-cgroup.js';
import { ConfigError, RuntimeError, systemError } from './errors.js';
import { execFifoProgram } from './exec-fifo-program.js';
import { userName } from './owner.js';

/** How to launch the init. */
export interface LaunchOptions {
  /** The exec FIFO the init blocks on before exec (returns when `start` opens it). */
  readonly execFifo: string;
  /** Extra fds passed at 3, 4, ... (--preserve-fds plus LISTEN_FDS). */
  readonly extraFds: number;
  /** NAME=VALUE entries added to the process environment (LISTEN_FDS, LISTEN_PID). */
  readonly extraEnv: readonly string[];
  /** Rootless: ct makes the user namespace (newuidmap for ranges). */
  readonly rootless: boolean;
  /** Relay the caller's signals to the init (`run` in the foreground). */
  readonly relaySignals: boolean;
  /** Warnings (unsupported fields) go here. */
  readonly warn: (message: string) => void;
  /** The container id (names its cgroup when config.json gives no cgroupsPath). */
  readonly id: string;
  /** Called at a pause before pivot_root with the init's pid (createRuntime/prestart hooks); none: no pause. */
  readonly beforePivotRoot?: ((pid: number) => Promise<void>) | undefined;
  /** process.terminal: the socket that receives the pty master (runc's --console-socket). */
  readonly consoleSocket?: string | undefined;
  /** The cgroupfs root (container-cgroup.ts: /sys/fs/cgroup, or CT_CGROUP_ROOT in tests). */
  readonly cgroupRoot: string;
  /** --no-new-keyring: keep the caller's session keyring instead of joining `_ses.<id>`. */
  readonly noNewKeyring: boolean;
}

/** The launched init. */
export interface LaunchedInit {
  /** Host pid. */
  readonly pid: number;
  /** Resolves with the shell-style exit status (code, or 128 + signal) when the init exits. */
  wait(): Promise<number>;
  /** Signal the init (through its pidfd). */
  kill(signal: number): void;
  /** The container's cgroup (none when rootless without linux.resources, or refused); see container-cgroup.ts. */
  readonly cgroup: { readonly version: 'v1' | 'v2'; readonly paths: readonly string[]; readonly parents: readonly string[] } | undefined;
}

/**
 * Where the container's cgroup goes, from linux.cgroupsPath, as runc's cgroupfs driver (libcontainer/cgroups/fs
 * paths.go) places it: an absolute path (`/default/c1`, containerd's) nested from each hierarchy's root, a relative
 * one (`a/b`) nested below our own cgroup, both cleaned lexically as runc does (`..` cannot climb above the start);
 * none: `ct-<id>` below our own cgroup. systemd's `slice:prefix:name` form (ct has no systemd driver; runc's cgroupfs
 * driver would take the string as one relative directory name) becomes `prefix-name` below our own cgroup. A path
 * that cleans to nothing (`/`, `/..`) would be the root cgroup itself: a ConfigError naming linux.cgroupsPath.
 */
export function cgroupPlacement(cgroupsPath: string | undefined, id: string): { readonly name: string } | { readonly path: string } {
  if (cgroupsPath === undefined || cgroupsPath === '') return { name: `ct-${id}` };
  if (cgroupsPath.includes(':')) {
    const name = cgroupsPath.split(':').slice(1).filter((p) => p !== '' && p !== '.' && p !== '..' && !p.includes('/')).join('-');
    return { name: name === '' ? `ct-${id}` : name };
  }
  const cleaned = posix.normalize(`/${cgroupsPath}`).replace(/\/+$/, '');
  if (cleaned === '') throw new ConfigError('linux.cgroupsPath', `names the root cgroup, not one below it: ${JSON.stringify(cgroupsPath)}`);
  return { path: cgroupsPath.startsWith('/') ? cleaned : cleaned.slice(1) };
}

/** runc's session keyring name for a container (made by the init, joined by exec'd processes). */
export function sessionKeyringName(id: string): string {
  return `_ses.${id}`;
}

/**
 * The runtime-spec's default devices that the plan binds from the host (ptmx comes from devpts). Guix also binds
 * /dev/fuse; an OCI container gets it only when config.json lists it in linux.devices.
 */
const ociDefaultDevices: ReadonlySet<string> = new Set(['null', 'zero', 'full', 'random', 'urandom', 'tty']);

/** O_PATH: an fd that names the FIFO without opening it for I/O (so it counts as neither reader nor writer). */
const O_PATH = 0o10000000;

type Spawn = (plan: SpawnPlan) => ChildHandle | Promise<ChildHandle>;

function engine(): Spawn {
  const spawn = (syscalls as unknown as { spawn?: Spawn }).spawn;
  if (typeof spawn !== 'function') throw new RuntimeError('ESETUP', 'create: spawn: not provided by the installed @ct/syscalls');
  return spawn;
}

function onPath(name: string): boolean {
  return (process.env['PATH'] ?? '/usr/bin:/bin').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function idMapsFor(s: ResolvedContainerSpec): ReturnType<typeof planIdMaps> | undefined {
  if (!isNewNamespace(s, 'user')) return undefined;
  const euid = process.geteuid?.() ?? 0;
  const egid = process.getegid?.() ?? 0;
  const wantRanges = euid !== 0 && s.useSubordinateIds;
  const user = wantRanges ? userName(euid) : undefined;
  const plan = planIdMaps(s, {
    euid, egid,
    subuid: wantRanges ? readSubordinateIds('/etc/subuid', user, euid) : [],
    subgid: wantRanges ? readSubordinateIds('/etc/subgid', user, euid) : [],
    newidmapAvailable: onPath('newuidmap') && onPath('newgidmap'),
  });
  // euid 0 in a user namespace whose creator denied setgroups (unshare --map-root-user, rootless engines): the
  // nested namespace inherits the denial, so the plan must not call setgroups (TODO(NEEDS.md): in planIdMaps).
  return setgroupsDenied() ? { ...plan, denySetgroups: true } : plan;
}

function setgroupsDenied(): boolean {
  try {
    return readFileSync('/proc/self/setgroups', 'utf8').trim() === 'deny';
  } catch {
    return false;
  }
}

/**
 * The plan's finishing touches: the exec step replaced by ct-exec-fifo on the FIFO descriptor (which then execs the
 * user program), and process.user.additionalGids given to the guest's setgroups (the last one in the plan; there is
 * none when setgroups is denied, as with a one-id rootless map).
 */
function finishPlan(plan: SpawnPlan, fifoFd: number, fifoTo: number, additionalGids: readonly number[], consoleStep: Step | undefined): SpawnPlan {
  const lastSetgroups = plan.steps.map((step) => step.op).lastIndexOf('setgroups');
  // the pty: made from the container's /dev/ptmx after pivot_root, before the ids, capabilities and seccomp change
  const lastChdir = plan.steps.map((step) => step.op).lastIndexOf('chdir');
  const withConsole = consoleStep === undefined ? plan.steps : [...plan.steps.slice(0, lastChdir), consoleStep, ...plan.steps.slice(lastChdir)];
  const shift = consoleStep !== undefined && lastSetgroups >= lastChdir ? 1 : 0;
  const steps = withConsole.map((step, i): Step => {
    if (i === lastSetgroups + shift && additionalGids.length > 0 && step.op === 'setgroups') return { op: 'setgroups', gids: additionalGids };
    if (step.op !== 'exec') return step;
    const argv = ['ct-exec-fifo', String(fifoTo), '--', ...step.argv];
    return { op: 'exec', path: execFifoProgram(), argv, env: step.env, search: false, preopen: true };
  });
  return { ...plan, steps, fds: [...(plan.fds ?? []), { from: fifoFd, to: fifoTo }] };
}

/**
 * The container's cgroup; one made only for runc's sake (no linux.resources: for pause, update, stats) is not worth
 * failing the container for (a read-only cgroupfs, a missing hierarchy): a warning, and no cgroup.
 */
function makeCgroup(spec: CgroupSpec, euid: number, root: string, limits: boolean, warn: (message: string) => void): ContainerCgroup | undefined {
  try {
    const fs = cgroupFsFor(root, NODE_CGROUP_FS);
    return createContainerCgroup(spec, euid, warn, { cgroupRoot: root, ...(fs === undefined ? {} : { cgroupFs: fs }) });
  } catch (err) {
    if (limits) throw err;
    warn(`cgroup: none for the container (pause, update and stats will refuse): ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/**
 * config.json's cgroup mounts (tmpfs placeholders from toContainerSpec) filled with the container's cgroup: binds of
 * its directories right after each placeholder, symlinks for combined v1 hierarchies in populate (cgroup-mount.ts).
 */
function withCgroupMounts(
  s: ResolvedContainerSpec, config: BundleConfig, cgroup: ContainerCgroup | undefined, root: string, warn: (message: string) => void,
): ResolvedContainerSpec {
  const cgMounts = config.mounts.filter(isCgroupMount);
  if (cgMounts.length === 0) return s;
  if (cgroup === undefined) {
    warn(`mount ${cgMounts.map((m) => m.destination).join(', ')}: the container has no cgroup, left an empty tmpfs`);
    return s;
  }
  let mounts = [...s.mounts];
  const symlinks: Step[] = [];
  // each cgroup mount's own placeholder, in order (a config may list the same destination twice: the last one wins)
  let from = 0;
  for (const m of cgMounts) {
    const parts = cgroupMountParts(m, cgroup, root);
    const at = mounts.findIndex((x, i) => i >= from && x.type === 'tmpfs' && x.target === m.destination);
    if (at < 0) continue;
    mounts = [...mounts.slice(0, at + 1), ...parts.binds, ...mounts.slice(at + 1)];
    from = at + 1 + parts.binds.length;
    symlinks.push(...parts.symlinks);
  }
  return { ...s, mounts, populate: [...symlinks, ...s.populate] };
}

/** Launch the init of `config`; resolves when it is set up and waits on the exec FIFO. */
export async function launchInit(config: BundleConfig, options: LaunchOptions): Promise<LaunchedInit> {
  const withEnv: BundleConfig = config.process === undefined || options.extraEnv.length === 0
    ? config : { ...config, process: { ...config.process, env: [...config.process.env, ...options.extraEnv] } };
  const spec = toContainerSpec(withEnv, {
    rootless: options.rootless, euid: process.geteuid?.() ?? 0, extraFds: options.extraFds,
    relaySignals: options.relaySignals, warn: options.warn, sessionKeyring: options.noNewKeyring ? false : sessionKeyringName(options.id),
  });
  const resources = config.confinement.resources;
  // the container's cgroup: always as real root (in every v1 hierarchy with the freezer, as runc, so update and pause
  // work whatever linux.resources held), rootless only for linux.resources; the plan pauses for its placement
  const euid = process.geteuid?.() ?? 0;
  const root = options.cgroupRoot;
  const extra = config.confinement.resourcesExtra;
  const want = resources !== undefined || extra !== undefined || !options.rootless;
  const s = withDefaults(!want ? spec : {
    ...spec,
    cgroup: {
      ...cgroupPlacement(config.confinement.cgroupsPath, options.id), resources: resources ?? {},
      freezer: !options.rootless && existsSync(join(root, 'freezer', 'cgroup.procs')), allControllers: !options.rootless,
    },
  });
  // made before the clone so a refused limit fails early; undefined (after a warning) when an unprivileged caller may
  // not. Rootless as euid 0 (inside an engine's user namespace) counts as unprivileged here: a refusal is not fatal.
  const cgroupEuid = options.rootless && euid === 0 ? 65534 : euid;
  const cgroup = s.confinement.cgroup === undefined ? undefined : makeCgroup(s.confinement.cgroup, cgroupEuid, root, resources !== undefined || extra !== undefined, options.warn);
  if (cgroup !== undefined && extra !== undefined) {
    try {
      await applyExtraResources(cgroup, extra, 'create');
    } catch (err) {
      await cgroup.remove().catch(() => undefined);
      throw err;
    }
  }
  // from here on a failure (a missing bind source while the plan is built, ...) must not leave the cgroup behind
  const prepare = () => {
    const idMaps = idMapsFor(s);
    const planned = withCgroupMounts(s, config, cgroup, root, options.warn);
    const sourceIsDirectory = (source: string): boolean => {
      try {
        return statSync(source).isDirectory();
      } catch (err) {
        throw systemError('stat bind source', source, err);
      }
    };
    const base = buildChildPlan(planned, {
      idMaps, euid, egid: process.getegid?.() ?? 0, rootDir: config.rootfs, sourceIsDirectory,
      hostDevices: HOST_DEVICES.filter((name) => ociDefaultDevices.has(name) && existsSync(`/dev/${name}`)),
      consoleTty: undefined, initPath: undefined, pauseForCgroup: cgroup !== undefined,
      // a hard limit we cannot raise (no CAP_SYS_RESOURCE) is lowered to ours with a warning rather than failing
      rlimits: s.confinement.rlimits.length === 0 ? [] : clampRlimits(s.confinement.rlimits, readRlimitHost(), options.warn),
      pauseAfterIdMaps: false, pauseBeforePivotRoot: options.beforePivotRoot !== undefined, pauseBeforeExec: false,
    });
    let fifoFd: number;
    try {
      fifoFd = openSync(options.execFifo, O_PATH);
    } catch (err) {
      throw systemError('create: open exec fifo', options.execFifo, err);
    }
    const additionalGids = config.process?.additionalGids ?? [];
    if (additionalGids.length > 0 && !base.plan.steps.some((step) => step.op === 'setgroups')) {
      options.warn('process.user.additionalGids: not applied (setgroups is denied in this user namespace)');
    }
    const size = config.process?.consoleSize;
    const consoleStep: Step | undefined = options.consoleSocket === undefined ? undefined : {
      op: 'console', socketPath: resolve(options.consoleSocket),
      ...(size !== undefined && size.rows > 0 && size.cols > 0 ? { rows: size.rows, cols: size.cols } : {}),
    };
    return { idMaps, fifoFd, plan: finishPlan(base.plan, fifoFd, 3 + options.extraFds, additionalGids, consoleStep), described: base.described };
  };
  let prepared: ReturnType<typeof prepare>;
  try {
    prepared = prepare();
  } catch (err) {
    await cgroup?.remove().catch(() => undefined);
    throw err;
  }
  const { idMaps, fifoFd, plan, described } = prepared;
  let child: ChildHandle | undefined;
  try {
    child = await engine()(plan);
    for (;;) {
      let event;
      try {
        event = await child.nextEvent();
      } catch (err) {
        throw describeChildFailure(err, described, child.pid);
      }
      if (event.kind === 'exec') break;
      if (event.label === 'id-maps' && idMaps !== undefined) await writeIdMaps(child.pid, idMaps);
      if (event.label === CGROUP_WAIT_LABEL) cgroup?.place(child.pid);
      if (event.label === WAIT_LABELS.beforePivotRoot) await options.beforePivotRoot?.(child.pid);
      child.release();
    }
  } catch (err) {
    if (child !== undefined) {
      child.kill('SIGKILL');
      await child.wait().catch(() => undefined);
    }
    await cgroup?.remove().catch(() => undefined);
    throw err;
  } finally {
    closeSync(fifoFd);
  }
  const running = child;
  // steps the child went on after (a session keyring the kernel refused: ENOSYS, EDQUOT)
  for (const w of running.warnings ?? []) options.warn(`${describeChildFailure(w, described, running.pid).message} (ignored)`);
  const relay = options.relaySignals ? installSignalRelay(s.relayedSignals) : undefined;
  relay?.attach(running);
  return {
    pid: running.pid,
    cgroup: cgroup === undefined ? undefined : { version: cgroup.version, paths: cgroup.paths, parents: cgroup.parents },
    async wait() {
      try {
        return (await running.wait()).status;
      } finally {
        relay?.remove();
      }
    },
    kill(signal) {
      running.kill(signal);
    },
  };
}
