#!/usr/bin/env node
// Benchmark (issue 22): what `-p` (a published port, with the network mode it needs) adds to a warm
// `ct container run --rm IMAGE echo hi`, beside podman's. Per engine, interleaved per round, the image already in
// its store:
//   none  run --rm --network none IMAGE echo hi                       (no network to set up)
//   -p    run --rm -p 127.0.0.1:PORT:80 IMAGE echo hi                 (the default mode: root's bridge; rootless,
//         ct's pasta and podman 4.3's slirp4netns with rootlessport)
//   rootless also ct --network slirp4netns -p (the same helper as podman's)
// Reported: median time to exit (the network torn down too) and to first output; "adds" = -p minus none.
//
//   node tools/bench/container-publish/run.mjs [--runs 10] [--warmup 1] [--json] [--rootless-user ctci]

import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot, testImage } from '../lib/bundle.mjs';
import { parseBenchArgs } from '../lib/cli.mjs';
import { hasCommand, isRoot, reexecWithCgroupV1Mounts, rerunAsUser, unmountedCgroupV1Controllers } from '../lib/host.mjs';
import { Progress } from '../lib/progress.mjs';
import { describeMachine, printRows } from '../lib/report.mjs';
import { workDir } from '../lib/runstat.mjs';
import { summarize } from '../lib/stats.mjs';
import { measureFirstOutput } from '../container-run/first-output.mjs';

const { values, runs, warmup, json } = parseBenchArgs(
  'node tools/bench/container-publish/run.mjs [options]: what -p adds to a warm container run, ct beside podman',
  {
    'rootless-user': { type: 'string', description: 'also run the benchmark as this unprivileged user' },
    'no-root': { type: 'boolean', default: false, description: 'skip the run as the current user (with --rootless-user)' },
  },
  { runs: 10, warmup: 1 },
);
const say = (/** @type {string} */ t) => (json ? process.stderr.write(`${t}\n`) : console.log(t));
const progress = new Progress(!json && process.stderr.isTTY === true);
reexecWithCgroupV1Mounts(unmountedCgroupV1Controllers(), say);

const command = ['echo', 'hi'];
// as in container-run: root lacks CAP_SYS_RESOURCE, so podman's raised default rlimits are refused here
const ulimits = ['--ulimit', 'nofile=1024:4096', '--ulimit', 'nproc=4096:4096'];

/** A TCP port on 127.0.0.1 free a moment ago. @returns {Promise<number>} */
async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', () => r(undefined)));
  const port = /** @type {{port: number}} */ (srv.address()).port;
  await new Promise((r) => srv.close(() => r(undefined)));
  return port;
}

/**
 * @typedef {object} Scenario
 * @property {string} name
 * @property {(port: number) => string[]} argv
 */

/** The scenarios of both engines, their images prepared (untimed). @param {string} base @param {boolean} rootless */
function scenarios(base, rootless) {
  const layout = testImage('busybox');
  const ct = [process.execPath, join(repoRoot, 'apps/ct/bin/ct.js')];
  const ctName = 'ct-bench-busybox';
  spawnSync(ct[0] ?? '', [...ct.slice(1), 'image', 'import', `${layout}:latest`, '--name', ctName], { stdio: 'ignore' });
  const podman = ['podman', '--root', join(base, 'podman/root'), '--runroot', join(base, 'podman/run'),
    '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  const podmanImage = `localhost${layout}:latest`;
  /** @type {Scenario[]} */
  const list = [
    { name: 'ct none', argv: () => [...ct, 'container', 'run', '--rm', '--network', 'none', ctName, ...command] },
    { name: `ct -p (${rootless ? 'pasta' : 'bridge'})`, argv: (p) => [...ct, 'container', 'run', '--rm', '-p', `127.0.0.1:${p}:80`, ctName, ...command] },
  ];
  if (rootless) {
    list.push({ name: 'ct -p (slirp4netns)', argv: (p) => [...ct, 'container', 'run', '--rm', '--network', 'slirp4netns', '-p', `127.0.0.1:${p}:80`, ctName, ...command] });
  }
  if (hasCommand('podman')) {
    spawnSync(podman[0] ?? '', [...podman.slice(1), 'pull', '-q', `oci:${layout}:latest`], { stdio: 'ignore' });
    list.push(
      { name: 'podman none', argv: () => [...podman, 'run', '--rm', '--network', 'none', ...ulimits, podmanImage, ...command] },
      { name: `podman -p (${rootless ? 'slirp4netns' : 'bridge'})`, argv: (p) => [...podman, 'run', '--rm', '-p', `127.0.0.1:${p}:80`, ...ulimits, podmanImage, ...command] },
    );
  } else {
    say('podman: not installed: measuring ct alone');
  }
  return list;
}

async function benchHere() {
  const rootless = !isRoot();
  const base = join(workDir(), 'container-publish');
  mkdirSync(base, { recursive: true });
  const list = scenarios(base, rootless);
  /** @type {Map<string, {exit: number[], first: number[], failure?: string}>} */
  const data = new Map(list.map((s) => [s.name, { exit: [], first: [] }]));
  for (let round = 0; round < warmup + runs; round++) {
    for (let k = 0; k < list.length; k++) {
      const s = /** @type {Scenario} */ (list[(round + k) % list.length]);
      const d = /** @type {{exit: number[], first: number[], failure?: string}} */ (data.get(s.name));
      if (d.failure !== undefined) continue;
      progress.update(`container-publish: ${round < warmup ? 'warm-up' : `run ${round - warmup + 1}/${runs}`} ${s.name}`);
      const r = await measureFirstOutput(s.argv(await freePort()));
      if (r.status !== 0 || !r.stdout.includes('hi')) {
        d.failure = `exit ${r.status}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`;
        say(`${s.name}: dropped: ${d.failure}`);
      } else if (round >= warmup) {
        d.exit.push(r.exitMs);
        d.first.push(r.firstOutputMs);
      }
    }
  }
  progress.clear();
  const results = list.map((s) => {
    const d = data.get(s.name);
    return { name: s.name, ...(d?.failure ? { failure: d.failure } : {}), exitMs: summarize(d?.exit ?? []), firstOutputMs: summarize(d?.first ?? []) };
  });
  const median = (/** @type {string} */ prefix) => results.find((r) => r.name.startsWith(prefix))?.exitMs.median ?? NaN;
  const adds = {
    ct: median('ct -p') - median('ct none'),
    podman: median('podman -p') - median('podman none'),
  };
  return { mode: rootless ? 'rootless' : 'root', results, adds };
}

const machine = describeMachine(hasCommand('podman') ? ['podman', 'pasta', 'slirp4netns'] : []);
/** @type {any[]} */
const modes = [];
if (!values['no-root']) modes.push(await benchHere());
const user = values['rootless-user'];
if (typeof user === 'string' && user !== '') {
  if (!isRoot()) throw new Error('--rootless-user: needs root (runuser)');
  modes.push(...JSON.parse(rerunAsUser(user, ['--json', '--runs', String(runs), '--warmup', String(warmup)])).modes);
}

if (json) {
  console.log(JSON.stringify({ bench: 'container-publish', machine, runs, warmup, modes }, null, 2));
} else {
  const f = (/** @type {number} */ n) => (Number.isFinite(n) ? n.toFixed(0) : '-');
  console.log(`container-publish: ${machine.date}, ${machine.cpus} cpus, load ${machine.loadavg1}, ${runs} runs + ${warmup} warm-up`);
  for (const m of modes) {
    console.log(`\n== ${m.mode}: warm \`run --rm ... ${command.join(' ')}\` (busybox test image), ms`);
    const rows = [['scenario', 'exit median', 'p90', 'first output median']];
    for (const r of m.results) {
      rows.push(r.failure ? [r.name, 'FAILED', '', ''] : [r.name, f(r.exitMs.median), f(r.exitMs.p90), f(r.firstOutputMs.median)]);
    }
    printRows(rows);
    for (const r of m.results) if (r.failure) console.log(`  ${r.name}: ${r.failure}`);
    console.log(`  -p adds (exit median): ct ${f(m.adds.ct)} ms, podman ${f(m.adds.podman)} ms`);
  }
}
