/**
 * One handler per runc verb: builds typed options from the parsed command line, calls one @ct/runtime function
 * and renders its result. Shared by the lean entry (bin/ct.js) and the oclif command classes. No logic beyond
 * that: lifecycle, state and errors live in @ct/runtime.
 */
import { isPodmanTopicVerb, type ParsedCommand, type FlagValue } from '../flags/parse-argv.js';
import type { VerbName } from '../flags/definitions.js';
import type * as Runtime from '@ct/runtime';

/** The light entry (state, list, kill, delete, start, ps, spec) and the full one (create, run, features). */
const light = (): Promise<typeof import('@ct/runtime/verbs')> => import('@ct/runtime/verbs');
const full = (): Promise<typeof Runtime> => import('@ct/runtime');

/** Where a handler writes. */
export interface Output {
  /** Write to stdout. */
  stdout(text: string): void;
}

type Handler = (ctx: Runtime.RuntimeContext, cmd: ParsedCommand, out: Output) => Promise<number>;

function str(flags: Readonly<Record<string, FlagValue>>, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}
function bool(flags: Readonly<Record<string, FlagValue>>, name: string): boolean {
  return flags[name] === true;
}
function int(flags: Readonly<Record<string, FlagValue>>, name: string): number | undefined {
  const v = flags[name];
  return typeof v === 'number' ? v : undefined;
}
function strs(flags: Readonly<Record<string, FlagValue>>, name: string): string[] {
  const v = flags[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}
function id(cmd: ParsedCommand): string {
  return cmd.args[0] ?? '';
}
function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

function createOptions(f: Readonly<Record<string, FlagValue>>): Runtime.CreateOptions {
  return {
    pidfdSocket: str(f, 'pidfd-socket'),
    bundle: str(f, 'bundle'), pidFile: str(f, 'pid-file'), consoleSocket: str(f, 'console-socket'),
    noPivot: bool(f, 'no-pivot'), noNewKeyring: bool(f, 'no-new-keyring'), preserveFds: int(f, 'preserve-fds'),
  };
}

/** What an inspect verb prints: JSON (the default, or --format json), else one line of the --format template per item. */
async function writeInspected(out: Output, items: readonly unknown[], format: string | undefined): Promise<void> {
  if (format === undefined || format === 'json') out.stdout(json(items));
  else {
    const { renderFormat } = await import('./format-template.js');
    out.stdout(items.map((d) => renderFormat(format, d) + '\n').join(''));
  }
}

function listTable(states: readonly Runtime.ContainerState[]): string {
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
    ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  // runc's text/tabwriter: each column at least 12 wide, 3 spaces after its widest cell
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(Math.max(12, widths[c]! + 3)))).join('')).join('\n') + '\n';
}

/** `--interval` as the Go durations runc takes (5s, 500ms, 1m) in ms; undefined when it is not one or not positive. */
function intervalMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (m === null) return undefined;
  const n = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
  return n > 0 ? n : undefined;
}

const handlers: Readonly<Record<VerbName, Handler>> = {
  async create(ctx, cmd) {
    await (await full()).createContainer(ctx, id(cmd), createOptions(cmd.flags));
    return 0;
  },
  async start(ctx, cmd) {
    await (await light()).startContainer(ctx, id(cmd));
    return 0;
  },
  async run(ctx, cmd) {
    const options = { ...createOptions(cmd.flags), detach: bool(cmd.flags, 'detach'), keep: bool(cmd.flags, 'keep') };
    return (await full()).runContainer(ctx, id(cmd), options);
  },
  async state(ctx, cmd, out) {
    out.stdout(json((await light()).containerState(ctx, id(cmd))));
    return 0;
  },
  async kill(ctx, cmd) {
    await (await light()).killContainer(ctx, id(cmd), cmd.args[1] ?? 'SIGTERM', { all: bool(cmd.flags, 'all') });
    return 0;
  },
  async delete(ctx, cmd) {
    await (await light()).deleteContainer(ctx, id(cmd), { force: bool(cmd.flags, 'force') });
    return 0;
  },
  async list(ctx, cmd, out) {
    const states = (await light()).listContainers(ctx);
    if (bool(cmd.flags, 'quiet')) out.stdout(states.map((s) => s.id + '\n').join(''));
    else if (str(cmd.flags, 'format') === 'json') out.stdout(JSON.stringify(states) + '\n');
    else out.stdout(listTable(states));
    return 0;
  },
  async spec(_ctx, cmd) {
    (await light()).writeSpec(str(cmd.flags, 'bundle') ?? '.', { rootless: bool(cmd.flags, 'rootless') });
    return 0;
  },
  async features(_ctx, _cmd, out) {
    out.stdout(json((await full()).featuresDocument()));
    return 0;
  },
  async ps(ctx, cmd, out) {
    const runtime = await light();
    const pids = runtime.containerProcesses(ctx, id(cmd));
    // runc's: json is the pids (ps options ignored), the table is the host's ps cut to them
    if (str(cmd.flags, 'format') === 'json') out.stdout(JSON.stringify(pids) + '\n');
    else out.stdout(runtime.processTable(pids, cmd.args.slice(1)));
    return 0;
  },
  async 'container run'(ctx, cmd, out) {
    // @ct/runtime/image-run, not the full entry: the warm path loads only what a run uses (issue 10's speed)
    const [{ imageRunOptions }, { runImage }] = await Promise.all([import('./container-run-options.js'), import('@ct/runtime/image-run')]);
    return runImage(ctx, { ...imageRunOptions(cmd.args, cmd.flags), onDetached: (cid) => out.stdout(`${cid}\n`) });
  },
  async 'container ps'(ctx, cmd, out) {
    const list = (await full()).listImageContainers(ctx, { all: bool(cmd.flags, 'all'), storageRoot: str(cmd.flags, 'storage-root') });
    const format = str(cmd.flags, 'format');
    const output = await import('./container-output.js');
    if (bool(cmd.flags, 'quiet')) out.stdout(list.map((c) => `${c.id}\n`).join(''));
    else if (bool(cmd.flags, 'json')) out.stdout(json(list));
    // podman's fields (container-output.ts); --json is ct's own record
    else if (format === 'json') out.stdout(json(list.map((c) => output.psJson(c))));
    else if (format !== undefined) {
      const { renderFormat } = await import('./format-template.js');
      out.stdout(list.map((c) => renderFormat(format, output.psFields(c)) + '\n').join(''));
    } else out.stdout(output.containerTable(list));
    return 0;
  },
  async 'container inspect'(ctx, cmd, out) {
    const runtime = await full();
    await writeInspected(out, cmd.args.map((cid) => runtime.inspectImageContainer(ctx, cid)), str(cmd.flags, 'format'));
    return 0;
  },
  async 'container kill'(ctx, cmd, out) {
    await (await full()).killImageContainer(ctx, id(cmd), str(cmd.flags, 'signal') ?? 'SIGKILL');
    out.stdout(`${id(cmd)}\n`);
    return 0;
  },
  async 'container wait'(ctx, cmd, out) {
    const runtime = await full();
    for (const cid of cmd.args) out.stdout(`${await runtime.waitImageContainer(ctx, cid)}\n`);
    return 0;
  },
  async 'container start'(ctx, cmd, out) {
    const runtime = await full();
    for (const cid of cmd.args) {
      await runtime.startImageContainer(ctx, cid);
      out.stdout(`${cid}\n`);
    }
    return 0;
  },
  async 'container restart'(ctx, cmd, out) {
    const runtime = await full();
    for (const cid of cmd.args) {
      await runtime.restartImageContainer(ctx, cid, int(cmd.flags, 'time'));
      out.stdout(`${cid}\n`);
    }
    return 0;
  },
  async 'container cp'(ctx, cmd) {
    await (await full()).copyContainerFiles(ctx, cmd.args[0] ?? '', cmd.args[1] ?? '');
    return 0;
  },
  async 'container top'(ctx, cmd, out) {
    const list = (await full()).topImageContainer(ctx, id(cmd));
    if (bool(cmd.flags, 'json')) out.stdout(json(list));
    else out.stdout((await import('./container-output.js')).columns([['USER', 'PID', 'PPID', 'COMMAND'], ...list.map((p) => [String(p.uid), String(p.pid), String(p.ppid), p.command])]));
    return 0;
  },
  async 'container stats'(ctx, cmd, out) {
    const runtime = await full();
    const all = [];
    for (const cid of cmd.args) {
      runtime.inspectImageContainer(ctx, cid); // a container of container run, named as such when it is not
      all.push({ id: cid, ...(await runtime.containerStats(ctx, cid)) });
    }
    if (bool(cmd.flags, 'json')) out.stdout((await import('@ct/oci/spec')).stringifyJson(all, 2) + '\n');
    else out.stdout((await import('./container-output.js')).statsTable(all));
    return 0;
  },
  async 'container prune'(ctx, _cmd, out) {
    out.stdout((await (await full()).pruneImageContainers(ctx)).map((cid) => `${cid}\n`).join(''));
    return 0;
  },
  async 'container exec'(ctx, cmd) {
    const f = cmd.flags;
    if (cmd.args.length < 2) throw new (await light()).RuntimeError('EUSAGE', 'container exec: give the container id and a command');
    const { envEntries } = await import('./container-run-options.js');
    return (await import('@ct/runtime/image-run')).execInRunContainer(ctx, id(cmd), {
      args: cmd.args.slice(1), env: envEntries(strs(f, 'env')), cwd: str(f, 'workdir'), user: str(f, 'user'),
      tty: f['tty'] === true,
    });
  },
  async 'container logs'(ctx, cmd) {
    const f = cmd.flags;
    await (await full()).writeImageContainerLog(ctx, id(cmd), (stream, chunk) => void process[stream].write(chunk), {
      tail: int(f, 'tail'), follow: bool(f, 'follow'), timestamps: bool(f, 'timestamps'), since: str(f, 'since'), until: str(f, 'until'),
    });
    return 0;
  },
  async 'container stop'(ctx, cmd, out) {
    const runtime = await full();
    for (const cid of cmd.args) {
      await runtime.stopImageContainer(ctx, cid, int(cmd.flags, 'time'));
      out.stdout(`${cid}\n`);
    }
    return 0;
  },
  async 'container rm'(ctx, cmd, out) {
    const runtime = await full();
    for (const cid of cmd.args) {
      await runtime.removeImageContainer(ctx, cid, { force: bool(cmd.flags, 'force'), volumes: bool(cmd.flags, 'volumes') });
      out.stdout(`${cid}\n`);
    }
    return 0;
  },
  async 'container port'(ctx, cmd, out) {
    const runtime = await full();
    const ports = runtime.containerPorts(ctx, id(cmd), cmd.args[1]);
    out.stdout(bool(cmd.flags, 'json') ? json(ports) : ports.map((p) => `${runtime.formatPortLine(p)}\n`).join(''));
    return 0;
  },
  async 'image unpack'(_ctx, cmd) {
    return (await import('./image-unpack.js')).imageUnpack(cmd.args, cmd.flags);
  },
  async 'volume create'(_ctx, cmd, out) {
    const f = cmd.flags;
    const { labelMap } = await import('./container-run-options.js');
    const volume = await (await full()).createVolume(cmd.args[0], {
      storageRoot: str(f, 'storage-root'), labels: labelMap(strs(f, 'label')), driver: str(f, 'driver'), driverOptions: strs(f, 'opt'),
    });
    out.stdout(`${volume.Name}\n`);
    return 0;
  },
  async 'volume ls'(_ctx, cmd, out) {
    const list = await (await full()).listVolumes({ storageRoot: str(cmd.flags, 'storage-root') });
    const format = str(cmd.flags, 'format');
    if (bool(cmd.flags, 'quiet')) out.stdout(list.map((v) => `${v.Name}\n`).join(''));
    else if (bool(cmd.flags, 'json') || format === 'json') out.stdout(json(list));
    else if (format !== undefined) {
      const { renderFormat } = await import('./format-template.js');
      out.stdout(list.map((v) => renderFormat(format, v) + '\n').join(''));
    } else out.stdout((await import('./container-output.js')).columns([['DRIVER', 'VOLUME NAME'], ...list.map((v) => [v.Driver, v.Name])]));
    return 0;
  },
  async 'volume inspect'(_ctx, cmd, out) {
    const runtime = await full();
    const details = [];
    for (const name of cmd.args) details.push(await runtime.inspectVolume(name, { storageRoot: str(cmd.flags, 'storage-root') }));
    await writeInspected(out, details, str(cmd.flags, 'format'));
    return 0;
  },
  async 'volume rm'(ctx, cmd, out) {
    const runtime = await full();
    const removeContainer = bool(cmd.flags, 'force') ? (cid: string) => runtime.removeImageContainer(ctx, cid, { force: true }) : undefined;
    for (const name of cmd.args) {
      await runtime.removeVolumes([name], { storageRoot: str(cmd.flags, 'storage-root'), removeContainer });
      out.stdout(`${name}\n`);
    }
    return 0;
  },
  async 'volume prune'(_ctx, cmd, out) {
    out.stdout((await (await full()).pruneVolumes({ storageRoot: str(cmd.flags, 'storage-root') })).map((n) => `${n}\n`).join(''));
    return 0;
  },
  async checkpoint() {
    throw new (await light()).RuntimeError('EUSAGE', 'checkpoint: not supported (ct has no CRIU support)');
  },
  async exec(ctx, cmd) {
    const f = cmd.flags;
    for (const flag of ['pidfd-socket', 'cgroup']) {
      if (f[flag] !== undefined) throw new (await light()).RuntimeError('EUSAGE', `exec: --${flag} is not supported yet`);
    }
    return (await full()).execContainer(ctx, id(cmd), {
      args: cmd.args.slice(1), process: str(f, 'process'), detach: bool(f, 'detach'), pidFile: str(f, 'pid-file'),
      tty: f['tty'] === true ? true : undefined, consoleSocket: str(f, 'console-socket'), cwd: str(f, 'cwd'),
      env: strs(f, 'env'), user: str(f, 'user'), additionalGids: f['additional-gids'] === undefined ? undefined : strs(f, 'additional-gids'), caps: strs(f, 'cap'),
      noNewPrivs: bool(f, 'no-new-privs'), preserveFds: int(f, 'preserve-fds'),
    });
  },
  async pause(ctx, cmd) {
    await (await light()).pauseContainer(ctx, id(cmd));
    return 0;
  },
  async resume(ctx, cmd) {
    await (await light()).resumeContainer(ctx, id(cmd));
    return 0;
  },
  async update(ctx, cmd) {
    const f = cmd.flags;
    const runtime = await full();
    const bytes = (name: string): bigint | undefined => {
      const v = str(f, name);
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v)) throw new runtime.RuntimeError('EUSAGE', `update: --${name}: ${JSON.stringify(v)} is not a number of bytes`);
      return BigInt(v);
    };
    await runtime.updateContainer(ctx, id(cmd), {
      resources: str(f, 'resources'), memory: bytes('memory'), memorySwap: bytes('memory-swap'), pidsLimit: int(f, 'pids-limit'),
      cpuQuota: int(f, 'cpu-quota'), cpuPeriod: int(f, 'cpu-period'), cpuShares: int(f, 'cpu-shares'),
    });
    return 0;
  },
  async events(ctx, cmd, out) {
    const runtime = await full();
    const cid = id(cmd);
    // the stats are 64-bit counters (bigints): printed as exact integers, as runc's Go encoder does
    const { stringifyJson } = await import('@ct/oci/spec');
    const line = async (): Promise<void> => out.stdout(stringifyJson({ type: 'stats', id: cid, data: await runtime.containerStats(ctx, cid) }) + '\n');
    if (bool(cmd.flags, 'stats')) {
      await line();
      return 0;
    }
    const ms = intervalMs(str(cmd.flags, 'interval') ?? '5s');
    if (ms === undefined) throw new runtime.RuntimeError('EUSAGE', `events: --interval: ${JSON.stringify(str(cmd.flags, 'interval'))} is not a positive duration (5s, 500ms, 1m)`);
    // runc's stream: a stats line per interval, and an "oom" line whenever the cgroup's OOM-kill count rises
    // (looked at every 200 ms at most, and once more after the container stopped)
    let kills = await runtime.containerOomKills(ctx, cid);
    const oom = async (): Promise<void> => {
      const now = await runtime.containerOomKills(ctx, cid);
      if (now !== undefined && now > (kills ?? 0n)) out.stdout(JSON.stringify({ type: 'oom', id: cid }) + '\n');
      kills = now ?? kills;
    };
    const step = Math.min(ms, 200);
    for (let next = Date.now(); ; await new Promise((r) => setTimeout(r, step))) {
      try {
        await oom();
        if (Date.now() >= next) {
          await line();
          next += ms;
        }
      } catch (err) {
        // the container stopped: the stream ends (runc exits the same way)
        if (err instanceof runtime.RuntimeError && (err.code === 'ENOTRUNNING' || err.code === 'ENOCONTAINER')) {
          if (err.code === 'ENOTRUNNING') await oom();
          return 0;
        }
        throw err;
      }
    }
  },
};

/** The global flags as @ct/runtime's GlobalOptions. */
export function globalOptions(g: Readonly<Record<string, FlagValue>>): Runtime.GlobalOptions {
  const format = str(g, 'log-format');
  const rootless = str(g, 'rootless');
  return {
    root: str(g, 'root'), log: str(g, 'log'), debug: bool(g, 'debug'), systemdCgroup: bool(g, 'systemd-cgroup'),
    logFormat: format === 'json' ? 'json' : format === 'text' ? 'text' : undefined,
    rootless: rootless === 'true' || rootless === 'false' || rootless === 'auto' ? rootless : undefined,
  };
}

/**
 * The doctor's cause and fix for a set-up failure (user namespaces, newuidmap, the state dir, cgroups, overlay),
 * as extra lines for the error message; '' when the error is not one it knows. @ct/namespaces is loaded only here,
 * on failure, so the light verbs stay light.
 */
async function setupHint(err: unknown): Promise<string> {
  if (!fromSetUp(err)) return ''; // a missing container, a usage error: nothing to explain, no 100 ms to load it
  try {
    const { explainSetupError } = await import('@ct/namespaces');
    const why = explainSetupError(err);
    return why === undefined ? '' : `\ncause: ${why.message} (${why.cause})\nfix: ${why.fix}`;
  } catch {
    return ''; // the hint is a courtesy: never hide the original error behind a failure to explain it
  }
}

/**
 * Whether the doctor (@ct/namespaces' explainSetupError) may have something to say about `err`: an error in its
 * cause chain is one of the set-up's (an id map, a spec field, a cgroup, a namespace step, a syscall) or a refused
 * path (the cases explainSetupError looks at). Decided from the fields, without loading @ct/namespaces.
 */
function fromSetUp(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 16; e = e.cause, depth++) {
    if (['NamespaceSetupError', 'IdMapError', 'ContainerSpecError', 'CgroupError', 'SyscallError'].includes(e.name)) return true;
    // the state dir's errors (a missing state.json, ENOENT of an open, is a missing container: not one of them)
    const x = e as NodeJS.ErrnoException;
    if (typeof x.path === 'string' && (['EACCES', 'EPERM', 'EROFS'].includes(x.code ?? '') || (x.code === 'ENOENT' && x.syscall === 'mkdir'))) return true;
  }
  return false;
}

/** True for the verbs of the `container` and `volume` topics (podman's exit statuses and error style, not runc's). */
export function isContainerVerb(verb: VerbName): boolean {
  return isPodmanTopicVerb(verb);
}

/**
 * Run a parsed verb: build the runtime context from the global flags, call the handler, and turn an error into
 * what the verb's family prints: a runc verb a log line (`--log`, `--log-format`) plus the message on stderr, exit
 * code 1 (runc's `fatal`); a `container` verb podman's `Error: ` line (cli-errors.ts) and exit status 125, or
 * the 126 or 127 of a command that cannot be run.
 */
/** `exec`'s status when the process could not be run (runc's). */
const EXEC_FAILED = 255;

export async function runVerb(cmd: ParsedCommand, out: Output): Promise<number> {
  const ctx = (await light()).createContext(globalOptions(cmd.globals));
  try {
    return await handlers[cmd.verb](ctx, cmd, out);
  } catch (err) {
    const hint = await setupHint(err);
    if (isContainerVerb(cmd.verb)) {
      const { containerExitStatus, containerMessage, formatError } = await import('./cli-errors.js');
      const msg = containerMessage(err, cmd.verb, cmd.args[0]) + hint;
      // a --log file still gets the line (stderr gets the plain one)
      if (!ctx.logger.toStderr) ctx.logger.log('error', msg);
      // a command-line error (a flag's value) points at the verb's help
      const usage = ['EUSAGE', 'OCI_OPTION_INVALID'].includes(String((err as { code?: unknown }).code));
      process.stderr.write(formatError(msg, usage ? cmd.verb : undefined));
      return containerExitStatus(err, cmd.verb);
    }
    const msg = (err instanceof Error ? err.message : String(err)) + hint;
    ctx.logger.log('error', msg);
    if (!ctx.logger.toStderr) process.stderr.write(msg + '\n');
    // docker's habit (`ct run IMAGE`): no bundle here, so say where running an image is (engines always give one)
    if (cmd.verb === 'run' && (err as { code?: unknown }).code === 'ECONFIG' && /^open config: .*: no such file/.test(msg)) {
      process.stderr.write(`ct: ct run runs an OCI bundle (config.json) as container ID, as runc run; to run an image: ct container run ${cmd.args.join(' ')}\n`);
    }
    // runc's exec exits 255 when the process could not be run (a usage error is 1), apart from any status of its own
    return cmd.verb === 'exec' && (err as { code?: unknown }).code !== 'EUSAGE' ? EXEC_FAILED : 1;
  }
}
