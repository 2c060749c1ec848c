#!/usr/bin/env node
// Benchmark (issue 8): the runtime verbs engines call, on one bundle (busybox test image unpacked by umoci, config
// from `runc spec`, process /bin/true without a terminal), for runc, crun, ct (apps/ct/bin/ct.js) and the floor
// of any Node CLI (node-floor.mjs: Node starting and running runc); `ct-esm` is ct from dist/'s ES modules
// (CT_NO_BUNDLE=1, through env(1)), to show what the bundle saves. Two scenarios, interleaved per round:
//   lifecycle  create, start, state, delete --force (four processes, as an engine starts them)
//   run        run (one process that creates, starts, waits and deletes)
// Reports ct/floor (target <= 1.0x: issue 21; #8 asked 1.3x), ct/runc, ct/crun. As root; `--rootless-user ctci` adds the same run as that
// user with `runc spec --rootless` bundles.
//
//   node tools/bench/runtime-verbs/run.mjs [--runs 20] [--warmup 3] [--json] [--rootless-user ctci] [--no-root]

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { measurePeers } from '../lib/bench-loop.mjs';
import { makeBundle, repoRoot, testImage } from '../lib/bundle.mjs';
import { parseBenchArgs } from '../lib/cli.mjs';
import { hasCommand, isRoot, reexecWithCgroupV1Mounts, rerunAsUser, unmountedCgroupV1Controllers } from '../lib/host.mjs';
import { Progress } from '../lib/progress.mjs';
import { loadAtEnd, loadText, waitForQuiet } from '../lib/quiet.mjs';
import { computeRatios, describeMachine, printSection } from '../lib/report.mjs';
import { runDir, runSequence } from '../lib/runstat.mjs';

const { values, runs, warmup, json } = parseBenchArgs(
  'node tools/bench/runtime-verbs/run.mjs [options]: runc, crun, ct and a Node floor on the same bundle',
  {
    'rootless-user': { type: 'string', description: 'also run the benchmark as this unprivileged user (rootless bundles)' },
    'no-root': { type: 'boolean', default: false, description: 'skip the run as the current user (with --rootless-user)' },
  },
  { runs: 20, warmup: 3 },
);
const progress = new Progress(!json && process.stderr.isTTY === true);
const say = (/** @type {string} */ t) => (json ? process.stderr.write(`${t}\n`) : console.log(t));

reexecWithCgroupV1Mounts(unmountedCgroupV1Controllers(), say);

const ctBin = join(repoRoot, 'apps/ct/bin/ct.js');
// ct clones through @ct/syscalls' fork server or directly (CT_FORK_SERVER); `ct` runs the default, and the other
// way is measured beside it as `ct-direct` or `ct-forkserver` (issue 21).
const { FORK_SERVER_DEFAULT } = await import(pathToFileURL(join(repoRoot, 'packages/syscalls/dist/fork-server.js')).href);
const otherClone = FORK_SERVER_DEFAULT ? { name: 'ct-direct', env: 'CT_FORK_SERVER=0' } : { name: 'ct-forkserver', env: 'CT_FORK_SERVER=1' };
const floorBin = join(repoRoot, 'tools/bench/runtime-verbs/node-floor.mjs');

/**
 * Each runtime with its own state root, so none sees another's containers.
 * @param {string} base
 * @returns {Record<string, string[]>} peer name → argv prefix up to the verb
 */
function runtimes(base) {
  /** @type {Record<string, string[]>} */
  const all = {
    runc: ['runc', '--root', join(base, 'runc')],
    crun: ['crun', '--root', join(base, 'crun')],
    ct: [process.execPath, ctBin, '--root', join(base, 'ct')],
    // the same ct from its ES modules in dist/ (not the bundle): what the bundle saves (issue 21)
    'ct-esm': ['env', 'CT_NO_BUNDLE=1', process.execPath, ctBin, '--root', join(base, 'ct-esm')],
    [otherClone.name]: ['env', otherClone.env, process.execPath, ctBin, '--root', join(base, otherClone.name)],
    'node-floor': [process.execPath, floorBin, '--root', join(base, 'floor')],
  };
  if (!hasCommand('crun')) delete all.crun;
  if (!hasCommand('runc')) throw new Error('runc: not on PATH (the floor and the bundles need it)');
  return all;
}

/** @param {string} name @param {string[]} prefix @param {string} bundle @param {string} tag */
function lifecyclePeer(name, prefix, bundle, tag) {
  const id = (/** @type {number} */ i) => `bench-${tag}-${i}`;
  return {
    name,
    cwd: bundle,
    commands: (/** @type {number} */ i) => [
      [...prefix, 'create', '--bundle', bundle, id(i)],
      [...prefix, 'start', id(i)],
      [...prefix, 'state', id(i)],
      [...prefix, 'delete', '--force', id(i)],
    ],
    onFailure: (/** @type {number} */ i) => void runSequence([[...prefix, 'delete', '--force', id(i)]]),
  };
}

/** @param {string} name @param {string[]} prefix @param {string} bundle @param {string} tag */
function runPeer(name, prefix, bundle, tag) {
  const id = (/** @type {number} */ i) => `bench-${tag}-${i}`;
  return {
    name,
    cwd: bundle,
    commands: (/** @type {number} */ i) => [[...prefix, 'run', '--bundle', bundle, id(i)]],
    onFailure: (/** @type {number} */ i) => void runSequence([[...prefix, 'delete', '--force', id(i)]]),
  };
}

/** One full benchmark as the current user. */
function benchHere() {
  const rootless = !isRoot();
  const base = runDir('runtime-verbs');
  progress.update('runtime-verbs: unpacking the bundle');
  const bundle = makeBundle(join(base, 'bundle'), { image: testImage('busybox'), args: ['/bin/true'], rootless });
  const prefixes = runtimes(join(base, 'state'));
  const tag = `${process.pid}`;
  const lifecycle = measurePeers(
    Object.entries(prefixes).map(([n, p]) => lifecyclePeer(n, p, bundle, `${tag}-l-${n}`)),
    { runs, warmup, label: `${rootless ? 'rootless' : 'root'} lifecycle`, progress },
  );
  const run = measurePeers(
    Object.entries(prefixes).map(([n, p]) => runPeer(n, p, bundle, `${tag}-r-${n}`)),
    { runs, warmup, label: `${rootless ? 'rootless' : 'root'} run`, progress },
  );
  rmSync(base, { recursive: true, force: true });
  const specs = [
    { what: 'ct/node-floor', subject: 'ct', baseline: 'node-floor', target: 1.0 },
    { what: 'ct-esm/node-floor', subject: 'ct-esm', baseline: 'node-floor' },
    { what: `${otherClone.name}/node-floor`, subject: otherClone.name, baseline: 'node-floor' },
    { what: `${otherClone.name}/ct`, subject: otherClone.name, baseline: 'ct' },
    { what: 'ct/runc', subject: 'ct', baseline: 'runc' },
    { what: 'ct/crun', subject: 'ct', baseline: 'crun' },
    { what: 'node-floor/runc', subject: 'node-floor', baseline: 'runc' },
  ];
  return {
    mode: rootless ? 'rootless' : 'root',
    bundle,
    scenarios: [
      { name: 'create+start+state+delete', results: lifecycle, ratios: computeRatios(lifecycle, specs) },
      { name: 'run', results: run, ratios: computeRatios(run, specs) },
    ],
  };
}

const load = await waitForQuiet(values, say);
const machine = describeMachine(['runc', 'crun']);
/** @type {ReturnType<typeof benchHere>[]} */
const modes = [];
if (!values['no-root']) modes.push(benchHere());
const user = values['rootless-user'];
if (typeof user === 'string' && user !== '') {
  if (!isRoot()) throw new Error('--rootless-user: needs root (runuser)');
  progress.update(`runtime-verbs: running as ${user}`);
  const args = ['--json', '--runs', String(runs), '--warmup', String(warmup)];
  modes.push(...JSON.parse(rerunAsUser(user, args)).modes);
}

progress.clear();
const loadRecord = loadAtEnd(load);
if (json) {
  console.log(JSON.stringify({ bench: 'runtime-verbs', machine, load: loadRecord, runs, warmup, modes }, null, 2));
} else {
  console.log(`runtime-verbs: ${machine.date}, ${machine.cpus} cpus, ${loadText(loadRecord)}, ${runs} runs + ${warmup} warm-up per peer`);
  for (const m of modes) {
    for (const s of m.scenarios) printSection(`${m.mode}: ${s.name} of /bin/true (bundle ${m.bundle})`, s.results, s.ratios);
  }
}
