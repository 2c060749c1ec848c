#!/usr/bin/env node
// Soak benchmark (issue 24): many containers in a row through the two paths users run most, then the leak counts.
//   ct run             `ct run --bundle B ID` of /bin/true on one bundle (busybox unpacked by umoci, runc spec)
//   container run      `ct container run --rm --name ID busybox true` from an image store
// Each path runs --count times (default 1000) in a row with unique ids. Before and after, the same counts are
// taken: the mounts of the host mount namespace under the bench's dirs or naming its tag, the cgroup directories whose name holds the run's tag, processes
// whose command line holds the run's tag or the bench's state/store dirs, entries in the state root (besides
// its locks) and in the store's containers/ and tmp/ dirs. A leak is a count that grew. The time per container
// at the start (median of the first 50) and at the end (median of the last 50) shows a slowdown.
// Nothing here asserts: the counts and times are printed (or --json). As root; `--rootless-user ctci` adds the
// same run as that user.
//
//   node tools/bench/soak/run.mjs [--count 1000] [--json] [--rootless-user ctci] [--no-root]

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, repoRoot, testImage } from '../lib/bundle.mjs';
import { parseBenchArgs } from '../lib/cli.mjs';
import { isRoot, reexecWithCgroupV1Mounts, rerunAsUser, unmountedCgroupV1Controllers } from '../lib/host.mjs';
import { Progress } from '../lib/progress.mjs';
import { loadAtEnd, loadText, waitForQuiet } from '../lib/quiet.mjs';
import { describeMachine, printRows } from '../lib/report.mjs';
import { runDir } from '../lib/runstat.mjs';
import { summarize } from '../lib/stats.mjs';

const { values, json } = parseBenchArgs(
  'node tools/bench/soak/run.mjs [options]: ct run and ct container run --rm, --count times each, with leak counts',
  {
    count: { type: 'string', default: '1000', description: 'containers per path' },
    'rootless-user': { type: 'string', description: 'also run the soak as this unprivileged user' },
    'no-root': { type: 'boolean', default: false, description: 'skip the run as the current user (with --rootless-user)' },
  },
  { runs: 1, warmup: 0 },
);
const count = Number(values.count);
if (!Number.isInteger(count) || count < 1) throw new Error(`--count: ${values.count}: not a positive integer`);
const WINDOW = Math.min(50, Math.max(1, Math.floor(count / 4)));
const progress = new Progress(!json && process.stderr.isTTY === true);
const say = (/** @type {string} */ t) => (json ? process.stderr.write(`${t}\n`) : console.log(t));

reexecWithCgroupV1Mounts(unmountedCgroupV1Controllers(), say);

const ctBin = join(repoRoot, 'apps/ct/bin/ct.js');

/** Directory names under the cgroup mounts (depth ≤ 4) that contain `tag`. @param {string} tag */
function cgroupDirs(tag) {
  /** @type {string[]} */
  const found = [];
  /** @param {string} dir @param {number} depth */
  const walk = (dir, depth) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const path = join(dir, e.name);
      if (e.name.includes(tag)) found.push(path);
      else if (depth < 4) walk(path, depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return found;
}

/** Pids (not this process's) whose command line holds one of `needles`. @param {readonly string[]} needles */
function processesWith(needles) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmdline;
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (needles.some((n) => cmdline.includes(n))) out.push(`${name}: ${cmdline.trim()}`);
  }
  return out;
}

/** Entries of `dir` (none when it is missing), without lock files. @param {string} dir */
function entries(dir) {
  return existsSync(dir) ? readdirSync(dir).filter((n) => !n.endsWith('.lock')) : [];
}

/**
 * The counts a leak would raise.
 * @param {{tag: string, state: string, store: string, bundle: string}} where
 */
function snapshot(where) {
  return {
    mounts: readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
      .filter((l) => [where.tag, where.state, where.store, where.bundle].some((n) => l.includes(n))).map((l) => l.split(' ')[4] ?? l),
    cgroups: cgroupDirs(where.tag),
    processes: processesWith([where.tag, where.state, where.store]),
    stateEntries: [...entries(where.state), ...entries(join(where.state, '.bundles')).map((n) => `.bundles/${n}`)]
      .filter((n) => n !== '.bundles'),
    storeContainers: entries(join(where.store, 'containers')),
    storeTmp: entries(join(where.store, 'tmp')),
  };
}

/**
 * Each count's growth from `before` to `after` (lists: what is new, first few named).
 * @param {ReturnType<typeof snapshot>} before
 * @param {ReturnType<typeof snapshot>} after
 */
function leaks(before, after) {
  const out = /** @type {Record<'mounts' | 'cgroups' | 'processes' | 'stateEntries' | 'storeContainers' | 'storeTmp', {count: number, examples: string[]}>} */ ({});
  for (const key of /** @type {const} */ (['mounts', 'cgroups', 'processes', 'stateEntries', 'storeContainers', 'storeTmp'])) {
    const fresh = after[key].filter((x) => !before[key].includes(x));
    out[key] = { count: fresh.length, examples: fresh.slice(0, 3) };
  }
  return out;
}

/**
 * Run `argv(i)` count times; the per-container wall times and failures.
 * @param {string} label
 * @param {(i: number) => string[]} argv
 */
function soak(label, argv) {
  /** @type {number[]} */
  const times = [];
  /** @type {string[]} */
  const failures = [];
  for (let i = 0; i < count; i++) {
    if (i % 10 === 0) progress.update(`${label}: ${i}/${count}`);
    const args = argv(i);
    const t0 = performance.now();
    const r = spawnSync(args[0] ?? '', args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    times.push(performance.now() - t0);
    if (r.status !== 0 && failures.length < 5) failures.push(`#${i}: exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`);
    else if (r.status !== 0) failures.push('');
  }
  progress.clear();
  return {
    times,
    failed: failures.length,
    failures: failures.filter((f) => f !== ''),
    startMs: summarize(times.slice(0, WINDOW)).median,
    endMs: summarize(times.slice(-WINDOW)).median,
  };
}

/** The soak as the current user. */
function soakHere() {
  const rootless = !isRoot();
  const mode = rootless ? 'rootless' : 'root';
  const base = runDir('soak');
  const tag = `soak${process.pid}x`;
  const state = join(base, 'state');
  const store = join(base, 'store');
  progress.update(`${mode}: preparing the bundle and the store`);
  const bundle = makeBundle(join(base, 'bundle'), { image: testImage('busybox'), args: ['/bin/true'], rootless });
  const where = { tag, state, store, bundle };
  const ct = [process.execPath, ctBin, '--root', state];
  const imported = spawnSync(ct[0] ?? '', [...ct.slice(1), 'image', 'import', '--storage-root', store, testImage('busybox')], { encoding: 'utf8' });
  if (imported.status !== 0) throw new Error(`ct image import: exit ${imported.status}: ${imported.stderr}`);

  const paths = [];
  for (const [name, argv] of /** @type {const} */ ([
    ['ct run', (/** @type {number} */ i) => [...ct, 'run', '--bundle', bundle, `${tag}-r${i}`]],
    ['container run --rm', (/** @type {number} */ i) => [...ct, 'container', 'run', '--rm', '--storage-root', store, '--name', `${tag}-c${i}`, 'busybox', 'true']],
  ])) {
    const before = snapshot(where);
    const result = soak(`${mode} ${name}`, argv);
    const after = snapshot(where);
    const { times: _times, ...rest } = result;
    paths.push({ name, count, ...rest, leaks: leaks(before, after) });
  }
  spawnSync(ct[0] ?? '', [...ct.slice(1), 'image', 'rm', '--force', '--storage-root', store, 'busybox'], { stdio: 'ignore' });
  rmSync(base, { recursive: true, force: true });
  return { mode, paths };
}

const load = await waitForQuiet(values, say);
const machine = describeMachine(['runc']);
/** @type {ReturnType<typeof soakHere>[]} */
const modes = [];
if (!values['no-root']) modes.push(soakHere());
const user = values['rootless-user'];
if (typeof user === 'string' && user !== '') {
  if (!isRoot()) throw new Error('--rootless-user: needs root (runuser)');
  progress.update(`soak: running as ${user}`);
  modes.push(...JSON.parse(rerunAsUser(user, ['--json', '--count', String(count), '--quiet-wait', '0'])).modes);
}
const loadRecord = loadAtEnd(load);

if (json) {
  console.log(JSON.stringify({ bench: 'soak', machine, load: loadRecord, count, window: WINDOW, modes }, null, 2));
} else {
  console.log(`soak: ${machine.date}, ${machine.cpus} cpus, ${loadText(loadRecord)}, ${count} containers per path`);
  const rows = [['mode', 'path', 'failed', `start ms (first ${WINDOW})`, `end ms (last ${WINDOW})`, 'mounts', 'cgroups', 'processes', 'state', 'store containers', 'store tmp']];
  for (const m of modes) {
    for (const p of m.paths) {
      const l = p.leaks;
      rows.push([m.mode, p.name, String(p.failed), p.startMs.toFixed(0), p.endMs.toFixed(0), String(l.mounts.count),
        String(l.cgroups.count), String(l.processes.count), String(l.stateEntries.count), String(l.storeContainers.count), String(l.storeTmp.count)]);
    }
  }
  printRows(rows);
  for (const m of modes) {
    for (const p of m.paths) {
      for (const f of p.failures) console.log(`  ${m.mode} ${p.name} failure ${f}`);
      for (const [k, v] of Object.entries(p.leaks)) if (v.examples.length > 0) console.log(`  ${m.mode} ${p.name} ${k} left: ${v.examples.join(', ')}`);
    }
  }
}
