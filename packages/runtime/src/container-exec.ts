/**
 * `exec <id>` (runc exec): run another process in a created or running container, through @ct/namespaces'
 * `enterContainer` (the init's namespaces joined, the process forked into its pid namespace as our own child, then
 * set up as runc's setns init: keyring, console, rlimits, capabilities around the id switch, groups, umask,
 * no_new_privs, cwd, seccomp). The settings are config.json's process (the snapshot taken at create) with
 * `--process FILE` replacing it and the flags overriding single fields, as runc does. The exit status is the
 * exec'd process's (code, or 128 + signal).
 *
 * The process joins the container's cgroups (those linux.resources made) at a pause before its steps. Not done:
 * `--pidfd-socket`, `--cgroup` (refused by the CLI).
 *
 * Man pages: setns(2), pidfd_open(2), capabilities(7), seccomp(2), prctl(2) (PR_SET_NO_NEW_PRIVS), pty(7).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  CAPABILITY_NAMES, enterContainer, installSignalRelay, readRlimitHost, type CapabilityName, type CapabilitySets, type EnteredProcess, type EnterProcess,
} from '@ct/namespaces/engine';
import { parseJson } from '@ct/oci/spec';
import type { RuntimeContext } from './context.js';
import { readBundleConfig, readConfigProcess, type BundleConfig, type ConfigProcess } from './config/bundle-config.js';
import { readConfinement } from './config/config-confinement.js';
import { asObject } from './config/json-fields.js';
import { environmentOf, raisableAmbient, rlimitsOf } from './config/to-container-spec.js';
import { withHome } from './config/root-files.js';
import { deriveStatus } from './container-status.js';
import { sessionKeyringName } from './container-launch.js';
import { ConfigError, ExecProgramError, RuntimeError, errnoCode, errnoPhrase, systemError } from './errors.js';
import { lookupInProcessRoot } from './program-lookup.js';
import { applyScheduling, hasScheduling } from './process-scheduling.js';
import { containerPaths, readRecord, writeFileAtomic, type ContainerRecord } from './state-store.js';

/** Options of `exec` (runc's flags). */
export interface ExecOptions {
  /** The command (argv form); ignored when `process` is given. */
  readonly args?: readonly string[] | undefined;
  /** A runtime-spec process JSON file (`-` is stdin). */
  readonly process?: string | undefined;
  /**
   * Return once the process is released, before its execve (default false): the exit status is then 0, and a
   * failing execve is only the process's own exit status; a program surely missing is refused first.
   */
  readonly detach?: boolean | undefined;
  /** A file to write the process's pid to (host pid namespace); detached, it is written before the execve. */
  readonly pidFile?: string | undefined;
  /** Give the process a pty (overrides the process's `terminal`); needs `consoleSocket`. */
  readonly tty?: boolean | undefined;
  /** The AF_UNIX socket the pty's master fd is sent to (runc's --console-socket). */
  readonly consoleSocket?: string | undefined;
  /** The pty's size at creation (overrides the process's consoleSize; `ct container exec -it` passes its terminal's). */
  readonly consoleSize?: {
    /** Rows of the pty (ignored unless both are above 0). */
    readonly rows: number;
    /** Columns of the pty. */
    readonly cols: number;
  } | undefined;
  /** The working directory, absolute (EUSAGE otherwise); default the process's `cwd`. */
  readonly cwd?: string | undefined;
  /** NAME=VALUE entries added (replacing same-named ones). */
  readonly env?: readonly string[] | undefined;
  /** `uid[:gid]`. */
  readonly user?: string | undefined;
  /** Supplementary gids as decimal strings; given (even empty), they replace the process's. */
  readonly additionalGids?: readonly string[] | undefined;
  /** Capabilities added to every set but ambient (runc's --cap). */
  readonly caps?: readonly string[] | undefined;
  /** Set no_new_privs on the process (it is kept when the process already asks for it). */
  readonly noNewPrivs?: boolean | undefined;
  /** Pass this many extra fds, 3 to 3+N-1, from the caller into the process (default 0). */
  readonly preserveFds?: number | undefined;
  /** Signal relay for a foreground exec (default true unless detached). */
  readonly relaySignals?: boolean | undefined;
}

/** The process to run: --process's, else config.json's with the argv and flags applied. */
function execProcess(config: BundleConfig, options: ExecOptions): { process: ConfigProcess; caps: CapabilitySets | undefined } {
  if (options.process !== undefined) {
    const file = options.process === '-' ? '<stdin>' : resolve(options.process);
    let text: string;
    try {
      text = readFileSync(options.process === '-' ? 0 : file, 'utf8');
    } catch (err) {
      throw new RuntimeError('EUSAGE', `exec: --process: ${file}: ${errnoPhrase(errnoCode(err))}`, { cause: err });
    }
    const o = asObject(parseJson(text, file), 'process');
    return { process: readConfigProcess(o), caps: readConfinement({ process: o }).capabilities };
  }
  const base = config.process;
  if (base === undefined) throw new ConfigError('process', 'missing');
  if ((options.args ?? []).length === 0) throw new RuntimeError('EUSAGE', 'exec: a command or --process is required');
  return { process: { ...base, args: options.args ?? [] }, caps: config.confinement.capabilities };
}

function parseUser(spec: string): { uid: number; gid: number | undefined } {
  const m = /^(\d+)(?::(\d+))?$/.exec(spec);
  if (m === null) throw new RuntimeError('EUSAGE', `exec: --user: ${JSON.stringify(spec)} is not uid[:gid]`);
  return { uid: Number(m[1]), gid: m[2] === undefined ? undefined : Number(m[2]) };
}

function withFlags(p: ConfigProcess, caps: CapabilitySets | undefined, o: ExecOptions): { process: ConfigProcess; caps: CapabilitySets | undefined } {
  const env = new Map(p.env.map((e) => [e.slice(0, e.indexOf('=')), e] as const));
  for (const e of o.env ?? []) {
    if (e.indexOf('=') <= 0) throw new RuntimeError('EUSAGE', `exec: --env: ${JSON.stringify(e)} is not NAME=VALUE`);
    env.set(e.slice(0, e.indexOf('=')), e);
  }
  const user = o.user === undefined ? undefined : parseUser(o.user);
  const gids = (o.additionalGids ?? []).map((g) => {
    if (!/^\d+$/.test(g)) throw new RuntimeError('EUSAGE', `exec: --additional-gids: ${JSON.stringify(g)} is not a number`);
    return Number(g);
  });
  if (o.cwd !== undefined && !o.cwd.startsWith('/')) throw new RuntimeError('EUSAGE', `exec: --cwd: ${o.cwd} is not absolute`);
  let sets = caps;
  if ((o.caps ?? []).length > 0) {
    const extra = (o.caps ?? []).map((c) => {
      const name = (c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : `CAP_${c.toUpperCase()}`) as CapabilityName;
      if (!CAPABILITY_NAMES.includes(name)) throw new RuntimeError('EUSAGE', `exec: --cap: unknown capability ${c}`);
      return name;
    });
    const add = (list: readonly CapabilityName[]): CapabilityName[] => [...new Set([...list, ...extra])];
    const b = sets ?? { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] };
    sets = { bounding: add(b.bounding), effective: add(b.effective), permitted: add(b.permitted), inheritable: add(b.inheritable), ambient: b.ambient };
  }
  return {
    process: {
      ...p,
      env: [...env.values()],
      cwd: o.cwd ?? p.cwd,
      uid: user?.uid ?? p.uid,
      gid: user?.gid ?? p.gid,
      // given (also as an empty list: podman's exec -u 0), they replace the container's
      additionalGids: o.additionalGids !== undefined ? gids : p.additionalGids,
      noNewPrivileges: o.noNewPrivs === true || p.noNewPrivileges,
      terminal: o.tty ?? p.terminal,
    },
    caps: sets,
  };
}

/** The process to run, as @ct/namespaces' enterContainer takes it (runc's setns init applies these). */
function enterProcess(config: BundleConfig, p: ConfigProcess, caps: CapabilitySets | undefined, id: string, record: ContainerRecord,
  o: ExecOptions, warn: (m: string) => void): EnterProcess {
  const size = o.consoleSize ?? p.consoleSize;
  const seccomp = config.confinement.seccomp;
  return {
    // HOME from the container's /etc/passwd when the environment has none, as runc sets it
    command: { argv: p.args, env: withHome(environmentOf(p), [`/proc/${record.pid}/root`], p.uid), cwd: p.cwd },
    uid: p.uid, gid: p.gid, additionalGids: p.additionalGids,
    capabilities: caps === undefined ? 'all' : raisableAmbient(caps, warn),
    noNewPrivileges: p.noNewPrivileges,
    ...(p.umask === undefined ? {} : { umask: p.umask }),
    rlimits: rlimitsOf(p, readRlimitHost()),
    ...(seccomp === undefined ? {} : { seccomp }),
    // the container's session keyring, as runc's setns init joins it (made by the init unless --no-new-keyring)
    ...(record.noNewKeyring === true ? {} : { sessionKeyring: sessionKeyringName(id) }),
    ...(p.terminal ? {
      console: {
        socketPath: resolve(o.consoleSocket ?? ''),
        ...(size !== undefined && size.rows > 0 && size.cols > 0 ? { rows: size.rows, cols: size.cols } : {}),
      },
    } : {}),
  };
}

function writePidFile(file: string | undefined, pid: number): void {
  if (file === undefined) return;
  try {
    writeFileAtomic(resolve(file), String(pid), 0o644);
  } catch (err) {
    throw systemError('exec: write pid file', file, err);
  }
}

/**
 * Run a process in container `id`; resolves with its exit status (0 at once with `detach`).
 * @throws RuntimeError EUSAGE (an id that is not a plain name), ContainerNotFoundError (ENOCONTAINER),
 *   RuntimeError EBADSTATE (not running or created), EUSAGE (a bad flag: user, env, cwd, capability, a `tty`
 *   without `consoleSocket`), ECONFIG (no process, an empty argv, a bad `process` file), ESETUP (entering failed:
 *   its cause), ExecProgramError (detached, a program surely missing, in runc's words).
 */
export async function execContainer(ctx: RuntimeContext, id: string, options: ExecOptions): Promise<number> {
  const paths = containerPaths(ctx.stateRoot.path, id);
  const record = readRecord(paths, id);
  const status = deriveStatus(record, paths);
  if (status !== 'running' && status !== 'created') throw new RuntimeError('EBADSTATE', `cannot exec in a ${status} container`);
  const config = readBundleConfig(record.bundle, paths.config);
  const chosen = execProcess(config, options);
  const { process: p, caps } = withFlags(chosen.process, chosen.caps, options);
  if (p.terminal && options.consoleSocket === undefined) throw new RuntimeError('EUSAGE', 'exec: --tty needs --console-socket');
  if (p.args.length === 0) throw new ConfigError('process.args', 'empty');
  // detached, ct does not wait for execve (below): a program that is surely missing is refused first, in runc's
  // words (podman turns them into its exit 127)
  const program = p.args[0] ?? '';
  const lookup = options.detach === true ? lookupInProcessRoot(record.pid, program, p.env, p.cwd) : undefined;
  if (lookup?.found === false) throw new ExecProgramError(lookup.status, `exec failed: unable to start container process: ${lookup.reason}`);
  const warn = (m: string): void => ctx.logger.log('debug', m);
  const extra = options.preserveFds ?? 0;
  const detach = options.detach === true;
  let entered: EnteredProcess;
  try {
    entered = await enterContainer(record.pid, enterProcess(config, p, caps, id, record, options, warn), {
      extraFds: Array.from({ length: extra }, (_, i) => ({ from: 3 + i, to: 3 + i })),
      // moved into the container's cgroups at a pause before its steps, as runc exec does, then given the process's
      // scheduler and I/O priority from outside while it still has our ids
      cgroupDirs: record.cgroupPaths ?? [],
      ...(hasScheduling(p) ? { setup: (pid: number) => applyScheduling(pid, p) } : {}),
      // detached: the pid file is written at the last pause, before execve, so the caller (containerd's shim,
      // conmon) knows the pid before the process can exit; the process is released from there and left to itself
      // (an execve failure, a missing program, is then only its exit status)
      detach,
      ...(detach ? { beforeExec: (pid: number) => writePidFile(options.pidFile, pid) } : {}),
      warn: (m: string) => warn(`exec: ${m}`),
    });
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    throw new RuntimeError('ESETUP', `exec: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (detach) return 0;
  writePidFile(options.pidFile, entered.pid);
  const relay = options.relaySignals === false ? undefined : installSignalRelay(['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGTERM', 'SIGWINCH']);
  relay?.attach(entered);
  try {
    return (await entered.wait()).status;
  } finally {
    relay?.remove();
  }
}
