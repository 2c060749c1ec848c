/**
 * `ps <id> [ps options]` as runc prints it: the host's ps(1) run with the options given (`-ef` when none), its
 * header, then each line whose PID column names one of the container's processes.
 * Man pages: ps(1).
 */
import { spawnSync } from 'node:child_process';
import { RuntimeError } from './errors.js';

/** runc's default options. */
const DEFAULT_PS_ARGS = ['-ef'];

/**
 * The lines of `ps psArgs` for `pids`, header first, each line ending in a newline.
 * @throws RuntimeError ESYSTEM (ps cannot be run or fails), EUSAGE (its output has no PID column: options such as
 *   `-o comm` that leave it out).
 */
export function processTable(pids: readonly number[], psArgs: readonly string[]): string {
  const args = psArgs.length === 0 ? DEFAULT_PS_ARGS : psArgs;
  const r = spawnSync('ps', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error !== undefined) throw new RuntimeError('ESYSTEM', `ps: unable to execute ps ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new RuntimeError('ESYSTEM', `ps ${args.join(' ')} failed (status ${String(r.status)}): ${r.stderr.trim()}`);
  const [header = '', ...lines] = r.stdout.split('\n');
  const column = header.trim().split(/\s+/).indexOf('PID');
  if (column < 0) throw new RuntimeError('EUSAGE', `ps ${args.join(' ')}: its output has no PID column (add pid to -o)`);
  const wanted = new Set(pids);
  const rows = lines.filter((line) => line.trim() !== '' && wanted.has(Number(line.trim().split(/\s+/)[column])));
  return [header, ...rows].map((l) => `${l}\n`).join('');
}
