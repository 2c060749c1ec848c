/**
 * One conformance suite's fixtures and the comparison of one case: the probe image unpacked once into a template
 * rootfs, the base config (`runc spec`, or `runc spec --rootless` as the unprivileged user), then for each case a
 * fresh bundle at the same path for runc and then for ct, each driven through the lifecycle, normalised
 * (normalise.ts) and compared field by field (json-diff.ts).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeBinary, testImage } from '@ct/test-utils';
import { ciUser } from '../runtime-harness.js';
import { configText, type CaseContext, type Config, type ConformanceCase } from './case-types.js';
import type { Difference } from './json-diff.js';
import { cgroupHierarchies, ConformanceRuntime, runLifecycle, unmountBelow, type RunOutcome, type RuntimeName, type TestUser } from './lifecycle.js';
import { startHolder, stopHolder } from './namespace-holder.js';
import { normaliseOutcome } from './normalise.js';
import { judge } from './judge.js';

/** The probe's path inside the container (the probe image's). */
export const PROBE = '/usr/local/bin/ct-probe';

/** Paths the probe always describes (runc's and ct's default masked and read-only paths), so a change shows. */
const DEFAULT_PATHS = ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi', '/sys/devices/virtual/powercap', '/proc/bus',
  '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The outcome of one case: runc's and ct's outcomes, ct's differences, and every runtime's (judge.ts). */
export interface CaseResult {
  readonly runc: RunOutcome;
  readonly ct: RunOutcome;
  /** ct's differences (the test fails on those no KNOWN_DIFFERENCES entry explains). */
  readonly diffs: Difference[];
  /** Each runtime's differences, runc's own included (where it does not do what a SpecExpectation says). */
  readonly judged: Partial<Record<RuntimeName, Difference[]>>;
}

/** A suite's fixed parts. */
export interface Suite {
  readonly rootless: boolean;
  readonly user: TestUser | undefined;
  readonly base: string;
  readonly template: string;
  readonly hostProbe: string;
  readonly baseConfig: Config;
  readonly ctSpec: Config;
  /** crun only where it is installed and asked for (CT_CONFORMANCE_CRUN=1): it only counts, and CI's time is short. */
  readonly runtimes: Record<'runc' | 'ct', ConformanceRuntime> & { readonly crun?: ConformanceRuntime };
  readonly hostIds: { uid: number; gid: number };
  /** The runtime-spec version each runtime says it implements (`--version`, line `spec: X`). */
  readonly specVersions: Partial<Record<RuntimeName, string>>;
}

/** Give `path` (recursively when `recursive`) to the runtime's user, when the runtime runs as another user. */
function own(suite: { user: TestUser | undefined }, path: string, recursive = false): void {
  if (suite.user === undefined) return;
  if (recursive) spawnSync('chown', ['-R', `${suite.user.uid}:${suite.user.gid}`, path]);
  else chownSync(path, suite.user.uid, suite.user.gid);
}

/** Unpack the probe image's rootfs into `dir` (with @ct/oci, as the tests' user). */
async function unpackProbeImage(dir: string): Promise<void> {
  const image = testImage('probe');
  if (!existsSync(join(image, 'index.json'))) throw new Error(`conformance: the probe image is not built (${image}): run node tools/images/build.mjs`);
  const { unpackImage } = await import('@ct/oci');
  await unpackImage(image, dir);
}

/**
 * Prepare a suite: its work dir, the template rootfs, a host copy of the probe for hooks, and the base config
 * from runc's own `spec` (as the runtime's user, so `--rootless` maps that user).
 */
export async function prepareSuite(rootless: boolean, user: TestUser | undefined): Promise<Suite> {
  const parent = user !== undefined ? '/tmp' : tmpdir();
  const base = join(parent, `ct-conformance-${rootless ? 'rootless' : 'root'}-${process.pid}`);
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { mode: 0o755 });
  chmodSync(base, 0o755);
  const unpacked = join(base, 'image');
  await unpackProbeImage(unpacked);
  const template = join(unpacked, 'rootfs');
  const hostProbe = join(base, 'ct-probe');
  copyFileSync(probeBinary(), hostProbe);
  chmodSync(hostProbe, 0o755);
  const stateBase = user !== undefined ? `${user.runtimeDir}/ct-conformance-${process.pid}` : join(base, 'state');
  const withCrun = installed('crun') && process.env['CT_CONFORMANCE_CRUN'] === '1';
  const runtimes = {
    runc: new ConformanceRuntime('runc', `${stateBase}-runc`, user),
    ct: new ConformanceRuntime('ct', `${stateBase}-ct`, user),
    ...(withCrun ? { crun: new ConformanceRuntime('crun', `${stateBase}-crun`, user) } : {}),
  };
  const specDir = join(base, 'spec');
  mkdirSync(specDir);
  own({ user }, base);
  own({ user }, specDir);
  const specOf = (rt: ConformanceRuntime): Config => {
    spawnSync('rm', ['-f', join(specDir, 'config.json')]);
    const r = rt.call(['spec', ...(rootless ? ['--rootless'] : []), '--bundle', specDir], base, 'spec');
    if (r.status !== 0) throw new Error(`conformance: ${rt.name} spec: ${r.stderr}`);
    return JSON.parse(readFileSync(join(specDir, 'config.json'), 'utf8')) as Config;
  };
  const baseConfig = specOf(runtimes.runc);
  const ctSpec = specOf(runtimes.ct);
  const hostIds = user !== undefined ? { uid: user.uid, gid: user.gid } : { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const specVersions = Object.fromEntries(Object.values(runtimes).map((rt) => [rt.name, specVersionOf(rt, base)]));
  return { rootless, user, base, template, hostProbe, baseConfig, ctSpec, runtimes, hostIds, specVersions };
}

/** The `spec: X` line of `<runtime> --version`. */
function specVersionOf(rt: ConformanceRuntime, dir: string): string {
  const r = rt.call(['--version'], dir, 'version');
  const v = /^spec: (\S+)$/m.exec(r.stdout)?.[1];
  if (v === undefined) throw new Error(`conformance: ${rt.name} --version names no spec version: ${r.stdout}${r.stderr}`);
  return v;
}

/** Remove the suite's files and state roots (containers are deleted by each run). */
export function cleanupSuite(suite: Suite | undefined): void {
  if (suite === undefined) return;
  for (const rt of Object.values(suite.runtimes)) {
    if (rt.user !== undefined) spawnSync('rm', ['-rf', rt.root]);
    else rmSync(rt.root, { recursive: true, force: true });
  }
  spawnSync('chmod', ['-R', 'u+w', suite.base]);
  rmSync(suite.base, { recursive: true, force: true });
}

/** The host's cgroup hierarchies as this process sees them (/proc/self/cgroup without the paths). */
function cgroupLayout(): string {
  return readFileSync('/proc/self/cgroup', 'utf8').split('\n').map((l) => l.slice(0, l.lastIndexOf(':'))).sort().join(' ');
}

/** The test process's own namespace links (what `host` means in the normalised reports). */
export function hostNamespaces(): Record<string, string> {
  return Object.fromEntries(readdirSync('/proc/self/ns').map((n) => [n, readlinkSync(`/proc/self/ns/${n}`)]));
}

/** Run `c` under one runtime in a fresh bundle at `bundle`; `joined` collects the namespaces it joined. */
async function runOnce(suite: Suite, c: ConformanceCase, name: RuntimeName, bundle: string, id: string, joined: Record<string, string>): Promise<RunOutcome> {
  spawnSync('chmod', ['-R', 'u+w', bundle]);
  rmSync(bundle, { recursive: true, force: true });
  mkdirSync(bundle, { mode: 0o755 });
  const dir = join(bundle, 'out');
  mkdirSync(dir, { mode: 0o777 });
  chmodSync(dir, 0o777);
  cpSync(suite.template, join(bundle, 'rootfs'), { recursive: true, verbatimSymlinks: true });
  own(suite, bundle, true);
  const holders: ChildProcess[] = [];
  const afterRun: (() => void)[] = [];
  const hookFiles: Record<string, string> = {};
  const ctx: CaseContext = {
    rootless: suite.rootless,
    bundle,
    rootfs: join(bundle, 'rootfs'),
    ctSpec: structuredClone(suite.ctSpec),
    probe: PROBE,
    hostProbe: suite.hostProbe,
    hostUid: suite.hostIds.uid,
    hostGid: suite.hostIds.gid,
    hostDir(sub, files = {}) {
      const path = join(bundle, sub);
      mkdirSync(path, { recursive: true });
      for (const [f, text] of Object.entries(files)) writeFileSync(join(path, f), text);
      own(suite, path, true);
      return path;
    },
    async holdNamespaces(types) {
      const holder = await startHolder(suite.user, types);
      holders.push(holder.child);
      for (const t of types) joined[readlinkSync(holder.paths[t])] = t;
      return holder.paths;
    },
    afterRun(fn) {
      afterRun.push(fn);
    },
    hookFile(kind) {
      hookFiles[kind] = join(bundle, 'hooks', `${kind}.json`);
      if (!existsSync(join(bundle, 'hooks'))) ctx.hostDir('hooks');
      return hookFiles[kind];
    },
  };
  try {
    const config = structuredClone(suite.baseConfig);
    config.process.terminal = false;
    // as root each container gets its own cgroup, named like the container (normalisation 1); rootless runc on
    // cgroup v1 cannot make one and refuses a cgroupsPath, so the rootless base leaves it out as runc spec does
    if (!suite.rootless) config.linux.cgroupsPath = `/${id}`;
    config.process.args = [PROBE, 'report', '--wait'];
    await c.edit(config, ctx);
    if (config.process.args?.[1] === 'report') config.process.args.splice(2, 0, ...probeArgs(c, config));
    writeFileSync(join(bundle, 'config.json'), configText(config));
    own(suite, join(bundle, 'config.json'));
    const cgroupDirs = suite.rootless ? [] : cgroupHierarchies().map((h) => join(h, id));
    return await runLifecycle(suite.runtimes[name]!, bundle, { dir, id, hookFiles, cgroupDirs });
  } finally {
    holders.forEach(stopHolder);
    afterRun.forEach((fn) => fn());
    unmountBelow(bundle);
  }
}

/** The probe's report options: the config's sysctls, masked and read-only paths, and the case's own. */
function probeArgs(c: ConformanceCase, config: Config): string[] {
  const sysctls = new Set([...Object.keys(config.linux.sysctl ?? {}), ...(c.probe?.sysctls ?? [])]);
  const paths = new Set([...DEFAULT_PATHS, ...(config.linux.maskedPaths ?? []), ...(config.linux.readonlyPaths ?? []), ...(c.probe?.paths ?? [])]);
  return [
    ...[...sysctls].flatMap((s) => ['--sysctl', s]),
    ...[...paths].flatMap((p) => ['--path', p]),
    ...(c.probe?.files ?? []).flatMap((f) => ['--file', f]),
  ];
}

/** The runtimes a suite runs each case under, runc (the reference) first. */
export function runtimeNames(suite: Suite): RuntimeName[] {
  return suite.runtimes.crun === undefined ? ['runc', 'ct'] : ['runc', 'ct', 'crun'];
}

/**
 * Run case number `index` under runc, then ct, then crun when the suite has it (same bundle path, fresh copies),
 * and judge each against runc's outcome and the case's SpecExpectation (judge.ts).
 */
export async function compareCase(suite: Suite, c: ConformanceCase, index: number): Promise<CaseResult> {
  const bundle = join(suite.base, `case-${index}`);
  const hostNs = hostNamespaces();
  const names = runtimeNames(suite);
  const outcomes: Partial<Record<RuntimeName, RunOutcome>> = {};
  const normalised: Partial<Record<RuntimeName, Record<string, unknown>>> = {};
  // Other tests on this machine mount and unmount cgroup v1 hierarchies (crun needs net_cls, hugetlb, ...):
  // a change between the two runs would show as a difference of neither runtime, so the case runs again.
  for (let attempt = 1; ; attempt++) {
    const layout = cgroupLayout();
    for (const name of names) {
      const id = `cf${process.pid}-${index}-${name}`;
      const joined: Record<string, string> = {};
      const outcome = await runOnce(suite, c, name, bundle, id, joined);
      outcomes[name] = outcome;
      normalised[name] = normaliseOutcome(outcome, { id, bundle, hostNamespaces: hostNs, joinedNamespaces: joined, specVersion: suite.specVersions[name]! });
    }
    if (cgroupLayout() === layout) break;
    if (attempt === 3) throw new Error('conformance: the host\'s cgroup hierarchies changed during each of 3 attempts');
    console.log(`      (the host's cgroup hierarchies changed during the case: running it again)`);
  }
  spawnSync('chmod', ['-R', 'u+w', bundle]);
  rmSync(bundle, { recursive: true, force: true });
  const runc = { outcome: outcomes.runc!, normalised: normalised.runc! };
  const judged: Partial<Record<RuntimeName, Difference[]>> = {};
  for (const name of names) judged[name] = judge(c, runc, { outcome: outcomes[name]!, normalised: normalised[name]! });
  return { runc: runc.outcome, ct: outcomes.ct!, diffs: judged.ct!, judged };
}

/** The test user, when this machine has it (made by tools/dev/ci-user.sh). */
export function testUser(): TestUser | undefined {
  const user = ciUser();
  return user === undefined ? undefined : { name: 'ctci', ...user };
}

/** Is this runtime installed? */
export function installed(name: RuntimeName): boolean {
  return spawnSync(name, ['--version']).status === 0;
}
