/**
 * Where the example's hooks write: one line per event, `EVENT JSON`, appended to the file named by
 * $CT_PLUGIN_EXAMPLE_LOG (nothing is written when it is unset). When $CT_PLUGIN_EXAMPLE_FAIL names the event, the
 * hook throws after writing its line instead (to show that a failing hook does not fail ct).
 */
import { appendFileSync } from 'node:fs';

/**
 * Append one event line.
 * @param {string} event the hook event name
 * @param {Record<string, unknown>} fields the payload fields to record
 */
export function logEvent(event, fields) {
  const file = process.env.CT_PLUGIN_EXAMPLE_LOG;
  if (!file) return;
  appendFileSync(file, `${event} ${JSON.stringify(fields)}\n`);
  if (process.env.CT_PLUGIN_EXAMPLE_FAIL === event) throw new Error(`${event}: failing as CT_PLUGIN_EXAMPLE_FAIL asks`);
}
