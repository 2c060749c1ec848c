// Time to first output: start a command, note when the first byte of its stdout arrives and when it exits.
// This is what a person typing `ct container run IMAGE echo hi` waits for; wall time only (the CPU of a daemonless
// engine's helpers is not all in its own process tree: podman's conmon double-forks away).
// Man pages: pipe(7).

import { spawn } from 'node:child_process';

/**
 * @typedef {object} FirstOutput
 * @property {number} firstOutputMs spawn to the first stdout byte (NaN if none)
 * @property {number} exitMs spawn to exit
 * @property {number} status exit status (128 + signal when killed)
 * @property {string} stdout
 * @property {string} stderr
 */

/**
 * @param {readonly string[]} argv
 * @param {{env?: NodeJS.ProcessEnv, timeoutMs?: number}} [options]
 * @returns {Promise<FirstOutput>}
 */
export function measureFirstOutput(argv, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const t0 = process.hrtime.bigint();
    const since = () => Number(process.hrtime.bigint() - t0) / 1e6;
    const child = spawn(argv[0] ?? '', argv.slice(1), { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let first = Number.NaN;
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.stdout.on('data', (chunk) => {
      if (Number.isNaN(first)) first = since();
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`spawn ${argv[0]}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const status = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
      resolvePromise({ firstOutputMs: first, exitMs: since(), status, stdout, stderr });
    });
  });
}
