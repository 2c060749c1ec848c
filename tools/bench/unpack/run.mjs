#!/usr/bin/env node
// Benchmark (issue 7): unpacking an image into a bundle. @ct/oci (ct-unpack.mjs: Node start-up included; and
// `ct image unpack`, the CLI, when apps/ct has it) beside `umoci unpack` and `tar -xzf` of the same layer blobs
// in order (tar applies no whiteouts and writes no config.json, so it is the floor for the file writing alone),
// interleaved, same disk:
//   large  a few hundred MB made offline from this machine's /usr (large-image.mjs; built once, cached)
//   small  the busybox test image (start-up dominates)
// Reported: wall time, CPU time and peak RSS (the largest process of each sequence), as root and, with
// --rootless-user, as that user (ct: @ct/oci's unprivileged default, owners from the user's subuid range, set
// at the end in a user namespace; umoci --rootless; tar without chown).
// Targets: large: ct wall < tar's, ct peak RSS < 100 MB; small: ct within 1.5x umoci's time.
//
//   node tools/bench/unpack/run.mjs [--runs 3] [--warmup 1] [--small-runs 20] [--json] [--rootless-user ctci]
//     [--no-large] [--baseline-tree DIR (another built checkout: its `ct image unpack` too, interleaved)]

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measurePeers } from '../lib/bench-loop.mjs';
import { repoRoot, testImage } from '../lib/bundle.mjs';
import { parseBenchArgs } from '../lib/cli.mjs';
import { hasCommand, isRoot, rerunAsUser } from '../lib/host.mjs';
import { Progress } from '../lib/progress.mjs';
import { loadAtEnd, loadText, waitForQuiet } from '../lib/quiet.mjs';
import { computeRatios, describeMachine, printSection } from '../lib/report.mjs';
import { runDir } from '../lib/runstat.mjs';
import { ensureLargeImage } from './large-image.mjs';

const { values, runs, warmup, json } = parseBenchArgs(
  'node tools/bench/unpack/run.mjs [options]: @ct/oci unpack vs umoci unpack and tar -xzf',
  {
    'small-runs': { type: 'string', default: '20', description: 'measured runs per peer for the small image' },
    'rootless-user': { type: 'string', description: 'also run the benchmark as this unprivileged user' },
    'no-root': { type: 'boolean', default: false, description: 'skip the run as the current user (with --rootless-user)' },
    'no-large': { type: 'boolean', default: false, description: 'only the small image' },
    'baseline-tree': { type: 'string', description: 'also run `ct image unpack` from this other built checkout (an A/B of two trees, interleaved)' },
  },
  { runs: 3, warmup: 1 },
);
const progress = new Progress(!json && process.stderr.isTTY === true);
const say = (/** @type {string} */ t) => (json ? process.stderr.write(`${t}\n`) : console.log(t));
const ctUnpack = join(dirname(fileURLToPath(import.meta.url)), 'ct-unpack.mjs');

const ctBin = join(repoRoot, 'apps/ct/bin/ct.js');

/** Whether apps/ct has `image unpack` (its oclif manifest lists it): then the CLI is measured beside the library. */
function hasCliUnpack() {
  const file = join(repoRoot, 'apps/ct/oclif.manifest.json');
  return existsSync(file) && Object.hasOwn(JSON.parse(readFileSync(file, 'utf8')).commands ?? {}, 'image:unpack');
}

/** The blobs of an OCI layout's "latest" manifest's layers, in order. @param {string} layout */
function layerBlobs(layout) {
  const blob = (/** @type {string} */ d) => join(layout, 'blobs', d.replace(':', '/'));
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  return manifest.layers.map((/** @type {{digest: string}} */ l) => blob(l.digest));
}

/**
 * The three peers unpacking `layout` into their own directory under `base`.
 * @param {string} layout @param {string} base @param {boolean} rootless
 * @returns {import('../lib/bench-loop.mjs').Peer[]}
 */
function peers(layout, base, rootless) {
  const dest = (/** @type {string} */ name) => join(base, name);
  const clean = (/** @type {string} */ name) => () => {
    rmSync(dest(name), { recursive: true, force: true });
    spawnSync('sync'); // the previous peer's dirty pages are not written back on this one's time
  };
  const list = [
    { name: 'ct', before: clean('ct'), commands: () => [[process.execPath, ctUnpack, `${layout}:latest`, dest('ct')]] },
    {
      name: 'umoci', before: clean('umoci'),
      commands: () => [['umoci', 'unpack', ...(rootless ? ['--rootless'] : []), '--image', `${layout}:latest`, dest('umoci')]],
    },
    {
      name: 'tar -xzf', before: clean('tar'),
      commands: () => [['mkdir', '-p', join(dest('tar'), 'rootfs')], ...layerBlobs(layout).map((/** @type {string} */ b) => ['tar', '-xzf', b, '-C', join(dest('tar'), 'rootfs')])],
    },
  ];
  if (hasCliUnpack()) {
    list.splice(1, 0, {
      name: 'ct image unpack', before: clean('ct-cli'),
      commands: () => [[process.execPath, ctBin, 'image', 'unpack', `${layout}:latest`, dest('ct-cli')]],
    });
  }
  const other = values['baseline-tree'];
  if (typeof other === 'string' && other !== '') {
    list.splice(2, 0, {
      name: 'ct image unpack (baseline)', before: clean('ct-cli-baseline'),
      commands: () => [[process.execPath, join(other, 'apps/ct/bin/ct.js'), 'image', 'unpack', `${layout}:latest`, dest('ct-cli-baseline')]],
    });
  }
  return list.filter((p) => p.name !== 'umoci' || hasCommand('umoci'));
}

/** @type {import('../lib/report.mjs').RatioSpec} */
const ctTar = { what: 'ct/tar', subject: 'ct', baseline: 'tar -xzf' };
/** @type {import('../lib/report.mjs').RatioSpec} */
const ctUmoci = { what: 'ct/umoci', subject: 'ct', baseline: 'umoci' };
/** @type {import('../lib/report.mjs').RatioSpec} */
const cliUmoci = { what: 'ct image unpack/umoci', subject: 'ct image unpack', baseline: 'umoci' };
/** @type {import('../lib/report.mjs').RatioSpec} */
const cliTar = { what: 'ct image unpack/tar', subject: 'ct image unpack', baseline: 'tar -xzf' };

function benchHere() {
  const rootless = !isRoot();
  const base = runDir('unpack');
  const label = rootless ? 'rootless' : 'root';
  // issue 21: small image within 1.5x umoci as root, 2x unprivileged (a user namespace to set up)
  const smallTarget = rootless ? 2 : 1.5;
  const scenarios = [];
  if (!values['no-large']) {
    const large = ensureLargeImage((t) => progress.update(t));
    const results = measurePeers(peers(large.dir, base, rootless), { runs, warmup, label: `${label} large`, progress });
    scenarios.push({
      name: `large image (${large.layers.length} gzip layers, ${mb(sum(large.layers, 'size'))} MB compressed, ${mb(sum(large.layers, 'tarBytes'))} MB of file data, ${sum(large.layers, 'entries')} entries)`,
      results, ratios: computeRatios(results, [{ ...ctTar, target: 1 }, ctUmoci, { ...cliTar, target: 1 }, cliUmoci]),
      peakRssTargetMB: 100,
    });
  }
  const smallRuns = Number(values['small-runs']);
  const small = measurePeers(peers(testImage('busybox'), base, rootless), { runs: smallRuns, warmup: 2, label: `${label} small`, progress });
  const againstBaseline = values['baseline-tree'] === undefined ? [] : [{ what: 'ct image unpack/baseline tree', subject: 'ct image unpack', baseline: 'ct image unpack (baseline)' }];
  scenarios.push({ name: 'small image (busybox test image), start-up included', results: small, ratios: computeRatios(small, [ctTar, { ...ctUmoci, target: smallTarget }, { ...cliUmoci, target: smallTarget }, ...againstBaseline]) });
  rmSync(base, { recursive: true, force: true });
  return { mode: label, scenarios };
}

/** @param {{[k: string]: any}[]} list @param {string} key */
function sum(list, key) { return list.reduce((a, l) => a + Number(l[key]), 0); }
/** @param {number} bytes */
function mb(bytes) { return (bytes / 2 ** 20).toFixed(0); }

const load = await waitForQuiet(values, say);
const machine = describeMachine(['umoci', 'tar']);
/** @type {any[]} */
const modes = [];
if (!values['no-root']) modes.push(benchHere());
const user = values['rootless-user'];
if (typeof user === 'string' && user !== '') {
  if (!isRoot()) throw new Error('--rootless-user: needs root (runuser)');
  if (!values['no-large']) ensureLargeImage((t) => progress.update(t)); // built by root into the shared cache
  const args = ['--json', '--runs', String(runs), '--warmup', String(warmup), '--small-runs', String(values['small-runs']),
    ...(values['no-large'] ? ['--no-large'] : []), ...(values['baseline-tree'] === undefined ? [] : ['--baseline-tree', String(values['baseline-tree'])])];
  modes.push(...JSON.parse(rerunAsUser(user, args)).modes);
}

progress.clear();
const loadRecord = loadAtEnd(load);
if (json) {
  console.log(JSON.stringify({ bench: 'unpack', machine, load: loadRecord, runs, warmup, modes }, null, 2));
} else {
  console.log(`unpack: ${machine.date}, ${machine.cpus} cpus, ${loadText(loadRecord)}, ${runs} runs + ${warmup} warm-up (large)`);
  for (const m of modes) {
    for (const s of m.scenarios) {
      printSection(`${m.mode}: ${s.name}`, s.results, s.ratios);
      for (const ct of s.results.filter((/** @type {any} */ r) => r.name.startsWith('ct') && !r.failure)) {
        if (!s.peakRssTargetMB) continue;
        const peak = ct.maxRssKb.max / 1024;
        console.log(`  ${ct.name} peak RSS ${peak.toFixed(1)} MB: target < ${s.peakRssTargetMB} MB: ${peak < s.peakRssTargetMB ? 'MET' : 'MISSED'}`);
      }
    }
  }
}
