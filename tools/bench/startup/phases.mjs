#!/usr/bin/env node
// Where one `ct` start's CPU goes (issue 21, by hand: not a benchmark with a target). Two measurements:
// 1. Phases, interleaved per round: each command runs with a preload (`node -r`) that reads the process's CPU
//    time (getrusage, all threads) when Node is about to run the entry, and again at exit. "Node" is what Node
//    spent before the entry (its own start-up), "entry" what the entry cost after it. Peers: `node -e 0`, an
//    empty CommonJS and an empty ES-module entry (what the entry's format costs), `ct --version` and `ct state`
//    of a missing id (parsing, the runtime context, the state root, the error), from the bundle and from dist/.
// 2. A CPU profile (`node --cpu-prof`) of `ct state` per run: sampled time by what runs, Node's module loaders
//    and the bundle's compile (vm.Script with its code cache), ct's code, GC, native code V8 does not attribute.
//
//    `--all` profiles `ct run` of /bin/true (busybox bundle), a warm `ct container run --rm` and `ct image unpack`
//    of busybox too (wall time there includes the container's, which no profile of the Node process shows).
//
//   node tools/bench/startup/phases.mjs [--runs 20] [--profiles 5] [--all] [--json]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeBundle, repoRoot, testImage } from '../lib/bundle.mjs';
import { loadText, waitForQuiet, loadAtEnd } from '../lib/quiet.mjs';
import { printRows } from '../lib/report.mjs';
import { workDir } from '../lib/runstat.mjs';
import { summarize } from '../lib/stats.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' }, profiles: { type: 'string', default: '5' }, json: { type: 'boolean', default: false },
    all: { type: 'boolean', default: false }, 'max-load': { type: 'string', default: '1' }, 'quiet-wait': { type: 'string', default: '0' },
  },
});
const runs = Number(values.runs);
const say = (/** @type {string} */ t) => (values.json ? process.stderr.write(`${t}\n`) : console.log(t));
const load = await waitForQuiet(values, say);
const tmp = mkdtempSync(join(workDir(), 'phases-'));
const marks = join(tmp, 'marks.cjs');
const out = join(tmp, 'marks.jsonl');
writeFileSync(marks, `'use strict';
const boot = process.cpuUsage();
process.on('exit', () => {
  const end = process.cpuUsage();
  require('node:fs').appendFileSync(${JSON.stringify(out)}, JSON.stringify({ peer: process.env.CT_PHASE_PEER, boot: (boot.user + boot.system) / 1000, total: (end.user + end.system) / 1000 }) + '\\n');
});
`);
writeFileSync(join(tmp, 'empty.cjs'), '');
writeFileSync(join(tmp, 'empty.mjs'), '');
const ctBin = join(repoRoot, 'apps/ct/bin/ct.js');
const state = ['state', '--root', join(tmp, 'state'), 'none'];
/** @type {{name: string, argv: string[], env?: Record<string, string>}[]} */
const peers = [
  { name: 'node -e 0', argv: ['-e', '0'] },
  { name: 'empty .cjs', argv: [join(tmp, 'empty.cjs')] },
  { name: 'empty .mjs', argv: [join(tmp, 'empty.mjs')] },
  { name: 'ct --version', argv: [ctBin, '--version'] },
  { name: 'ct state', argv: [ctBin, ...state] },
  { name: 'ct state (ESM)', argv: [ctBin, ...state], env: { CT_NO_BUNDLE: '1' } },
];
for (let round = 0; round < runs + 2; round++) {
  for (let k = 0; k < peers.length; k++) {
    const p = /** @type {(typeof peers)[number]} */ (peers[(round + k) % peers.length]);
    spawnSync(process.execPath, ['-r', marks, ...p.argv], { stdio: 'ignore', cwd: tmp, env: { ...process.env, ...p.env, CT_PHASE_PEER: round < 2 ? 'warm-up' : p.name } });
  }
}
/** @type {Record<string, {boot: number[], entry: number[], total: number[]}>} */
const phases = {};
for (const line of readFileSync(out, 'utf8').trim().split('\n')) {
  const m = JSON.parse(line);
  if (m.peer === 'warm-up') continue;
  const p = (phases[m.peer] ??= { boot: [], entry: [], total: [] });
  p.boot.push(m.boot);
  p.entry.push(m.total - m.boot);
  p.total.push(m.total);
}

/** The category of a profile sample, from its stack (leaf first). @param {{url: string, functionName: string}[]} stack */
function category(stack) {
  const leaf = stack[0];
  if (leaf === undefined) return 'other';
  if (leaf.functionName === '(garbage collector)') return 'GC';
  if (leaf.functionName === '(idle)') return 'idle';
  if (leaf.functionName === '(program)') return 'native, unattributed';
  const ct = stack.findIndex((f) => f.url.includes('/apps/ct/') || f.url.includes('/packages/'));
  if (ct === 0) return "ct's code";
  if (ct > 0) {
    if (stack.slice(0, ct).some((f) => f.functionName === 'runInThisContext' || f.functionName === 'Script' || /compile/i.test(f.functionName))) return 'compiling the bundle or modules';
    if (stack.slice(0, ct).some((f) => f.url.includes('node:internal/modules'))) return "module loading (ct's)";
    return 'Node APIs called by ct';
  }
  if (stack.some((f) => f.url.includes('node:internal/modules'))) return 'module loading (Node)';
  return 'Node, other';
}

/**
 * Sampled ms by category (medians of `n` CPU profiles) of `node --cpu-prof` running `argv`, made ready by
 * `before(i)` (untimed) each time.
 * @param {string[]} argv @param {number} n @param {(i: number) => void} [before]
 */
function profileOf(argv, n, before) {
  const profileDir = join(tmp, 'prof');
  /** @type {Record<string, number[]>} */
  const byCategory = {};
  for (let i = 0; i < n; i++) {
    before?.(i);
    rmSync(profileDir, { recursive: true, force: true });
    spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profileDir, ...argv.map((a) => a.replaceAll('{i}', String(i)))], { stdio: 'ignore', cwd: tmp });
    const file = readdirSync(profileDir)[0];
    if (file === undefined) continue;
    /** @type {{nodes: {id: number, callFrame: {url: string, functionName: string}, children?: number[]}[], samples: number[], timeDeltas: number[]}} */
    const prof = JSON.parse(readFileSync(join(profileDir, file), 'utf8'));
    /** @type {Map<number, number>} */
    const parent = new Map();
    const nodes = new Map(prof.nodes.map((x) => [x.id, x]));
    for (const x of prof.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
    /** @type {Record<string, number>} */
    const ms = {};
    prof.samples.forEach((id, k) => {
      const stack = [];
      for (let at = /** @type {number | undefined} */ (id); at !== undefined; at = parent.get(at)) {
        const x = nodes.get(at);
        if (x !== undefined && x.callFrame.functionName !== '(root)') stack.push(x.callFrame);
      }
      const c = category(stack);
      ms[c] = (ms[c] ?? 0) + (prof.timeDeltas[k + 1] ?? 0) / 1000;
    });
    for (const [c, v] of Object.entries(ms)) (byCategory[c] ??= []).push(v);
  }
  return Object.fromEntries(Object.entries(byCategory).map(([k, v]) => [k, summarize(v).median]));
}

const profiles = Number(values.profiles);
/** @type {Record<string, Record<string, number>>} */
const profile = { 'ct state (missing id)': profileOf([ctBin, ...state], profiles) };
if (values.all === true) {
  const rootless = process.geteuid?.() !== 0;
  const bundle = makeBundle(join(tmp, 'bundle'), { image: testImage('busybox'), args: ['/bin/true'], rootless });
  profile['ct run /bin/true'] = profileOf([ctBin, '--root', join(tmp, 'state'), 'run', '--bundle', bundle, `phases-${process.pid}-{i}`], profiles);
  const store = join(tmp, 'store');
  spawnSync(process.execPath, [ctBin, 'image', 'import', '--storage-root', store, `${testImage('busybox')}:latest`, '--name', 'phases-busybox'], { stdio: 'ignore' });
  profile['ct container run --rm (warm)'] = profileOf([ctBin, 'container', 'run', '--rm', '--network', 'none', '--storage-root', store, 'phases-busybox', 'true'], profiles);
  profile['ct image unpack (busybox)'] = profileOf([ctBin, 'image', 'unpack', `${testImage('busybox')}:latest`, join(tmp, 'unpacked')], profiles,
    () => rmSync(join(tmp, 'unpacked'), { recursive: true, force: true }));
}
rmSync(tmp, { recursive: true, force: true });

const loadRecord = loadAtEnd(load);
const result = {
  load: loadRecord, runs,
  phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, { boot: summarize(v.boot).median, entry: summarize(v.entry).median, total: summarize(v.total).median }])),
  profile, profiles,
};
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  const f = (/** @type {number | undefined} */ n) => (n === undefined ? '-' : n.toFixed(1));
  console.log(`startup phases: ${runs} interleaved runs, ${loadText(loadRecord)}; CPU ms, medians`);
  printRows([['peer', 'Node (before the entry)', 'entry', 'total'], ...Object.entries(result.phases).map(([k, v]) => [k, f(v.boot), f(v.entry), f(v.total)])]);
  for (const [what, cats] of Object.entries(profile)) {
    const sum = Object.values(cats).reduce((a, b) => a + b, 0);
    console.log(`\n${what}, ${profiles} CPU profiles: sampled ms by what runs (medians; sum ${f(sum)})`);
    printRows([['what', 'ms'], ...Object.entries(cats).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, f(v)])]);
  }
}
