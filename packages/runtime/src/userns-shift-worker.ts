/**
 * The process that re-owns layer copies for a `--userns` mode (userns-shift-tree.ts): started by shiftImageLayers
 * (userns-shift.ts) in a user namespace with the default map, the caller as root with every capability.
 * Usage: node userns-shift-worker.js JOB (a ShiftJob as JSON). Exit status 0, or 1 with the error on stderr.
 * Man pages: user_namespaces(7).
 */
import { runShiftJob, type ShiftJob } from './userns-shift-tree.js';

try {
  runShiftJob(JSON.parse(process.argv[2] ?? '{}') as ShiftJob);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
