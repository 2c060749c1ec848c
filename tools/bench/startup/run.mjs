#!/usr/bin/env node
// Benchmark (issue 21): what one `ct` start costs in CPU beside Node's own start, `node -e 0`. Peers, interleaved
// per round: `node -e 0`; `ct --version`; `ct state ID` of a created container (busybox bundle, /bin/true, held
// at the exec FIFO); and the same two ct commands run from the ES modules in dist/ (CT_NO_BUNDLE=1), so the
// bundle's effect shows beside them. Target: ct state CPU <= 1.2x node -e 0 (--version is held to the same).
// As root; `--rootless-user ctci` adds the same run as that user (rootless bundle and state root).
//
//   node tools/bench/startup/run.mjs [--runs 40] [--warmup 3] [--json] [--rootless-user ctci] [--no-root]
//     [--baseline-tree DIR (another built checkout: its ct state and --version too, interleaved)]

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { measurePeers } from '../lib/bench-loop.mjs';
import { makeBundle, repoRoot, testImage } from '../lib/bundle.mjs';
import { parseBenchArgs } from '../lib/cli.mjs';
import { isRoot, rerunAsUser } from '../lib/host.mjs';
import { Progress } from '../lib/progress.mjs';
import { loadAtEnd, loadText, waitForQuiet } from '../lib/quiet.mjs';
import { computeRatios, describeMachine, printSection } from '../lib/report.mjs';
import { runDir, runSequence } from '../lib/runstat.mjs';

const { values, runs, warmup, json } = parseBenchArgs(
  'node tools/bench/startup/run.mjs [options]: ct --version and ct state, CPU against node -e 0',
  {
    'rootless-user': { type: 'string', description: 'also run the benchmark as this unprivileged user' },
    'no-root': { type: 'boolean', default: false, description: 'skip the run as the current user (with --rootless-user)' },
    'baseline-tree': { type: 'string', description: 'also run both ct commands from this other built checkout (an A/B of two trees, interleaved)' },
  },
  { runs: 40, warmup: 3 },
);
const progress = new Progress(!json && process.stderr.isTTY === true);
const say = (/** @type {string} */ t) => (json ? process.stderr.write(`${t}\n`) : console.log(t));
const ctBin = join(repoRoot, 'apps/ct/bin/ct.js');
const other = typeof values['baseline-tree'] === 'string' && values['baseline-tree'] !== '' ? values['baseline-tree'] : undefined;
const TARGET = 1.2;

/** One full benchmark as the current user. */
function benchHere() {
  const rootless = !isRoot();
  const base = runDir('startup');
  progress.update('startup: unpacking the bundle');
  const bundle = makeBundle(join(base, 'bundle'), { image: testImage('busybox'), args: ['/bin/true'], rootless });
  const ct = [process.execPath, ctBin, '--root', join(base, 'state')];
  const id = `bench-startup-${process.pid}`;
  const made = runSequence([[...ct, 'create', '--bundle', bundle, id]], { cwd: bundle });
  if (!made.ok) throw new Error(`startup: ct create ${id}: ${made.stderr.trim()}`);
  const esm = { ...process.env, CT_NO_BUNDLE: '1' };
  try {
    const results = measurePeers([
      { name: 'node -e 0', commands: () => [[process.execPath, '-e', '0']] },
      { name: 'ct --version', commands: () => [[process.execPath, ctBin, '--version']] },
      { name: 'ct state', commands: () => [[...ct, 'state', id]] },
      { name: 'ct --version (ESM)', env: esm, commands: () => [[process.execPath, ctBin, '--version']] },
      { name: 'ct state (ESM)', env: esm, commands: () => [[...ct, 'state', id]] },
      ...(other === undefined ? [] : [
        { name: 'ct --version (baseline)', commands: () => [[process.execPath, join(other, 'apps/ct/bin/ct.js'), '--version']] },
        { name: 'ct state (baseline)', commands: () => [[process.execPath, join(other, 'apps/ct/bin/ct.js'), ...ct.slice(2), 'state', id]] },
      ]),
    ], { runs, warmup, label: `${rootless ? 'rootless' : 'root'} startup`, progress });
    const specs = [
      { what: 'ct state/node', subject: 'ct state', baseline: 'node -e 0', target: TARGET, metric: /** @type {const} */ ('cpu') },
      { what: 'ct --version/node', subject: 'ct --version', baseline: 'node -e 0', target: TARGET, metric: /** @type {const} */ ('cpu') },
      { what: 'ct state (ESM)/node', subject: 'ct state (ESM)', baseline: 'node -e 0' },
      { what: 'ct --version (ESM)/node', subject: 'ct --version (ESM)', baseline: 'node -e 0' },
      ...(other === undefined ? [] : [
        { what: 'ct state/baseline tree', subject: 'ct state', baseline: 'ct state (baseline)', metric: /** @type {const} */ ('cpu') },
        { what: 'ct --version/baseline tree', subject: 'ct --version', baseline: 'ct --version (baseline)', metric: /** @type {const} */ ('cpu') },
      ]),
    ];
    return { mode: rootless ? 'rootless' : 'root', results, ratios: computeRatios(results, specs) };
  } finally {
    runSequence([[...ct, 'delete', '--force', id]]);
    rmSync(base, { recursive: true, force: true });
  }
}

const load = await waitForQuiet(values, say);
const machine = describeMachine();
/** @type {ReturnType<typeof benchHere>[]} */
const modes = [];
if (!values['no-root']) modes.push(benchHere());
const user = values['rootless-user'];
if (typeof user === 'string' && user !== '') {
  if (!isRoot()) throw new Error('--rootless-user: needs root (runuser)');
  progress.update(`startup: running as ${user}`);
  modes.push(...JSON.parse(rerunAsUser(user, ['--json', '--runs', String(runs), '--warmup', String(warmup), ...(other === undefined ? [] : ['--baseline-tree', other])])).modes);
}
progress.clear();
const loadRecord = loadAtEnd(load);

if (json) {
  console.log(JSON.stringify({ bench: 'startup', machine, load: loadRecord, runs, warmup, target: { 'ct state/node cpu': TARGET }, modes }, null, 2));
} else {
  console.log(`startup: ${machine.date}, ${machine.cpus} cpus, ${loadText(loadRecord)}, ${runs} runs + ${warmup} warm-up per peer`);
  for (const m of modes) printSection(`${m.mode}: one ct start against node -e 0 (CPU is the figure; ESM = CT_NO_BUNDLE=1)`, m.results, m.ratios);
}
