#!/usr/bin/env node
// Benchmark (issue 5): a Node program that embeds @ct/namespaces starts containers without starting a runtime
// binary each time. 100 sequential containers (/bin/true; namespaces, mounts and root from the same runc-spec
// bundle the runtime-verbs benchmark uses, converted as `ct run` converts it) through runContainer in ONE Node
// process, interleaved with `crun run` and `runc run` of the same bundle; then the process goes on to 1000
// containers and its RSS is compared with the RSS after 100. Target: embedded median <= 0.5x crun's. As root the
// bundle carries linux.resources (pids, memory, cpu) and every runtime makes one cgroup per container in every
// v1 hierarchy (runContainer as `ct run` does: allControllers + freezer); --no-cgroups for the old comparison.
// runContainer is measured both ways @ct/syscalls clones: through its fork server and directly (issue 21).
//
//   node tools/bench/embedded-start/run.mjs [--runs 100] [--total 1000] [--warmup 5] [--json] [--rootless-user ctci]

import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBundle, testImage } from '../lib/bundle.mjs';
import { parseBenchArgs } from '../lib/cli.mjs';
import { hasCommand, isRoot, reexecWithCgroupV1Mounts, rerunAsUser, unmountedCgroupV1Controllers } from '../lib/host.mjs';
import { Progress } from '../lib/progress.mjs';
import { loadAtEnd, loadText, waitForQuiet } from '../lib/quiet.mjs';
import { describeMachine, printRows, verdict } from '../lib/report.mjs';
import { runDir } from '../lib/runstat.mjs';
import { ratio } from '../lib/stats.mjs';

const { values, runs, warmup, json } = parseBenchArgs(
  'node tools/bench/embedded-start/run.mjs [options]: runContainer in one process vs crun run and runc run',
  {
    total: { type: 'string', default: '1000', description: 'containers the embedded process runs in all (memory growth)' },
    'rootless-user': { type: 'string', description: 'also run the benchmark as this unprivileged user (rootless bundle)' },
    'no-root': { type: 'boolean', default: false, description: 'skip the run as the current user (with --rootless-user)' },
    'no-cgroups': { type: 'boolean', default: false, description: 'no linux.resources in the bundle and no cgroup for runContainer' },
  },
  { runs: 100, warmup: 5 },
);
const say = (/** @type {string} */ t) => (json ? process.stderr.write(`${t}\n`) : console.log(t));
reexecWithCgroupV1Mounts(unmountedCgroupV1Controllers(), say);
const progress = new Progress(!json && process.stderr.isTTY === true);
const embedded = join(dirname(fileURLToPath(import.meta.url)), 'embedded.mjs');

/** The same limits for every runtime (v1 pids, memory, cpu), so each writes them into its own cgroup per container. */
const RESOURCES = { pids: { limit: 100 }, memory: { limit: 256 * 2 ** 20 }, cpu: { shares: 1024, quota: 100000, period: 100000 } };

/** Add RESOURCES to the bundle's linux.resources (runc spec's device rule kept). */
function addResources(/** @type {string} */ bundle) {
  const file = join(bundle, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  config.linux.resources = { ...config.linux.resources, ...RESOURCES };
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
}

function benchHere() {
  const rootless = !isRoot();
  const base = runDir('embedded-start');
  progress.update('embedded-start: unpacking the bundle');
  const bundle = makeBundle(join(base, 'bundle'), { image: testImage('busybox'), args: ['/bin/true'], rootless });
  if (!rootless && !values['no-cgroups']) addResources(bundle);
  progress.clear();
  const peers = ['crun', 'runc'].filter(hasCommand);
  const r = spawnSync(process.execPath, ['--expose-gc', embedded, '--bundle', bundle, '--compared', String(runs),
    '--total', String(values.total), '--warmup', String(warmup), '--peers', peers.join(','), '--state', join(base, 'state'),
    ...(values['no-cgroups'] ? ['--no-cgroups'] : []),
    ...(progress.enabled ? ['--progress'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], cwd: bundle, maxBuffer: 2 ** 24 });
  rmSync(base, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`embedded-start: the measured process failed (exit ${r.status})`);
  const out = JSON.parse(r.stdout);
  return {
    mode: rootless ? 'rootless' : 'root', bundle, ...out,
    ratios: Object.fromEntries(['embedded', 'embedded-direct'].flatMap((e) => [...peers, ...(e === 'embedded' ? ['embedded-direct'] : [])]
      .map((p) => [`${e}/${p}`, {
        median: ratio(out.compared[e].median, out.compared[p].median), p99: ratio(out.compared[e].p99, out.compared[p].p99),
      }]))),
  };
}

const load = await waitForQuiet(values, say);
const machine = describeMachine(['runc', 'crun']);
/** @type {any[]} */
const modes = [];
if (!values['no-root']) modes.push(benchHere());
const user = values['rootless-user'];
if (typeof user === 'string' && user !== '') {
  if (!isRoot()) throw new Error('--rootless-user: needs root (runuser)');
  const args = ['--json', '--runs', String(runs), '--warmup', String(warmup), '--total', String(values.total), ...(values['no-cgroups'] ? ['--no-cgroups'] : [])];
  modes.push(...JSON.parse(rerunAsUser(user, args)).modes);
}

const loadRecord = loadAtEnd(load);
if (json) {
  console.log(JSON.stringify({ bench: 'embedded-start', machine, load: loadRecord, runs, warmup, total: Number(values.total), target: { 'embedded/crun': 0.5 }, modes }, null, 2));
} else {
  const f = (/** @type {number} */ n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  console.log(`embedded-start: ${machine.date}, ${machine.cpus} cpus, ${loadText(loadRecord)}`);
  for (const m of modes) {
    console.log(`\n== ${m.mode}: ${runs} sequential /bin/true containers each, interleaved (bundle ${m.bundle})`);
    const rows = [['peer', 'n', 'median ms', 'p90', 'p99', 'mean', 'min']];
    for (const [name, s] of Object.entries(m.compared)) {
      const def = name === m.defaultPeer ? ', the default' : '';
      const label = name === 'embedded' ? `runContainer, fork server (one Node process${def})`
        : name === 'embedded-direct' ? `runContainer, direct clone (CT_FORK_SERVER=0${def})` : `${name} run`;
      rows.push([label, String(s.n), f(s.median), f(s.p90), f(s.p99), f(s.mean), f(s.min)]);
    }
    const a = m.embeddedAlone;
    rows.push([`runContainer, containers ${runs + warmup + 1}..${m.memory.afterTotal.containers} alone`, String(a.n), f(a.median), f(a.p90), f(a.p99), f(a.mean), f(a.min)]);
    printRows(rows);
    for (const [what, q] of Object.entries(m.ratios)) {
      const target = what === `${m.defaultPeer}/crun` ? `  target <= 0.5x: ${verdict(q.median, 0.5)}` : '';
      console.log(`  ${what}: median ${f(q.median, 2)}x, p99 ${f(q.p99, 2)}x${target}`);
    }
    const mem = m.memory;
    console.log(`  RSS after ${mem.after.containers} containers ${f(mem.after.rssMB)} MB, after ${mem.afterTotal.containers} ${f(mem.afterTotal.rssMB)} MB: growth ${f(mem.growthMB, 2)} MB (heap ${f(mem.after.heapUsedMB, 2)} → ${f(mem.afterTotal.heapUsedMB, 2)} MB${mem.gcForced ? ', after a forced GC' : ''})`);
    if (mem.samplesMB) {
      /** @typedef {{rssMB: number, rssAnonMB: number, rssFileMB: number, heapTotalMB: number, heapUsedMB: number, externalMB: number, fds: number}} Sample */
      const series = (/** @type {keyof Sample} */ k, d = 1) => mem.samplesMB.map((/** @type {Sample} */ x) => f(x[k], d)).join(' ');
      console.log(`  RSS (MB) every 100 containers: ${series('rssMB')}`);
      console.log(`    anonymous ${series('rssAnonMB')}; file-backed ${series('rssFileMB')}`);
      console.log(`    V8 heap committed ${series('heapTotalMB')}; live ${series('heapUsedMB', 2)}; external ${series('externalMB', 2)}; open fds ${series('fds', 0)}`);
      /** @type {Record<string, number>} */
      const first = mem.samplesMB[0].spacesMB;
      /** @type {Record<string, number>} */
      const last = mem.samplesMB[mem.samplesMB.length - 1].spacesMB;
      const moved = Object.keys(last).filter((k) => Math.abs((last[k] ?? 0) - (first[k] ?? 0)) >= 0.25);
      console.log(`    V8 spaces that changed (committed MB, first → last sample): ${moved.map((k) => `${k} ${f(first[k] ?? 0)} → ${f(last[k] ?? 0)}`).join(', ') || 'none'}`);
    }
    console.log(`  cgroups for runContainer: ${m.cgroups === false ? 'none' : `one per container, every v1 hierarchy, resources ${JSON.stringify(m.cgroups.resources)}`}`);
    if (m.warnings.length > 0) console.log(`  not applied by ct (as in ct run): ${m.warnings.join('; ')}`);
  }
}
