/**
 * `exec <id>` (runc exec): run another process in a created or running container. A child made by @ct/syscalls'
 * `enter()` joins the init's namespaces with one setns(pidfd) (and forks again for the pid namespace), then runs
 * the process settings as steps: rlimits, the user's groups and ids, capabilities around the id switch,
 * no_new_privs, seccomp, cwd, exec. The settings are config.json's process (the snapshot taken at create) with
 * `--process FILE` replacing it and the flags overriding single fields, as runc does. The exit status is the
 * exec'd process's (code, or 128 + signal).
 *
 * The process joins the container's cgroups (those linux.resources made) at a pause before its steps. Not done:
 * `--pidfd-socket`, `--cgroup` (refused by the CLI).
 *
 * Man pages: setns(2), pidfd_open(2), capabilities(7), seccomp(2), prctl(2) (PR_SET_NO_NEW_PRIVS), pty(7).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as syscalls from '@ct/syscalls';
import type { ChildHandle, Step } from '@ct/syscalls';
import {
  CAPABILITY_NAMES, clampRlimits, compileSeccomp, installSignalRelay, planCapabilities, readRlimitHost, resolveCapabilities,
  type CapabilityName, type CapabilitySets,
} from '@ct/namespaces/engine';
import { parseJson } from '@ct/oci/spec';
import type { RuntimeContext } from './context.js';
import { readBundleConfig, readConfigProcess, type BundleConfig, type ConfigProcess } from './config/bundle-config.js';
import { readConfinement } from './config/config-confinement.js';
import { asObject } from './config/json-fields.js';
import { raisableAmbient, rlimitsOf } from './config/to-container-spec.js';
import { deriveStatus } from './container-status.js';
import { sessionKeyringName } from './container-launch.js';
import { ConfigError, ExecProgramError, RuntimeError, errnoCode, errnoPhrase, systemError } from './errors.js';
import { lookupInProcessRoot } from './program-lookup.js';
import { containerPaths, readRecord, writeFileAtomic } from './state-store.js';

/** Options of `exec` (runc's flags). */
export interface ExecOptions {
  /** The command (argv form); ignored when `process` is given. */
  readonly args?: readonly string[] | undefined;
  /** A runtime-spec process JSON file (`-` is stdin). */
  readonly process?: string | undefined;
  readonly detach?: boolean | undefined;
  readonly pidFile?: string | undefined;
  readonly tty?: boolean | undefined;
  readonly consoleSocket?: string | undefined;
  /** The pty's size at creation (overrides the process's consoleSize; `ct container exec -it` passes its terminal's). */
  readonly consoleSize?: { readonly rows: number; readonly cols: number } | undefined;
  readonly cwd?: string | undefined;
  /** NAME=VALUE entries added (replacing same-named ones). */
  readonly env?: readonly string[] | undefined;
  /** `uid[:gid]`. */
  readonly user?: string | undefined;
  readonly additionalGids?: readonly string[] | undefined;
  /** Capabilities added to every set but ambient (runc's --cap). */
  readonly caps?: readonly string[] | undefined;
  readonly noNewPrivs?: boolean | undefined;
  readonly preserveFds?: number | undefined;
  /** Signal relay for a foreground exec (default true unless detached). */
  readonly relaySignals?: boolean | undefined;
}

const ALL_NAMESPACES = 0x10000000 | 0x20000 | 0x20000000 | 0x40000000 | 0x4000000 | 0x8000000 | 0x2000000 | 0x80;

type Enter = (target: { pid: number }, namespaces: number, plan: Omit<syscalls.SpawnPlan, 'namespaces'>) => ChildHandle;

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
      additionalGids: gids.length > 0 ? gids : p.additionalGids,
      noNewPrivileges: o.noNewPrivs === true || p.noNewPrivileges,
      terminal: o.tty ?? p.terminal,
    },
    caps: sets,
  };
}

function setgroupsAllowed(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/setgroups`, 'utf8').trim() !== 'deny';
  } catch {
    return true;
  }
}

/** The steps of the exec'd process, in runc's finalizeNamespace order. */
function execSteps(config: BundleConfig, p: ConfigProcess, caps: CapabilitySets | undefined, initPid: number, o: ExecOptions, warn: (m: string) => void): Step[] {
  const steps: Step[] = [];
  const size = o.consoleSize ?? p.consoleSize;
  if (p.terminal) {
    steps.push({
      op: 'console', socketPath: resolve(o.consoleSocket ?? ''),
      ...(size !== undefined && size.rows > 0 && size.cols > 0 ? { rows: size.rows, cols: size.cols } : {}),
    });
  }
  const limits = clampRlimits(rlimitsOf(p), readRlimitHost(), warn);
  for (const r of limits) steps.push({ op: 'rlimit', resource: syscalls.RLIMIT[r.type.slice(7) as keyof typeof syscalls.RLIMIT], soft: r.soft, hard: r.hard });
  const profile = config.confinement.seccomp;
  const seccomp = profile === undefined ? undefined : compileSeccomp(profile);
  if (seccomp !== undefined && !p.noNewPrivileges) steps.push({ op: 'seccomp', bpf: seccomp.bpf, flags: seccomp.flags });
  const plan = planCapabilities(resolveCapabilities(caps === undefined ? 'all' : raisableAmbient(caps, warn), 'process.capabilities'), p.uid, true);
  steps.push(...plan.before.map((s) => s.step));
  if (setgroupsAllowed(initPid)) steps.push({ op: 'setgroups', gids: p.additionalGids });
  else if (p.additionalGids.length > 0) warn('exec: additionalGids not applied (setgroups is denied in this user namespace)');
  steps.push({ op: 'setresgid', gid: p.gid }, { op: 'setresuid', uid: p.uid });
  steps.push(...plan.after.map((s) => s.step));
  if (p.umask !== undefined) steps.push({ op: 'umask', mask: p.umask });
  if (p.noNewPrivileges) steps.push({ op: 'noNewPrivs' });
  steps.push({ op: 'chdir', path: p.cwd });
  if (seccomp !== undefined && p.noNewPrivileges) steps.push({ op: 'seccomp', bpf: seccomp.bpf, flags: seccomp.flags });
  steps.push({ op: 'exec', path: p.args[0] ?? '', argv: p.args, env: p.env, search: true });
  return steps;
}

/** The exec'd process's host pid (enter() hands over the process it forks into a pid namespace). */
function execedPid(child: ChildHandle): number {
  return child.pid;
}

function joinCgroups(dirs: readonly string[], pid: number): void {
  for (const dir of dirs) {
    try {
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    } catch (err) {
      throw systemError(`exec: join cgroup: place ${pid}`, dir, err);
    }
  }
}

/**
 * `--detach`: leave nothing of ct between the caller and the exec'd process (runc's double fork). When enter()
 * forked again for the pid namespace, `child` is the middle process relaying to `pid`: it is killed (SIGKILL, it
 * relays every other signal) and reaped, so `pid` is re-parented to the caller's subreaper (conmon, the shim), which
 * can then wait for it; otherwise `pid` is our own child and is re-parented when ct exits.
 */
async function detachFrom(child: ChildHandle, pid: number): Promise<void> {
  if (pid !== child.pid) {
    child.kill('SIGKILL');
    await child.wait().catch(() => undefined);
  }
  child.unref?.();
}

/** The detached exec's last pause, before execve. */
const RELEASE_LABEL = 'release';

function writePidFile(file: string | undefined, pid: number): void {
  if (file === undefined) return;
  try {
    writeFileAtomic(resolve(file), String(pid), 0o644);
  } catch (err) {
    throw systemError('exec: write pid file', file, err);
  }
}

/** Run a process in container `id`; resolves with its exit status (0 at once with `detach`). */
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
  // a pause first, where the process is moved into the container's cgroups (as runc exec does)
  const cgroups = record.cgroupPaths ?? [];
  // detached: the exec'd process must outlive the middle process enter() keeps for a pid namespace (below), so it
  // drops the parent-death signal tied to that process first
  const detachSteps: Step[] = options.detach === true ? [{ op: 'pdeathsig', signal: 0 }] : [];
  // the container's session keyring, as runc's setns init joins it (made by the init unless --no-new-keyring)
  const keyring: Step[] = record.noNewKeyring === true ? [] : [{ op: 'sessionKeyring', name: sessionKeyringName(id) }];
  const own = execSteps(config, p, caps, record.pid, options, warn);
  // detached: a last pause before execve, where ct writes the pid file and removes the middle process; it releases
  // the process as its very last act, so the caller (containerd's shim, conmon) knows the pid before it can exit
  const release: Step[] = options.detach === true ? [{ op: 'wait', label: RELEASE_LABEL }] : [];
  const steps: Step[] = [
    ...detachSteps, ...(cgroups.length > 0 ? [{ op: 'wait', label: 'cgroup' } as const] : []), ...keyring,
    ...own.slice(0, -1), ...release, ...own.slice(-1),
  ];
  const extra = options.preserveFds ?? 0;
  const fds = [0, 1, 2, ...Array.from({ length: extra }, (_, i) => 3 + i)].map((fd) => ({ from: fd, to: fd }));
  const enter: Enter = syscalls.enter;
  let child: ChildHandle;
  try {
    child = enter({ pid: record.pid }, ALL_NAMESPACES, { steps, fds });
  } catch (err) {
    throw new RuntimeError('ESETUP', `exec: enter container ${id}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  try {
    for (;;) {
      const event = await child.nextEvent();
      if (event.kind === 'exec') break;
      if (event.label === 'cgroup') joinCgroups(cgroups, execedPid(child));
      if (event.label === RELEASE_LABEL) {
        for (const w of child.warnings ?? []) warn(`exec: ${w.message} (ignored)`);
        writePidFile(options.pidFile, execedPid(child));
        await detachFrom(child, execedPid(child));
        // not waiting for the exec: an execve failure (a missing program) is then only the process's exit status 1
        child.release();
        return 0;
      }
      child.release();
    }
  } catch (err) {
    child.kill('SIGKILL');
    await child.wait().catch(() => undefined);
    if (err instanceof RuntimeError) throw err;
    throw new RuntimeError('ESETUP', `exec: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  for (const w of child.warnings ?? []) warn(`exec: ${w.message} (ignored)`);
  writePidFile(options.pidFile, execedPid(child));
  const relay = options.relaySignals === false ? undefined : installSignalRelay(['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGTERM', 'SIGWINCH']);
  relay?.attach(child);
  try {
    return (await child.wait()).status;
  } finally {
    relay?.remove();
  }
}
