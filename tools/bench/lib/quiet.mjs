// The quiet-machine guard (issue 21): before measuring, wait until the 1-minute load average is at most
// --max-load (default: half the CPUs), polling every 5 s for up to --quiet-wait seconds (default 600; 0: do not
// wait). Then measure anyway, and say so: every report carries the load at the start and at the end, and whether
// the machine was quiet. Ratios of interleaved peers stay comparable under load; absolute figures do not.
// Man page: proc(5) (/proc/loadavg).

import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options this guard adds to every benchmark's command line (lib/cli.mjs). */
export const quietOptions = {
  'max-load': { type: /** @type {const} */ ('string'), default: String(Math.max(1, cpus().length / 2)), description: 'wait until the 1-minute load average is at most this' },
  'quiet-wait': { type: /** @type {const} */ ('string'), default: '600', description: 'seconds to wait for that load at most (0: measure at once)' },
};

/**
 * @typedef {object} LoadRecord
 * @property {number} maxLoad the threshold asked for
 * @property {number} waitedS seconds spent waiting
 * @property {number} atStart 1-minute load average when measuring began
 * @property {number} [atEnd] the same when it ended (loadAtEnd)
 * @property {boolean} quiet atStart <= maxLoad
 */

const load1 = () => Number((loadavg()[0] ?? 0).toFixed(2));

/**
 * Wait for a quiet machine as the options say; progress on `say`.
 * @param {Record<string, string | boolean | undefined>} values parsed options (quietOptions among them)
 * @param {(text: string) => void} say
 * @returns {Promise<LoadRecord>}
 */
export async function waitForQuiet(values, say) {
  const maxLoad = Number(values['max-load']);
  const limitS = Number(values['quiet-wait']);
  if (!(maxLoad > 0)) throw new Error(`--max-load: ${values['max-load']}: not a positive number`);
  if (!(limitS >= 0)) throw new Error(`--quiet-wait: ${values['quiet-wait']}: not a number of seconds`);
  const start = Date.now();
  let told = false;
  while (load1() > maxLoad && (Date.now() - start) / 1000 < limitS) {
    if (!told) say(`waiting up to ${limitS} s for load <= ${maxLoad} (now ${load1()})`);
    told = true;
    await sleep(5000);
  }
  const atStart = load1();
  const waitedS = Math.round((Date.now() - start) / 1000);
  if (atStart > maxLoad) say(`NOT QUIET: load ${atStart} > ${maxLoad} after ${waitedS} s; measuring anyway (figures are inflated)`);
  return { maxLoad, waitedS, atStart, quiet: atStart <= maxLoad };
}

/** `record` with the load at the end. @param {LoadRecord} record @returns {LoadRecord} */
export function loadAtEnd(record) {
  return { ...record, atEnd: load1() };
}

/** One line for a report. @param {LoadRecord} r */
export function loadText(r) {
  const end = r.atEnd === undefined ? '' : `, ${r.atEnd} at the end`;
  return `load ${r.atStart} at the start${end} (${r.quiet ? 'quiet' : `NOT quiet: above ${r.maxLoad}`}${r.waitedS > 0 ? `, after waiting ${r.waitedS} s` : ''})`;
}
