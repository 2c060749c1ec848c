/**
 * config.json's confinement fields seen from inside a container run by `ct run`: capabilities (the five sets in
 * /proc/self/status), an rlimit (clamped to ours when we cannot raise it), a seccomp-denied call, oom_score_adj,
 * a namespaced sysctl; as root and as the unprivileged user.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature, tempDir } from '@ct/test-utils';
import { specTemplate } from '@ct/runtime';
import { ciUser, makeBundleDir, readConfig, removeBundle, Runtime, writeConfig } from './runtime-harness.js';

type Json = Record<string, unknown>;

const script = [
  'grep -E "^Cap(Prm|Eff|Bnd|Amb|Inh)" /proc/self/status',
  'echo nofile=$(ulimit -n)',
  'mkdir /tmp/denied 2>/dev/null; echo mkdir=$?',
  'echo oom=$(cat /proc/self/oom_score_adj)',
  'echo fwd=$(cat /proc/sys/net/ipv4/ip_forward)',
].join('; ');

function edit(c: Json): void {
  const p = c['process'] as Json;
  p['capabilities'] = {
    bounding: ['CAP_KILL', 'CAP_CHOWN', 'CAP_NET_RAW'], effective: ['CAP_KILL', 'CAP_CHOWN'],
    permitted: ['CAP_KILL', 'CAP_CHOWN'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'],
  };
  p['rlimits'] = [{ type: 'RLIMIT_NOFILE', soft: 321, hard: 4321 }];
  p['oomScoreAdj'] = 250;
  const l = c['linux'] as Json;
  l['seccomp'] = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
  };
  l['sysctl'] = { 'net.ipv4.ip_forward': '1' };
  const ns = l['namespaces'] as Json[];
  if (!ns.some((n) => n['type'] === 'network')) ns.push({ type: 'network' });
}

function field(out: string, name: string): string | undefined {
  return new RegExp(`^${name}[:=]\\s*(\\S+)$`, 'm').exec(out)?.[1];
}

async function check(ct: Runtime, owner: { uid: number; gid: number } | undefined, rootless: boolean): Promise<void> {
  const bundle = await makeBundleDir(join(tmpdir(), 'ct-confinement'), owner);
  try {
    const ids = owner ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    writeConfig(bundle, ['sh', '-c', script], specTemplate({ rootless, uid: ids.uid, gid: ids.gid }) as Json);
    const c = readConfig(bundle);
    edit(c);
    writeConfig(bundle, ['sh', '-c', script], c);
    const r = ct.run(['run', '--bundle', bundle, `conf-${process.pid}`]);
    assert.equal(r.status, 0, r.stderr);
    // KILL = bit 5, CHOWN = bit 0, NET_RAW = bit 13
    assert.equal(field(r.stdout, 'CapBnd'), (1n << 5n | 1n << 0n | 1n << 13n).toString(16).padStart(16, '0'), r.stdout);
    assert.equal(field(r.stdout, 'CapPrm'), '0000000000000021', r.stdout);
    assert.equal(field(r.stdout, 'CapInh'), '0000000000000020', r.stdout);
    assert.equal(field(r.stdout, 'nofile'), '321');
    assert.equal(field(r.stdout, 'mkdir'), '1', 'the seccomp rule refuses mkdir');
    assert.equal(field(r.stdout, 'oom'), '250');
    assert.equal(field(r.stdout, 'fwd'), '1', 'net.ipv4.ip_forward written in the container\'s own network namespace');
  } finally {
    removeBundle(bundle);
  }
}

describe('ct run confinement fields @root', () => {
  it('run, capabilities, rlimit, seccomp, oomScoreAdj and sysctl take effect inside', async function () {
    requireFeature(this, isRoot(), 'needs root');
    const ct = new Runtime('ct', tempDir('ct-conf-root-'));
    await check(ct, undefined, false);
  });
});

describe('ct run time offsets and personality @root', () => {
  it('run, linux.timeOffsets moves /proc/uptime; personality LINUX32 makes uname -m report i686', async function () {
    requireFeature(this, isRoot() && existsSync('/proc/self/ns/time'), 'needs root and time namespaces');
    const bundle = await makeBundleDir(join(tmpdir(), 'ct-confinement'));
    try {
      const args = ['sh', '-c', 'echo up=$(cut -d. -f1 /proc/uptime); echo arch=$(uname -m)'];
      writeConfig(bundle, args, specTemplate({}) as Json);
      const c = readConfig(bundle);
      const l = c['linux'] as Json;
      (l['namespaces'] as Json[]).push({ type: 'time' });
      l['timeOffsets'] = { boottime: { secs: 864000 }, monotonic: { secs: 864000 } };
      l['personality'] = { domain: 'LINUX32' };
      writeConfig(bundle, args, c);
      const ct = new Runtime('ct', tempDir('ct-conf-root-'));
      const r = ct.run(['run', '--bundle', bundle, `time-${process.pid}`]);
      assert.equal(r.status, 0, r.stderr);
      const up = Number(field(r.stdout, 'up'));
      const hostUp = Number(readFileSync('/proc/uptime', 'utf8').split('.')[0]);
      assert.ok(up >= hostUp + 864000 - 5, `uptime ${up} is the host's ${hostUp} + 10 days`);
      assert.equal(field(r.stdout, 'arch'), 'i686');
    } finally {
      removeBundle(bundle);
    }
  });
});

describe('ct run confinement fields unprivileged @rootless', () => {
  it('run, capabilities, rlimit, seccomp, oomScoreAdj and sysctl take effect inside', async function () {
    const user = ciUser();
    if (isRoot()) {
      requireFeature(this, user !== undefined, 'needs the ctci user');
      const ct = new Runtime('ct', `/tmp/ct-conf-ctci-${process.pid}`, user);
      await check(ct, user, true).finally(() => ct.cleanup([]));
    } else {
      const ct = new Runtime('ct', tempDir('ct-conf-'));
      await check(ct, undefined, true);
    }
  });
});
