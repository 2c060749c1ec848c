#!/usr/bin/env node
// Soak benchmark (issue 24): many containers in a row through the two paths users run most, then the leak counts.
//   ct run             `ct run --bundle B ID` of /bin/true on one bundle (busybox unpacked by umoci, runc spec)
//   container run      `ct container run --rm --name ID busybox true` from an image store
// Each path runs --count times (default 1000) in a row with unique ids, after one warm-up container (what a
// path makes once, such as the state root, is no leak). Before and after, the same counts are
// taken: the mounts of the host mount namespace under the bench's dirs or naming its tag, the cgroup directories whose name holds the run's tag, processes
// whose command line holds the run's tag or the bench's state/store dirs, entries in the state root (besides
// its locks) and in the store's containers/ and tmp/ dirs. A leak is a count that grew. The time per container
// at the start (median of the first 50) and at the end (median of the last 50), and the slope of a least-squares
// line through all of them (ms per 100 containers), show a slowdown; on a loaded machine the slope is the figure
// to read (the load moves both medians). The disk the state root and the store hold (du) before and after, and
// the open fds of any process left naming the run, complete the leak counts.
// Nothing here asserts: the counts and times are printed (or --json). As root; `--rootless-user ctci` adds the
// same run as that user (its --log lines go to LOG.USER, a file that user owns). Each path also records the load
// average at its start and end. The work dirs are made under $TMPDIR (root) and /tmp (the user): keep them out
// of any dir a test run wipes (tools/dev/test-all.sh removes its CT_TEST_WORK). Two soaks may run at once (root
// in one process, `--no-root --rootless-user ctci` in another): every name and count is tagged with the pid.
// The soak runs ct on the host's cgroup layout as it is (no private mount namespace: it runs no crun).
//
//   node tools/bench/soak/run.mjs [--count 1000] [--json] [--rootless-user ctci] [--no-root] [--log FILE]

import { spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { makeBundle, repoRoot, testImage } from '../lib/bundle.mjs';
import { parseBenchArgs } from '../lib/cli.mjs';
import { isRoot, rerunAsUser, userEnvironment } from '../lib/host.mjs';
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
    only: { type: 'string', description: 'one path only: ct-run or container-run' },
    log: { type: 'string', description: 'append a JSON line per container (and the counts every 100) to this file, as it goes' },
  },
  { runs: 1, warmup: 0 },
);
const count = Number(values.count);
if (!Number.isInteger(count) || count < 1) throw new Error(`--count: ${values.count}: not a positive integer`);
const WINDOW = Math.min(50, Math.max(1, Math.floor(count / 4)));
if (values.only !== undefined && values.only !== 'ct-run' && values.only !== 'container-run') throw new Error(`--only: ${values.only}: ct-run or container-run`);
/** One JSON line of progress in --log (a run cut short still leaves its figures). @param {object} line */
const logLine = (line) => {
  if (typeof values.log === 'string') appendFileSync(values.log, `${JSON.stringify({ t: new Date().toISOString(), ...line })}\n`);
};
const progress = new Progress(!json && process.stderr.isTTY === true);
const say = (/** @type {string} */ t) => (json ? process.stderr.write(`${t}\n`) : console.log(t));

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

/** Bytes under `dir` (du's apparent sizes; 0 when it is missing). @param {string} dir */
function diskBytes(dir) {
  if (!existsSync(dir)) return 0;
  const r = spawnSync('du', ['-sb', dir], { encoding: 'utf8' });
  return Number((r.stdout ?? '').split('\t')[0]) || 0;
}

/**
 * The bridge's host-wide traces (root): CNI leases of ct's network, held namespaces in /run/ct-netns (and in
 * /run/netns, where older versions held them), nat rules the CNI plugins tagged for a ct container. Not the run's
 * own: other runs on the machine move them too (a count that grew is a lead to check, not proof).
 */
function bridgeTraces() {
  if (!isRoot()) return { leases: 0, netns: 0, natRules: 0 };
  const leases = entries('/var/lib/cni/networks/ct').filter((n) => /^\d/.test(n)).length;
  const netns = ['/run/ct-netns', '/run/netns'].flatMap((d) => entries(d)).filter((n) => n.startsWith('ct-')).length;
  const nat = spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).stdout ?? '';
  return { leases, netns, natRules: nat.split('\n').filter((l) => l.includes('id: \\"ct-')).length };
}

/** Open fds of the processes `lines` names ("PID: cmdline"). @param {readonly string[]} lines */
function fdsOf(lines) {
  let n = 0;
  for (const l of lines) {
    try {
      n += readdirSync(`/proc/${l.split(':')[0]}/fd`).length;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

/**
 * Least-squares slope of `times` against their index, in ms per 100 containers.
 * @param {readonly number[]} times
 */
function slopePer100(times) {
  const n = times.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = times.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  times.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return (num / den) * 100;
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
  const processes = processesWith([where.tag, where.state, where.store]);
  return {
    stateBytes: diskBytes(where.state),
    storeBytes: diskBytes(where.store),
    fds: fdsOf(processes),
    bridge: bridgeTraces(),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
      .filter((l) => [where.tag, where.state, where.store, where.bundle].some((n) => l.includes(n))).map((l) => l.split(' ')[4] ?? l),
    cgroups: cgroupDirs(where.tag),
    processes,
    stateEntries: [...entries(where.state), ...entries(join(where.state, '.bundles')).map((n) => `.bundles/${n}`)]
      .filter((n) => n !== '.bundles'),
    storeContainers: entries(join(where.store, 'containers')),
    storeTmp: entries(join(where.store, 'tmp')),
  };
}

/** The counts that are lists of what is there (named in a report when they grow). */
const LISTED = /** @type {const} */ (['mounts', 'cgroups', 'processes', 'stateEntries', 'storeContainers', 'storeTmp']);

/**
 * Each count's growth from `before` to `after` (lists: what is new, first few named).
 * @param {ReturnType<typeof snapshot>} before
 * @param {ReturnType<typeof snapshot>} after
 */
function leaks(before, after) {
  const out = /** @type {Record<'mounts' | 'cgroups' | 'processes' | 'stateEntries' | 'storeContainers' | 'storeTmp', {count: number, examples: string[]}>} */ ({});
  for (const key of LISTED) {
    const fresh = after[key].filter((x) => !before[key].includes(x));
    out[key] = { count: fresh.length, examples: fresh.slice(0, 3) };
  }
  return {
    ...out,
    fds: after.fds - before.fds,
    stateBytes: after.stateBytes - before.stateBytes,
    storeBytes: after.storeBytes - before.storeBytes,
    bridge: Object.fromEntries(Object.entries(after.bridge).map(([k, v]) => [k, v - before.bridge[/** @type {keyof typeof before.bridge} */ (k)]])),
  };
}

/**
 * Run `argv(i)` count times; the per-container wall times and failures.
 * @param {string} label
 * @param {(i: number) => string[]} argv
 * @param {{tag: string, state: string, store: string, bundle: string}} where
 */
function soak(label, argv, where) {
  const loadStart = loadavg()[0] ?? 0;
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
    logLine({ path: label, i, ms: Math.round(times[i] ?? 0), status: r.status });
    if ((i + 1) % 100 === 0) logLine({ path: label, i, counts: snapshot(where) });
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
    slopeMsPer100: slopePer100(times),
    load: { start: Number(loadStart.toFixed(2)), end: Number((loadavg()[0] ?? 0).toFixed(2)) },
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
    if (values.only !== undefined && values.only !== name.split(' ').slice(0, 2).join('-')) continue;
    // one container first, outside the counts: what the first run of a path makes once (the state root, its
    // lock files, the store's dirs) is not a leak
    const warm = argv(count);
    const warmed = spawnSync(warm[0] ?? '', warm.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (warmed.status !== 0) throw new Error(`${mode} ${name} warm-up: exit ${warmed.status}: ${warmed.stderr}`);
    const before = snapshot(where);
    const result = soak(`${mode} ${name}`, argv, where);
    const after = snapshot(where);
    const { times: _times, ...rest } = result;
    const path = { name, count, ...rest, leaks: leaks(before, after) };
    logLine({ mode, result: path });
    paths.push(path);
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
  const args = ['--json', '--count', String(count), '--quiet-wait', '0', ...(values.only === undefined ? [] : ['--only', String(values.only)])];
  if (typeof values.log === 'string') {
    // the user cannot append to root's log: its lines go to a file of its own beside it
    const userLog = `${values.log}.${user}`;
    writeFileSync(userLog, '', { flag: 'a' });
    const { uid } = userEnvironment(user);
    chownSync(userLog, uid, -1);
    args.push('--log', userLog);
  }
  modes.push(...JSON.parse(rerunAsUser(user, args)).modes);
}
const loadRecord = loadAtEnd(load);

if (json) {
  console.log(JSON.stringify({ bench: 'soak', machine, load: loadRecord, count, window: WINDOW, modes }, null, 2));
} else {
  console.log(`soak: ${machine.date}, ${machine.cpus} cpus, ${loadText(loadRecord)}, ${count} containers per path`);
  const rows = [['mode', 'path', 'failed', `start ms (first ${WINDOW})`, `end ms (last ${WINDOW})`, 'slope ms/100', 'load start/end', 'mounts', 'cgroups', 'processes', 'fds', 'state', 'store containers', 'store tmp', 'state bytes', 'store bytes', 'leases/netns/nat (host)']];
  for (const m of modes) {
    for (const p of m.paths) {
      const l = p.leaks;
      rows.push([m.mode, p.name, String(p.failed), p.startMs.toFixed(0), p.endMs.toFixed(0), p.slopeMsPer100.toFixed(1), `${p.load.start}/${p.load.end}`, String(l.mounts.count),
        String(l.cgroups.count), String(l.processes.count), String(l.fds), String(l.stateEntries.count), String(l.storeContainers.count), String(l.storeTmp.count),
        String(l.stateBytes), String(l.storeBytes), `${l.bridge.leases}/${l.bridge.netns}/${l.bridge.natRules}`]);
    }
  }
  printRows(rows);
  for (const m of modes) {
    for (const p of m.paths) {
      for (const f of p.failures) console.log(`  ${m.mode} ${p.name} failure ${f}`);
      for (const k of LISTED) {
        const v = p.leaks[k];
        if (v.examples.length > 0) console.log(`  ${m.mode} ${p.name} ${k} left: ${v.examples.join(', ')}`);
      }
    }
  }
}
