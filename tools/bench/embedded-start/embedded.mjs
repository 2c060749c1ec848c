// The measured process of the embedded-start benchmark (run.mjs starts it): ONE Node process that runs containers
// through @ct/namespaces' runContainer, converting the bundle's config.json the way `ct run` does (@ct/runtime's
// readBundleConfig + toContainerSpec), and in the same loop runs `crun run` and `runc run` of the same bundle
// through runstat, rotating the order each round. After the compared rounds it goes on alone to `--total`
// containers and records its memory at both points (after a forced GC when run with --expose-gc). As root, each
// embedded container gets a cgroup as `ct run` makes it (every v1 hierarchy, the bundle's linux.resources).
// runContainer runs both ways @ct/syscalls can clone (through its fork server, and directly from this process).
// Prints one JSON document on stdout.
// Man pages: clone3(2), namespaces(7), getrusage(2).

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics } from 'node:v8';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../lib/bundle.mjs';
import { Progress } from '../lib/progress.mjs';
import { runSequence } from '../lib/runstat.mjs';
import { summarize } from '../lib/stats.mjs';

const { values } = parseArgs({
  options: {
    bundle: { type: 'string' }, compared: { type: 'string', default: '100' }, total: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '5' }, peers: { type: 'string', default: 'crun,runc' }, state: { type: 'string' },
    progress: { type: 'boolean', default: false }, cgroups: { type: 'boolean', default: true },
  },
});
const bundle = values.bundle ?? '';
const compared = Number(values.compared);
const total = Math.max(compared, Number(values.total));
const warmup = Number(values.warmup);
const peerNames = (values.peers ?? '').split(',').filter(Boolean);
const stateRoot = values.state ?? '/tmp';
const progress = new Progress(values.progress === true);

// @ct/runtime does not export toContainerSpec (engines do not need it); the bench uses the built module itself so
// the spec is exactly what `ct run` would run.
const dist = (/** @type {string} */ p) => pathToFileURL(join(repoRoot, p)).href;
const { readBundleConfig } = await import(dist('packages/runtime/dist/index.js'));
const { toContainerSpec } = await import(dist('packages/runtime/dist/config/to-container-spec.js'));
const { runContainer } = await import(dist('packages/namespaces/dist/index.js'));
const { withDefaultDeviceRules } = await import(dist('packages/namespaces/dist/engine.js'));
const { FORK_SERVER_DEFAULT } = await import(dist('packages/syscalls/dist/fork-server.js'));
// Both ways @ct/syscalls clones, interleaved in this one process (CT_FORK_SERVER is read at each spawn):
// `embedded` through the fork server, `embedded-direct` by cloning this process. The run alone uses the default.
/** @type {Record<string, string>} */
const CLONE_MODES = { embedded: '1', 'embedded-direct': '0' };
const defaultPeer = FORK_SERVER_DEFAULT ? 'embedded' : 'embedded-direct';

const rootless = process.geteuid?.() !== 0;
/** @type {string[]} */
const warnings = [];
const config = readBundleConfig(bundle);
const converted = toContainerSpec(config, {
  rootless, euid: process.geteuid?.() ?? 0, extraFds: 0, relaySignals: false, warn: (/** @type {string} */ m) => warnings.push(m),
});
// One cgroup per container, as `ct run` makes it as root (container-launch.ts) and as runc and crun do: a directory
// in every mounted v1 hierarchy (freezer included), linux.resources written, removed after the exit. Rootless on
// v1 there is none (runContainer would only warn), as for runc and crun.
const cgroups = values.cgroups === true && !rootless;
// The device rules as `ct create` programs them (container-create.ts, withDeviceCgroup): the config's, then runc's
// defaults (null, zero, tty, ...); the bundle's rule alone (deny all) would refuse the mknod of /dev/null.
const resources = { ...config.confinement.resources, devices: withDefaultDeviceRules(config.confinement.resources?.devices ?? []) };
const spec = !cgroups ? converted : { ...converted, cgroup: { resources, freezer: true, allControllers: true } };

/** One container through runContainer; returns its wall time in ms (start to exit collected). */
async function runEmbedded(peer = defaultPeer) {
  process.env.CT_FORK_SERVER = CLONE_MODES[peer];
  const t0 = process.hrtime.bigint();
  const handle = await runContainer(spec);
  const exit = await handle.wait();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (exit.status !== 0) throw new Error(`embedded container: exit status ${exit.status}`);
  return ms;
}

/** @param {string} name @param {number} i */
function runPeer(name, i) {
  const r = runSequence([[name, '--root', join(stateRoot, name), 'run', '--bundle', bundle, `emb-${process.pid}-${i}`]], { cwd: bundle });
  if (!r.ok) throw new Error(`${name} run: exit ${r.steps[0]?.status}: ${r.stderr.trim()}`);
  return r.steps[0]?.wallMs ?? Number.NaN;
}

/** A /proc/self/status field in MB (kB there). @param {string} text @param {string} field */
const statusMB = (text, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN) / 1024;
/**
 * This process's memory after a forced GC, by component, so a growth can be told apart: V8's heap (committed:
 * heapTotal; live: heapUsed), memory outside it that V8 knows of (external), anonymous RSS (V8's heap, malloc
 * and thread stacks: what is neither of V8's is native), file-backed RSS (code, mapped files), open fds.
 */
const memory = () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  const status = readFileSync('/proc/self/status', 'utf8');
  return {
    rssMB: m.rss / 2 ** 20, heapTotalMB: m.heapTotal / 2 ** 20, heapUsedMB: m.heapUsed / 2 ** 20, externalMB: m.external / 2 ** 20,
    rssAnonMB: statusMB(status, 'RssAnon'), rssFileMB: statusMB(status, 'RssFile'), fds: readdirSync('/proc/self/fd').length,
    // committed size of each V8 space (new_space, old_space, code_space, large_object_space, ...)
    spacesMB: Object.fromEntries(getHeapSpaceStatistics().map((x) => [x.space_name, x.space_size / 2 ** 20])),
  };
};

/** @type {Record<string, number[]>} */
const samples = { embedded: [], 'embedded-direct': [], ...Object.fromEntries(peerNames.map((n) => [n, []])) };
const order = ['embedded', 'embedded-direct', ...peerNames];
const cpu0 = process.cpuUsage();
for (let round = 0; round < warmup + compared; round++) {
  progress.update(`embedded-start: ${round < warmup ? 'warm-up' : 'round'} ${round < warmup ? round + 1 : round - warmup + 1}/${round < warmup ? warmup : compared}`);
  for (let k = 0; k < order.length; k++) {
    const name = order[(round + k) % order.length] ?? 'embedded';
    const ms = name in CLONE_MODES ? await runEmbedded(name) : runPeer(name, round);
    if (round >= warmup) samples[name]?.push(ms);
  }
}
const after100 = { containers: warmup + compared, ...memory() };
/** @type {number[]} */
const later = [];
/** RSS every 100 containers: a leak grows linearly, a warming allocator levels off. */
const samplesMB = [after100];
for (let i = warmup + compared; i < warmup + total; i++) {
  if (i % 10 === 0) progress.update(`embedded-start: alone ${i - warmup}/${total} (memory growth)`);
  later.push(await runEmbedded());
  if ((i + 1 - warmup) % 100 === 0 && i + 1 < warmup + total) samplesMB.push({ containers: i + 1, ...memory() });
}
const afterTotal = { containers: warmup + total, ...memory() };
const cpu = process.cpuUsage(cpu0);
progress.clear();
console.log(JSON.stringify({
  compared: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)])),
  embeddedAlone: summarize(later),
  defaultPeer,
  memory: {
    after: after100, afterTotal, growthMB: afterTotal.rssMB - after100.rssMB, gcForced: typeof globalThis.gc === 'function',
    samplesMB: [...samplesMB, afterTotal],
  },
  nodeProcessCpuMs: (cpu.user + cpu.system) / 1000,
  cgroups: cgroups ? { resources: { ...resources, devices: `${resources.devices.length} rules` }, freezer: true, allControllers: true } : false,
  warnings: [...new Set(warnings)],
}, (_key, v) => (typeof v === 'bigint' ? String(v) : v)));
