// Command-line options shared by the benchmarks: --runs, --warmup, --json, --help, the quiet-machine guard's
// --max-load and --quiet-wait (quiet.mjs), plus each script's own.

import { parseArgs } from 'node:util';
import { quietOptions } from './quiet.mjs';

/**
 * @template {Record<string, {type: 'string' | 'boolean', default?: string | boolean, description: string}>} T
 * @param {string} usage first line of --help
 * @param {T} own the script's own options
 * @param {{runs: number, warmup: number}} defaults
 */
export function parseBenchArgs(usage, own, defaults) {
  const common = {
    runs: { type: /** @type {const} */ ('string'), default: String(defaults.runs), description: 'measured runs per peer' },
    warmup: { type: /** @type {const} */ ('string'), default: String(defaults.warmup), description: 'discarded warm-up runs per peer' },
    json: { type: /** @type {const} */ ('boolean'), default: false, description: 'print one JSON document on stdout instead of tables' },
    help: { type: /** @type {const} */ ('boolean'), default: false, description: 'this text' },
  };
  const options = { ...common, ...quietOptions, ...own };
  const parsed = parseArgs({ options, strict: true, allowPositionals: false });
  const values = /** @type {Record<string, string | boolean | undefined>} */ (parsed.values);
  if (values.help) {
    console.log(usage);
    for (const [name, o] of Object.entries(options)) {
      console.log(`  --${name}${o.type === 'string' ? ' N' : ''}  ${o.description}${o.default !== undefined && o.type === 'string' ? ` (default ${o.default})` : ''}`);
    }
    process.exit(0);
  }
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: ${values.runs}: not a positive integer`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`--warmup: ${values.warmup}: not a non-negative integer`);
  return { values, runs, warmup, json: values.json === true };
}
