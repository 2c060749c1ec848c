/**
 * Launching a container's init from a checked config: config.json → a complete ContainerSpec (to-container-spec.ts),
 * run by @ct/namespaces' runContainer, whose child ends by exec'ing ct-exec-fifo (native/exec-fifo.c) with the
 * user program after it (`execWrapper`): the helper is exec'd by a descriptor opened before the clone, so it need
 * not be inside the root, and gets the exec FIFO opened read-write here (nothing in the container reopens it, so a
 * container without /proc starts too). It blocks until `ct start` writes to the FIFO, then execs the user program.
 * So the child has exec'd (and told its parent so) while `ct create` is still alive, and the process that waits is
 * a tiny static program, never the forked Node image (STYLE.md; runc's "runc init" does the same job). Until that
 * exec the child has the parent-death signal: a `ct create` killed before the container is recorded (`onCreated`,
 * at the last pause) leaves no init running.
 *
 * The runtime makes the container's cgroup itself (its placement from linux.cgroupsPath, and a warning rather than a
 * failure when one made only for runc's sake cannot be), and gives it to runContainer.
 *
 * Man pages: fifo(7), open(2) (O_RDWR on a FIFO never blocks), execveat(2), prctl(2) (PR_SET_PDEATHSIG).
 */
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { SyscallError } from '@ct/syscalls';
import {
  ContainerSpecError, createContainerCgroup, NamespaceSetupError, NODE_CGROUP_FS, readRlimitHost, runContainer, validateCgroupSpec, type CgroupSpec, type ContainerCgroup,
  type ContainerSpec,
} from '@ct/namespaces/engine';
import type { BundleConfig } from './config/bundle-config.js';
import { toContainerSpec } from './config/to-container-spec.js';
import { applyExtraResources, cgroupFsFor } from './container-cgroup.js';
import { ConfigError, systemError } from './errors.js';
import { execFifoProgram } from './exec-fifo-program.js';

/** How to launch the init. */
export interface LaunchOptions {
  /** The exec FIFO the init blocks on before exec (it reads until `start` writes a byte). */
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
  /**
   * Called at the child's 'namespaces' pause (every namespace made, nothing mounted yet) with its pid: a network
   * helper started here works while the child mounts (network-attach.ts); none: no pause.
   */
  readonly onNamespaces?: ((pid: number) => Promise<void>) | undefined;
  /** Called at a pause before pivot_root with the init's pid (createRuntime/prestart hooks); none: no pause. */
  readonly beforePivotRoot?: ((pid: number) => Promise<void>) | undefined;
  /** process.terminal: the socket that receives the pty master (runc's --console-socket). */
  readonly consoleSocket?: string | undefined;
  /** The cgroupfs root (container-cgroup.ts: /sys/fs/cgroup, or CT_CGROUP_ROOT in tests). */
  readonly cgroupRoot: string;
  /** --no-new-keyring: keep the caller's session keyring instead of joining `_ses.<id>`. */
  readonly noNewKeyring: boolean;
  /** --no-pivot: chroot into the root (after moving it onto /) instead of pivot_root. */
  readonly noPivot?: boolean | undefined;
  /** The init's stdin, stdout and stderr (default 0 1 2: ours). */
  readonly stdio?: readonly [number, number, number] | undefined;
  /**
   * Called at the child's last pause, right before it execs ct-exec-fifo, with the init's pid. The child still has
   * PR_SET_PDEATHSIG (SIGKILL) tied to this process until it returns: the container's record is written here, so a
   * create killed before that leaves no running init. After it resolves the child clears the signal and execs.
   */
  readonly onCreated?: ((pid: number) => Promise<void>) | undefined;
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
 * none: `<id>` below our own cgroup, as runc names it (its cgroup Name is the container id). systemd's `slice:prefix:name` form (ct has no systemd driver; runc's cgroupfs
 * driver would take the string as one relative directory name) becomes `prefix-name` below our own cgroup. A path
 * that cleans to nothing (`/`, `/..`) would be the root cgroup itself: a ConfigError naming linux.cgroupsPath.
 */
export function cgroupPlacement(cgroupsPath: string | undefined, id: string): { readonly name: string } | { readonly path: string } {
  if (cgroupsPath === undefined || cgroupsPath === '') return { name: id };
  if (cgroupsPath.includes(':')) {
    const name = cgroupsPath.split(':').slice(1).filter((p) => p !== '' && p !== '.' && p !== '..' && !p.includes('/')).join('-');
    return { name: name === '' ? id : name };
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
 * The container's cgroup (made before the clone, so a refused limit fails early): always as real root (in every v1
 * hierarchy with the freezer, as runc, so update and pause work whatever linux.resources held), rootless only for
 * linux.resources. Undefined (after a warning) when an unprivileged caller may not; rootless as euid 0 (inside an
 * engine's user namespace) counts as unprivileged here: a refusal is not fatal.
 */
async function containerCgroup(config: BundleConfig, options: LaunchOptions): Promise<ContainerCgroup | undefined> {
  const resources = config.confinement.resources;
  const extra = config.confinement.resourcesExtra;
  const root = options.cgroupRoot;
  if (resources === undefined && extra === undefined && options.rootless) return undefined;
  const spec = validateCgroupSpec({
    ...cgroupPlacement(config.confinement.cgroupsPath, options.id), resources: resources ?? {},
    freezer: !options.rootless && existsSync(join(root, 'freezer', 'cgroup.procs')), allControllers: !options.rootless,
  });
  const euid = process.geteuid?.() ?? 0;
  const cgroup = makeCgroup(spec, options.rootless && euid === 0 ? 65534 : euid, root, resources !== undefined || extra !== undefined, options.warn);
  if (cgroup !== undefined && extra !== undefined) {
    try {
      await applyExtraResources(cgroup, extra, 'create');
    } catch (err) {
      await cgroup.remove().catch(() => undefined);
      throw err;
    }
  }
  return cgroup;
}

/** The spec of the init: config.json's, ending in ct-exec-fifo on the FIFO at `fifoTo`, with the launch options (exported for tests). */
export function launchSpec(config: BundleConfig, options: LaunchOptions, fifoFd: number, fifoTo: number): ContainerSpec {
  const withEnv: BundleConfig = config.process === undefined || options.extraEnv.length === 0
    ? config : { ...config, process: { ...config.process, env: [...config.process.env, ...options.extraEnv] } };
  const spec = toContainerSpec(withEnv, {
    rootless: options.rootless, euid: process.geteuid?.() ?? 0, extraFds: options.extraFds,
    relaySignals: options.relaySignals, warn: options.warn, sessionKeyring: options.noNewKeyring ? false : sessionKeyringName(options.id),
    rlimitHost: readRlimitHost(),
  });
  const size = config.process?.consoleSize;
  return {
    ...spec,
    extraFds: [...(spec.extraFds ?? []), { from: fifoFd, to: fifoTo }],
    execWrapper: { path: execFifoProgram(), argv: ['ct-exec-fifo', String(fifoTo), '--'] },
    killOnParentDeath: 'until-exec',
    noPivotRoot: options.noPivot === true,
    ...(options.stdio === undefined ? {} : { stdio: options.stdio }),
    ...(options.consoleSocket === undefined ? {} : {
      console: {
        socketPath: resolve(options.consoleSocket),
        ...(size !== undefined && size.rows > 0 && size.cols > 0 ? { rows: size.rows, cols: size.cols } : {}),
      },
    }),
  };
}

/**
 * `err` from a child step (or the plan) that applies one config.json field, with that field named first (engines and
 * users look for the field; the step alone names a file): the spec's rootPropagation is linux.rootfsPropagation;
 * oom_score_adj is process.oomScoreAdj; a proc or mqueue mount refused without a pid or ipc namespace of the
 * container's own is linux.namespaces' (an unprivileged mount needs one); a step on a mount's destination is that
 * mount's (the last one there: `mounts[3]`).
 */
function withConfigField(err: unknown, config: BundleConfig): unknown {
  if (err instanceof ContainerSpecError && err.field === 'rootPropagation') err.message = `linux.rootfsPropagation: ${err.message}`;
  if (!(err instanceof NamespaceSetupError)) return err;
  const own = (type: string): boolean => config.linux.namespaces.some((n) => n.type === type && n.path === undefined);
  const refused = /EPERM/.test(err.message);
  const mount = err.object === undefined ? -1 : config.mounts.map((m) => m.destination).lastIndexOf(err.object);
  const field = err.object === '/proc/self/oom_score_adj' ? 'process.oomScoreAdj'
    : err.step === 'mount proc' && refused && !own('pid') ? 'linux.namespaces (no pid namespace of the container\'s own to mount proc in)'
      : err.step === 'mount mqueue' && refused && !own('ipc') ? 'linux.namespaces (no ipc namespace of the container\'s own to mount mqueue in)'
        : mount >= 0 ? `mounts[${mount}]` : undefined;
  if (field !== undefined) err.message = `${field}: ${err.message}`;
  return err;
}

/** Launch the init of `config`; resolves when it is set up and waits on the exec FIFO. */
export async function launchInit(config: BundleConfig, options: LaunchOptions): Promise<LaunchedInit> {
  const cgroup = await containerCgroup(config, options);
  let fifoFd: number | undefined;
  try {
    try {
      // read-write: the open does not wait for a writer, and the init, a writer itself, never reads an early EOF
      fifoFd = openSync(options.execFifo, constants.O_RDWR);
    } catch (err) {
      throw systemError('create: open exec fifo', options.execFifo, err);
    }
    const spec = launchSpec(config, options, fifoFd, 3 + options.extraFds);
    const handle = await runContainer(spec, {
      ...(options.onNamespaces === undefined ? {} : { onNamespaces: options.onNamespaces }),
      ...(options.beforePivotRoot === undefined ? {} : { beforePivotRoot: options.beforePivotRoot }),
      ...(options.onCreated === undefined ? {} : { beforeExec: options.onCreated }),
    }, { cgroup: cgroup ?? null, cgroupRoot: options.cgroupRoot, warn: options.warn }).catch((err: unknown) => {
      // a missing bind source, in runc's words (engines match "no such file or directory")
      if (err instanceof SyscallError && err.syscall === 'stat' && err.path !== undefined) throw systemError('stat bind source', err.path, err);
      throw withConfigField(err, config);
    });
    return {
      pid: handle.pid,
      cgroup: cgroup === undefined ? undefined : { version: cgroup.version, paths: cgroup.paths, parents: cgroup.parents },
      async wait() {
        return (await handle.wait()).status;
      },
      kill(signal) {
        handle.kill(signal);
      },
    };
  } catch (err) {
    await cgroup?.remove().catch(() => undefined);
    throw err;
  } finally {
    if (fifoFd !== undefined) closeSync(fifoFd);
  }
}
