/**
 * Helpers shared by the engine suites (podman, containerd): a wrapper script that runs ct with a private state root,
 * a bounded command runner, and the leftover checks every engine suite ends with (no process naming its temp dir,
 * no mount under it). Man pages: proc(5) (/proc/PID/cmdline, /proc/self/mountinfo).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ctBin } from './runtime-harness.js';

/** Result of one engine command. */
export interface EngineRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run `command` with a hard time limit: SIGKILL, since engines' clients (ctr, podman) forward SIGTERM to the
 * container's process instead of ending.
 */
export function runBounded(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): EngineRun {
  const r = spawnSync(command, args, {
    encoding: 'utf8', timeout: options.timeoutMs ?? 60_000, killSignal: 'SIGKILL',
    ...(options.env !== undefined ? { env: options.env } : {}), ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * Write `dir/ct`, a shell script running ct with `--root stateRoot` and the engine's arguments: engines do not pass
 * `--root` (podman) or pass their own, so the wrapper keeps ct's state private to the test. Returns its path.
 */
export function writeCtWrapper(dir: string, stateRoot: string): string {
  const path = join(dir, 'ct');
  writeFileSync(path, `#!/bin/sh\nexec node ${ctBin} --root ${stateRoot} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Pids whose command line mentions `dir` (engines, shims, conmon and ct keep the temp dir in their arguments). */
export function processesUnder(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/** Mount points under `dir`, from /proc/self/mountinfo. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(dir));
}

/**
 * Whether process `pid` has ended (gone, or a zombie its parent has not reaped: a child of ours stays one while
 * waitFor blocks the event loop).
 */
export function processEnded(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

/** Wait (polling, at most `ms`, blocking the event loop) until `done()` holds; returns whether it did. */
export function waitFor(done: () => boolean, ms: number): boolean {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (done()) return true;
    spawnSync('sleep', ['0.1']);
  }
  return done();
}
