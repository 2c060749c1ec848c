/**
 * Runs one bundle through one runtime's command line as an engine does (`create`, `state`, `start`, `state`,
 * `kill`, `state` until stopped, `delete`), with the probe's `report --wait` as the container process, and collects
 * what can be compared with another runtime: each step's exit status, each state document, the probe's report,
 * the hooks' records and what the runtime left behind. Nothing here compares or normalises (see normalise.ts).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ctBin } from '../runtime-harness.js';

/** The runtimes the harness can drive. */
export type RuntimeName = 'runc' | 'ct' | 'crun';

/** The unprivileged user the rootless suites run as when the tests run as root. */
export interface TestUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly runtimeDir: string;
}

/** One call's exit status and output. */
export interface Call {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A runtime's binary with its own --root, called directly or (rootless from a root test) as `user`. */
export class ConformanceRuntime {
  constructor(readonly name: RuntimeName, readonly root: string, readonly user?: TestUser) {}

  /** The command line of `<runtime> --root ROOT ...args`, through runuser when the runtime runs as `user`. */
  command(args: readonly string[]): string[] {
    const argv = this.name === 'ct' ? [process.execPath, ctBin] : [this.name];
    const full = [...argv, '--root', this.root, ...args];
    if (this.user === undefined) return full;
    return ['runuser', '-u', this.user.name, '--', 'env', `XDG_RUNTIME_DIR=${this.user.runtimeDir}`, 'HOME=/tmp', 'TMPDIR=/tmp', ...full];
  }

  /**
   * Run a verb with stdout and stderr going to files in `dir` named after `tag` (files, not pipes: a created
   * container keeps the stdio `create` was given, so a pipe would not reach EOF until the container exits).
   */
  call(args: readonly string[], dir: string, tag: string, timeoutMs = 60_000): Call {
    const outFile = join(dir, `${this.name}-${tag}.out`);
    const errFile = join(dir, `${this.name}-${tag}.err`);
    const out = openSync(outFile, 'w', 0o666);
    const err = openSync(errFile, 'w', 0o666);
    // stdin is an empty file of the run, never /dev/null: crun 1.8.1 fchowns the container's stdio to its root
    // user when there is a user namespace, /dev/null included (crun issue 1845), which chowned the host's /dev/null
    const inp = openSync(join(dir, `${this.name}-${tag}.in`), 'w+', 0o666);
    try {
      const cmd = this.command(args);
      const r = spawnSync(cmd[0] ?? '', cmd.slice(1), { cwd: '/', timeout: timeoutMs, stdio: [inp, out, err] });
      const stderr = readFileSync(errFile, 'utf8') + (r.error !== undefined ? `\n(spawn: ${r.error.message})` : '');
      return { status: r.status, stdout: readFileSync(outFile, 'utf8'), stderr };
    } finally {
      closeSync(inp);
      closeSync(out);
      closeSync(err);
    }
  }
}

/** What one runtime did with one bundle. */
export interface RunOutcome {
  /** `create`'s exit status and error text (stderr) when it failed. */
  readonly create: Call;
  /** One entry per step after create: `verb:status`, `state:<status>` or `state:error`. */
  readonly steps: string[];
  /** The state documents, by step label (created, running, stopped). */
  readonly states: Record<string, Record<string, unknown>>;
  /** The probe's report (parsed), when the container ran and printed it. */
  readonly report?: Record<string, unknown>;
  /** Lines on the container's stdout that are not the report (nothing, when all is well). */
  readonly otherOutput: string[];
  /** The hooks' records (`ct-probe hook-record`), by hook kind. */
  readonly hookRecords: Record<string, unknown>;
  /** What was left behind after delete: state dirs, cgroup dirs. */
  readonly leftovers: string[];
}

/** Where one run keeps its files, and how to find what it left behind. */
export interface RunPlace {
  /** Directory for the runtime calls' output files. */
  readonly dir: string;
  /** The container id. */
  readonly id: string;
  /** Host files hooks write their records to: kind → path. */
  readonly hookFiles: Record<string, string>;
  /** cgroup v1 directories the container's cgroup must not leave behind (checked as root only). */
  readonly cgroupDirs: readonly string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Parse `state`'s output, or undefined. */
function stateOf(rt: ConformanceRuntime, place: RunPlace, tag: string): Record<string, unknown> | undefined {
  const r = rt.call(['state', place.id], place.dir, tag);
  if (r.status !== 0) return undefined;
  try {
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    return { unparsable: r.stdout };
  }
}

/** Wait until the container's stdout holds a complete line (the report), up to `ms`. */
async function waitForReport(file: string, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (text.includes('\n') || Date.now() > deadline) return text;
    await sleep(50);
  }
}

/** Poll `state` until its status is `want` or 10 s passed; returns the last state seen. */
async function waitForStatus(rt: ConformanceRuntime, place: RunPlace, want: string): Promise<Record<string, unknown> | undefined> {
  let seen: Record<string, unknown> | undefined;
  for (let i = 0; i < 200; i++) {
    seen = stateOf(rt, place, 'wait');
    if (seen === undefined || seen['status'] === want) return seen;
    await sleep(50);
  }
  return seen;
}

/**
 * Drive `rt` through the lifecycle on `bundle` as `place.id`. Always ends with the container deleted
 * (`delete --force` when a step failed or something was left), after `leftovers` recorded what delete left.
 */
export async function runLifecycle(rt: ConformanceRuntime, bundle: string, place: RunPlace): Promise<RunOutcome> {
  const steps: string[] = [];
  const states: Record<string, Record<string, unknown>> = {};
  const create = rt.call(['create', '--bundle', bundle, place.id], place.dir, 'create');
  let report: Record<string, unknown> | undefined;
  const otherOutput: string[] = [];
  if (create.status === 0) {
    const record = (label: string, s: Record<string, unknown> | undefined): void => {
      steps.push(`state:${s === undefined ? 'error' : String(s['status'])}`);
      if (s !== undefined) states[label] = s;
    };
    record('created', stateOf(rt, place, 'state-created'));
    const start = rt.call(['start', place.id], place.dir, 'start');
    steps.push(`start:${start.status}`);
    // after a failed start the process may still have printed (it is started before a startContainer hook fails)
    const text = await waitForReport(join(place.dir, `${rt.name}-create.out`), start.status === 0 ? 30_000 : 2_000);
    for (const line of text.split('\n').filter((l) => l !== '')) {
      if (report === undefined && line.startsWith('{')) {
        try {
          report = JSON.parse(line) as Record<string, unknown>;
          continue;
        } catch {
          // not the report: kept as other output below
        }
      }
      otherOutput.push(line);
    }
    record('running', stateOf(rt, place, 'state-running'));
    steps.push(`kill:${rt.call(['kill', place.id, 'TERM'], place.dir, 'kill').status}`);
    await sleep(100);
    record('stopped', await waitForStatus(rt, place, 'stopped'));
    steps.push(`delete:${rt.call(['delete', place.id], place.dir, 'delete').status}`);
  }
  // what is left must be nothing: looked at before the forced delete that cleans up after a failed step
  const leftovers = leftoversOf(rt, place);
  if (leftovers.length > 0 || !steps.includes('delete:0')) rt.call(['delete', '--force', place.id], place.dir, 'cleanup');
  // a cgroup the runtime leaves even then (crun 1.8.1 does for some linux.resources cases) must not stay on the host
  for (const dir of place.cgroupDirs) if (existsSync(dir)) spawnSync('rmdir', [dir]);
  const hookRecords: Record<string, unknown> = {};
  for (const [kind, file] of Object.entries(place.hookFiles)) {
    if (!existsSync(file)) continue;
    try {
      hookRecords[kind] = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    } catch {
      hookRecords[kind] = { unparsable: readFileSync(file, 'utf8') };
    }
  }
  return { create, steps, states, ...(report !== undefined ? { report } : {}), otherOutput, hookRecords, leftovers };
}

/** State directories and cgroup directories named after the container that still exist. */
function leftoversOf(rt: ConformanceRuntime, place: RunPlace): string[] {
  const found: string[] = [];
  const stateDir = join(rt.root, place.id);
  // an unprivileged runtime's root may not be readable by a root test through runuser's user: check with test -e
  const exists = (p: string): boolean => rt.user === undefined ? existsSync(p) : spawnSync('test', ['-e', p]).status === 0;
  if (exists(stateDir)) found.push(`state dir ${stateDir.replace(place.id, '<id>')}`);
  for (const dir of place.cgroupDirs) if (existsSync(dir)) found.push(`cgroup ${dir.replace(place.id, '<id>')}`);
  return found;
}

/** The v1 hierarchies mounted under /sys/fs/cgroup (directories that are not symlinks), for leftover checks. */
export function cgroupHierarchies(): string[] {
  try {
    return readdirSync('/sys/fs/cgroup', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join('/sys/fs/cgroup', d.name));
  } catch {
    return [];
  }
}

/**
 * Unmount what a runtime left mounted on the host below `dir` (runc and crun mount in the caller's mount namespace
 * when the config has none, and leave those mounts): deepest first, lazily. Returns the mount points.
 */
export function unmountBelow(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(`${dir}/`)).sort().reverse();
  for (const p of points) spawnSync('umount', ['-l', p]);
  return points;
}
