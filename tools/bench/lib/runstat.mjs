// Runs command sequences through runstat (runstat.c beside this file, compiled on first use with the system's cc)
// and returns each command's wall time, CPU time and peak RSS. The commands' stdout and stderr go to files, so a
// container left running by `create` cannot hold a pipe the harness waits on.
// Man pages: wait4(2), getrusage(2).

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = join(dirname(fileURLToPath(import.meta.url)), 'runstat.c');

/**
 * @typedef {object} StepResult one command of a sequence
 * @property {number} status exit status (128 + signal when killed)
 * @property {number} wallMs
 * @property {number} cpuMs user + system, the command and the descendants it reaped
 * @property {number} maxRssKb peak RSS of the command or its largest reaped descendant
 */

/**
 * @typedef {object} SequenceResult
 * @property {boolean} ok every command exited 0
 * @property {StepResult[]} steps one per command run (the sequence stops at the first failure)
 * @property {string} stdout what the commands wrote (all of them, in order)
 * @property {string} stderr
 */

/** A private work dir for the current user (the bench runs as root and as an unprivileged user). */
export function workDir() {
  const dir = join(tmpdir(), `ct-bench-${process.getuid?.() ?? 'u'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * A fresh directory for one run of a benchmark (under workDir(), named by `name`), so that two runs at the same
 * time (two sessions benchmarking) never share bundles, state roots or unpack targets. The caller removes it.
 * @param {string} name
 */
export function runDir(name) {
  return mkdtempSync(join(workDir(), `${name}-`));
}

/**
 * Path of the runstat binary, compiled when missing or older than its source.
 * @returns {string}
 */
export function runstatPath() {
  const bin = join(workDir(), 'runstat');
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(source).mtimeMs) return bin;
  const cc = spawnSync('cc', ['-O2', '-Wall', '-o', bin, source], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) {
    throw new Error(`compile runstat: ${source}: ${cc.error?.message ?? cc.stderr.trim()} (needs a C compiler: apt-get install gcc)`);
  }
  return bin;
}

/**
 * Run `commands` one after the other, stopping at the first that fails.
 * @param {readonly (readonly string[])[]} commands
 * @param {{cwd?: string, env?: NodeJS.ProcessEnv}} [options]
 * @returns {SequenceResult}
 */
export function runSequence(commands, options = {}) {
  const dir = workDir();
  const tag = process.pid;
  const files = { out: join(dir, `cmd-${tag}.out`), err: join(dir, `cmd-${tag}.err`), stats: join(dir, `runstat-${tag}.out`) };
  const outFd = openSync(files.out, 'w');
  const errFd = openSync(files.err, 'w');
  const args = commands.flatMap((c, i) => (i === 0 ? [...c] : ['---', ...c]));
  try {
    const r = spawnSync(runstatPath(), args, {
      cwd: options.cwd, env: { ...(options.env ?? process.env), RUNSTAT_OUT: files.stats }, stdio: ['ignore', outFd, errFd],
    });
    if (r.error) throw new Error(`run runstat: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`runstat: exit ${r.status}: ${readFileSync(files.err, 'utf8').trim()}`);
  } finally {
    closeSync(outFd);
    closeSync(errFd);
  }
  const steps = readFileSync(files.stats, 'utf8').trim().split('\n').filter(Boolean).map((line) => {
    const [status, wallNs, userUs, sysUs, rss] = line.split(' ').map(Number);
    return { status: status ?? -1, wallMs: (wallNs ?? 0) / 1e6, cpuMs: ((userUs ?? 0) + (sysUs ?? 0)) / 1e3, maxRssKb: rss ?? 0 };
  });
  const ok = steps.length === commands.length && steps.every((s) => s.status === 0);
  const result = { ok, steps, stdout: readFileSync(files.out, 'utf8'), stderr: readFileSync(files.err, 'utf8') };
  for (const f of Object.values(files)) rmSync(f, { force: true });
  return result;
}
