/**
 * `ct features`, the document engines read to learn what the runtime can do, checked against the runtime-spec's
 * features schema (engine-features-schema.ts) and for honesty: every capability listed is one the kernel knows
 * (and every kernel capability is listed), every namespace exists in /proc/self/ns, the cgroup flags match the
 * mounts, and a container whose seccomp profile uses every listed action, operator, architecture and supported
 * flag is created and run by ct (what is not listed, SCMP_ACT_NOTIFY, is refused). Man pages: capabilities(7),
 * namespaces(7), seccomp(2), cgroups(7).
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import { specTemplate } from '@ct/runtime';
import { FEATURES_SCHEMA, validate } from './engine-features-schema.js';
import { ctBin, makeBundleDir, readConfig, removeBundle, Runtime, writeConfig } from './runtime-harness.js';
import { runBounded } from './engine-harness.js';

type Json = Record<string, unknown>;

/**
 * Capability numbers by name from the kernel's UAPI header (linux-libc-dev, installed with libc6-dev for the addon
 * build): a reference independent of ct's own table.
 */
function capabilityNumbers(): Map<string, number> {
  const header = readFileSync('/usr/include/linux/capability.h', 'utf8');
  return new Map([...header.matchAll(/^#define (CAP_[A-Z_]+)\s+(\d+)$/gm)].map((m) => [m[1] ?? '', Number(m[2])]));
}

/** The /proc/self/ns entry of each runtime-spec namespace type. */
const NS_FILES: Readonly<Record<string, string>> = Object.freeze({
  mount: 'mnt', pid: 'pid', network: 'net', uts: 'uts', ipc: 'ipc', user: 'user', cgroup: 'cgroup', time: 'time',
});

interface Features {
  linux: {
    namespaces: string[];
    capabilities: string[];
    cgroup: { v1: boolean; v2: boolean };
    seccomp: { enabled: boolean; actions: string[]; operators: string[]; archs: string[]; knownFlags: string[]; supportedFlags: string[] };
  };
  mountOptions: string[];
}

/** `ct features` parsed. */
function features(): Json {
  const r = runBounded(process.execPath, [ctBin, 'features']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Json;
}

/** Filesystem types of the mounts this process sees. */
function mountTypes(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' - ')[1]?.split(' ')[0] ?? '');
}

describe('ct features, the runtime-spec features document', () => {
  it('ct features, conforms to the features schema (required fields, types, enums)', () => {
    assert.deepEqual(validate(features(), FEATURES_SCHEMA), []);
  });

  it('ct features schema check, names what a wrong document gets wrong', () => {
    const doc = features();
    delete doc.ociVersionMin;
    const linux = doc.linux as Json;
    linux.namespaces = ['mount', 'vm'];
    (linux.seccomp as Json).enabled = 'yes';
    doc.annotations = { a: 1 };
    doc.extra = true;
    assert.deepEqual(validate(doc, FEATURES_SCHEMA).sort(), [
      'features.annotations.a: not a string (number)',
      'features.extra: not in the schema',
      'features.linux.namespaces[1]: not one of the schema\'s values: vm',
      'features.linux.seccomp.enabled: not a boolean (string)',
      'features.ociVersionMin: required',
    ]);
  });

  it('ct features, ociVersionMin is not above ociVersionMax; lists are free of repeats', () => {
    const doc = features() as Json & Features & { ociVersionMin: string; ociVersionMax: string };
    const parts = (v: string): number[] => v.split('-')[0]?.split('.').map(Number) ?? [];
    const [min, max] = [parts(doc.ociVersionMin), parts(doc.ociVersionMax)];
    const order = min.map((m, i) => m - (max[i] ?? 0)).find((d) => d !== 0) ?? 0;
    assert.ok(order <= 0, `${doc.ociVersionMin} > ${doc.ociVersionMax}`);
    for (const list of [doc.mountOptions, doc.linux.namespaces, doc.linux.capabilities, doc.linux.seccomp.actions]) {
      assert.equal(new Set(list).size, list.length, `repeats in ${list.join(',')}`);
    }
  });

  it('ct features, capabilities are exactly those the kernel knows', function () {
    requireFeature(this, existsSync('/usr/include/linux/capability.h'), 'linux/capability.h (linux-libc-dev) is not installed');
    const numbers = capabilityNumbers();
    const last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
    const listed = (features() as Json & Features).linux.capabilities;
    const unknown = listed.filter((c) => (numbers.get(c) ?? Infinity) > last);
    assert.deepEqual(unknown, [], 'capabilities the kernel does not know');
    const kernel = [...numbers].filter(([, n]) => n <= last).map(([c]) => c);
    assert.deepEqual(kernel.filter((c) => !listed.includes(c)), [], 'kernel capabilities not listed');
  });

  it('ct features, each namespace listed exists in /proc/self/ns; the cgroup flags match the mounts', () => {
    const doc = features() as Json & Features;
    const present = readdirSync('/proc/self/ns');
    assert.deepEqual(doc.linux.namespaces.filter((t) => !present.includes(NS_FILES[t] ?? '')), []);
    assert.equal(doc.linux.cgroup.v1, mountTypes().includes('cgroup'));
    if (doc.linux.cgroup.v2) assert.ok(mountTypes().includes('cgroup2'), 'v2 listed without a cgroup2 mount');
  });

  it('ct features, the supported seccomp flags are known flags', () => {
    const { seccomp } = (features() as Json & Features).linux;
    assert.equal(seccomp.enabled, true);
    assert.deepEqual(seccomp.supportedFlags.filter((f) => !seccomp.knownFlags.includes(f)), []);
  });
});

describe('ct features, the seccomp actions, operators, archs and flags listed are applied @root', function () {
  this.timeout(60_000);
  let base = '';
  let bundle = '';
  let ct: Runtime | undefined;

  beforeEach(async function () {
    requireFeature(this, isRoot(), 'needs root');
    base = mkdtempSync(join(tmpdir(), 'ct-features-'));
    bundle = await makeBundleDir(join(base, 'bundles'));
    ct = new Runtime('ct', join(base, 'state'));
  });

  afterEach(() => {
    removeBundle(bundle);
    if (base !== '') rmSync(base, { recursive: true, force: true });
    bundle = '';
    base = '';
  });

  /** Run `sh -c script` under `seccomp` in a fresh container. */
  function runWith(seccomp: Json, script: string, id: string): { status: number | null; stdout: string; stderr: string } {
    const args = ['sh', '-c', script];
    writeConfig(bundle, args, specTemplate({ rootless: false, uid: 0, gid: 0 }) as Json);
    const config = readConfig(bundle);
    (config.linux as Json).seccomp = seccomp;
    writeConfig(bundle, args, config);
    return ct?.run(['run', '--bundle', bundle, `${id}-${process.pid}`]) ?? { status: null, stdout: '', stderr: '' };
  }

  /** A profile using every listed action and operator on syscalls busybox's sh and echo never make; mkdir refused. */
  function everyRule(seccomp: Features['linux']['seccomp'], flags: readonly string[]): Json {
    const spare = ['acct', 'swapon', 'swapoff', 'kexec_load', 'init_module', 'delete_module', 'quotactl',
      'settimeofday', 'sethostname', 'setdomainname', 'iopl', 'ioperm', 'syslog', 'vhangup', 'lookup_dcookie'];
    const rules: Json[] = [];
    for (const action of seccomp.actions) rules.push({ names: [spare[rules.length] ?? 'acct'], action });
    for (const op of seccomp.operators) {
      rules.push({ names: [spare[rules.length] ?? 'acct'], action: 'SCMP_ACT_ERRNO',
        args: [{ index: 0, value: 7, valueTwo: 3, op }] });
    }
    rules.push({ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 });
    return { defaultAction: 'SCMP_ACT_ALLOW', architectures: seccomp.archs, flags, syscalls: rules };
  }

  it('ct run, a profile using every listed action, operator and arch is applied', () => {
    const { seccomp } = (features() as Json & Features).linux;
    const r = runWith(everyRule(seccomp, []), 'echo ran; mkdir /tmp/x 2>/dev/null; echo mkdir=$?', 'all');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'ran\nmkdir=1\n');
  });

  // WAIT_KILLABLE_RECV alone (no listener) is refused by seccomp(2); ct leaves the bit out as libseccomp does.
  it('ct run, each supported seccomp flag is accepted', () => {
    const { seccomp } = (features() as Json & Features).linux;
    const refused = seccomp.supportedFlags.filter((flag, i) => {
      const r = runWith(everyRule(seccomp, [flag]), 'echo ran', `flag-${i}`);
      return r.status !== 0 || r.stdout !== 'ran\n';
    });
    assert.deepEqual(refused, []);
  });

  it('ct run, an action features does not list (SCMP_ACT_NOTIFY) is refused at create', () => {
    const { seccomp } = (features() as Json & Features).linux;
    assert.ok(!seccomp.actions.includes('SCMP_ACT_NOTIFY'), 'SCMP_ACT_NOTIFY is listed: this case needs another action');
    const r = runWith({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['acct'], action: 'SCMP_ACT_NOTIFY' }] },
      'echo ran', 'notify');
    assert.notEqual(r.status, 0);
    assert.equal(r.stdout, '', 'the container must not run');
    assert.match(r.stderr, /seccomp\.syscalls\[0\]\.action/);
  });
});
