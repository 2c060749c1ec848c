import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MOUNT_ATTR, MS } from '@ct/syscalls';
import { readBundleConfig } from '../../src/config/bundle-config.js';
import { toContainerSpec, type ConversionContext } from '../../src/config/to-container-spec.js';
import { ConfigError } from '../../src/errors.js';
import { specTemplate } from '../../src/spec-template.js';

type Json = Record<string, unknown>;

function config(rootless: boolean, edit: (c: Json) => void = () => {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ct-conv-'));
  mkdirSync(join(dir, 'rootfs'));
  const c = specTemplate({ rootless, uid: 1000, gid: 1000 }) as Json;
  edit(c);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  return readBundleConfig(dir);
}
const warnings: string[] = [];
const ctx = (over: Partial<ConversionContext> = {}): ConversionContext => ({
  rootless: false, euid: 0, extraFds: 0, relaySignals: false, warn: (m) => warnings.push(m), ...over,
});

describe('config to ContainerSpec', () => {
  it('toContainerSpec, the default spec: namespaces, command, read-only root, hostname', () => {
    const s = toContainerSpec(config(false), ctx());
    assert.deepEqual(s.namespaces, ['pid', 'net', 'ipc', 'uts', 'mnt']);
    assert.deepEqual(s.command.argv, ['sh']);
    assert.equal(s.command.env?.['TERM'], 'xterm');
    assert.equal(s.command.cwd, '/');
    assert.equal(s.writableRoot, false);
    assert.equal(s.hostname, 'ct');
    assert.deepEqual(s.relayedSignals, []);
    assert.equal(s.lockMounts, false);
  });
  it('toContainerSpec, /proc /dev /sys come from the namespaces plan, a cgroup mount is a tmpfs filled at launch', () => {
    warnings.length = 0;
    const s = toContainerSpec(config(false), ctx());
    assert.deepEqual(s.mounts, [{ type: 'tmpfs', target: '/sys/fs/cgroup', flags: ['nosuid', 'nodev', 'noexec'], mode: 0o755 }]);
    assert.equal(warnings.filter((w) => w.startsWith('mount ')).length, 0, warnings.join('|'));
    assert.equal(warnings.filter((w) => w.startsWith('process.capabilities.ambient')).length, 3, 'runc\'s ambient set without inheritable');
  });
  it('toContainerSpec, rootless spec: user namespace with the one-id maps', () => {
    const s = toContainerSpec(config(true), ctx({ rootless: true, euid: 1000 }));
    assert.ok(s.namespaces?.includes('user'));
    assert.deepEqual(s.uidMap, [{ inside: 0, outside: 1000, count: 1 }]);
    assert.deepEqual(s.gidMap, [{ inside: 0, outside: 1000, count: 1 }]);
  });
  it('toContainerSpec, binds keep read-only and recursion; tmpfs keeps mode and size', () => {
    const s = toContainerSpec(config(false, (c) => {
      (c['mounts'] as Json[]).push(
        { destination: '/data', source: '/srv', options: ['rbind', 'rro'] },
        { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=1777', 'size=10m'] },
      );
    }), ctx());
    assert.deepEqual(s.mounts?.slice(1), [
      { type: 'bind', source: '/srv', target: '/data', readOnly: true, recursive: true },
      { type: 'tmpfs', target: '/tmp', flags: ['nosuid'], mode: 0o1777, size: '10m' },
    ]);
  });
  it('toContainerSpec, joined namespaces carry their path', () => {
    const s = toContainerSpec(config(false, (c) => {
      (c['linux'] as Json)['namespaces'] = [{ type: 'mount' }, { type: 'network', path: '/proc/1/ns/net' }];
      delete c['hostname'];
    }), ctx());
    assert.deepEqual(s.namespaces, ['mnt', { kind: 'net', path: '/proc/1/ns/net' }]);
  });
  it('toContainerSpec, a hostname without a uts namespace is ECONFIG', () => {
    const c = config(false, (j) => { (j['linux'] as Json)['namespaces'] = [{ type: 'mount' }]; });
    assert.throws(() => toContainerSpec(c, ctx()), (e: unknown) => e instanceof ConfigError && e.jsonPath === 'hostname');
  });
  it('toContainerSpec, rootless without a user namespace is ECONFIG', () => {
    assert.throws(() => toContainerSpec(config(false), ctx({ rootless: true, euid: 1000 })),
      (e: unknown) => e instanceof ConfigError && e.jsonPath === 'linux.namespaces');
  });
  it('toContainerSpec, masked and read-only paths become populate steps; rlimits, noNewPrivileges, capabilities are fields', () => {
    const s = toContainerSpec(config(false), ctx());
    const ops = (s.populate ?? []).map((p) => `${p.op}:${'target' in p ? p.target : ''}`);
    assert.ok(ops.includes('mount:/proc/keys'), ops.join(' '));
    assert.ok(ops.includes('remount:/proc/sys'));
    assert.deepEqual(s.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1024n, hard: 1024n }]);
    assert.equal(s.noNewPrivileges, true);
    const caps = s.capabilities as unknown as { bounding: string[]; ambient: string[] };
    assert.ok(caps.bounding.includes('CAP_KILL') && !caps.bounding.includes('CAP_SYS_ADMIN'), caps.bounding.join(' '));
  });
  it('toContainerSpec, without a new pid namespace config.json\'s /proc mount is kept (the plan mounts none); with one it is the plan\'s', () => {
    const procMounts = (s: ReturnType<typeof toContainerSpec>): unknown[] => (s.mounts ?? []).filter((m) => m.target === '/proc');
    assert.deepEqual(procMounts(toContainerSpec(config(false), ctx())), []);
    const hostPid = toContainerSpec(config(false, (c) => {
      const l = c['linux'] as { namespaces: { type: string }[] };
      l.namespaces = l.namespaces.filter((n) => n.type !== 'pid');
    }), ctx());
    assert.deepEqual(procMounts(hostPid).map((m) => (m as { fstype?: string }).fstype), ['proc']);
    const ops = (hostPid.populate ?? []).map((p) => `${p.op}:${'target' in p ? p.target : ''}`);
    assert.ok(ops.includes('mount:/proc/keys'), 'masked paths apply to that /proc');
  });
  it('toContainerSpec, no process.capabilities keeps none (as runc); an unknown rlimit is ECONFIG', () => {
    const s = toContainerSpec(config(false, (c) => { delete (c['process'] as Json)['capabilities']; }), ctx());
    assert.deepEqual(s.capabilities, { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] });
    const bad = config(false, (c) => { (c['process'] as Json)['rlimits'] = [{ type: 'RLIMIT_FROB', soft: 1, hard: 1 }]; });
    assert.throws(() => toContainerSpec(bad, ctx()), (e: unknown) => e instanceof ConfigError && e.jsonPath === 'process.rlimits[0].type');
  });
  it('toContainerSpec, seccomp (64-bit values as bigint), oomScoreAdj, timeOffsets, personality', () => {
    const s = toContainerSpec(config(false, (c) => {
      (c['process'] as Json)['oomScoreAdj'] = 500;
      const l = c['linux'] as Json;
      l['seccomp'] = {
        defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'],
        syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] }],
      };
      l['timeOffsets'] = { monotonic: { secs: 10 } };
      l['personality'] = { domain: 'LINUX32' };
    }), ctx());
    assert.equal(s.oomScoreAdj, 500);
    assert.deepEqual(s.seccomp?.architectures, ['SCMP_ARCH_X86_64']);
    assert.deepEqual(s.seccomp?.syscalls?.[0]?.args, [{ index: 0, value: 1n, valueTwo: 0n, op: 'SCMP_CMP_EQ' }]);
    assert.deepEqual(s.timeOffsets, { monotonic: { secs: 10, nanosecs: 0 } });
    assert.deepEqual((s.populate ?? []).filter((p) => p.op === 'personality'), [{ op: 'personality', persona: 8 }]);
  });
  it('toContainerSpec, a namespaced sysctl is a write under /proc/sys before it turns read-only; others are ECONFIG', () => {
    const s = toContainerSpec(config(false, (c) => { (c['linux'] as Json)['sysctl'] = { 'net.ipv4.ip_forward': '1' }; }), ctx());
    const ops = (s.populate ?? []).map((p) => (p.op === 'writeFile' ? `write:${p.path}` : `${p.op}:${'target' in p ? p.target : ''}`));
    const w = ops.indexOf('write:/proc/sys/net/ipv4/ip_forward');
    assert.ok(w >= 0 && w < ops.indexOf('remount:/proc/sys'), ops.join(' '));
    const hostNet = config(false, (c) => {
      (c['linux'] as Json)['sysctl'] = { 'net.ipv4.ip_forward': '1' };
      (c['linux'] as Json)['namespaces'] = [{ type: 'mount' }, { type: 'uts' }];
    });
    assert.throws(() => toContainerSpec(hostNet, ctx()), (e: unknown) => e instanceof ConfigError && e.jsonPath === 'linux.sysctl.net.ipv4.ip_forward');
    assert.throws(() => config(false, (c) => { (c['linux'] as Json)['sysctl'] = { 'vm.swappiness': '1' }; }),
      (e: unknown) => e instanceof ConfigError && e.jsonPath === 'linux.sysctl.vm.swappiness');
  });
  it('toContainerSpec, bind flags, r* attributes and propagation become populate steps on the destination', () => {
    const s = toContainerSpec(config(false, (c) => {
      (c['mounts'] as Json[]).push({ destination: '/data', source: '/srv', options: ['rbind', 'nosuid', 'ro', 'rnoexec', 'rslave'] });
    }), ctx());
    const onData = (s.populate ?? []).filter((p) => 'target' in p && p.target === '/data');
    assert.deepEqual(onData, [
      { op: 'remount', target: '/data', flags: MS.NOSUID | MS.RDONLY, recursive: true },
      { op: 'mountSetattr', target: '/data', attrSet: MOUNT_ATTR.NOEXEC, attrClr: 0n, propagation: 0n, recursive: true },
      { op: 'propagation', target: '/data', flags: MS.SLAVE | MS.REC },
    ]);
  });
  it('toContainerSpec, rootfsPropagation becomes a propagation step on /; an unknown one is ECONFIG', () => {
    const s = toContainerSpec(config(false, (c) => { (c['linux'] as Json)['rootfsPropagation'] = 'rslave'; }), ctx());
    assert.deepEqual(s.populate?.[0], { op: 'propagation', target: '/', flags: MS.SLAVE | MS.REC });
    const bad = config(false, (c) => { (c['linux'] as Json)['rootfsPropagation'] = 'sideways'; });
    assert.throws(() => toContainerSpec(bad, ctx()), (e: unknown) => e instanceof ConfigError && e.jsonPath === 'linux.rootfsPropagation');
  });
  it('toContainerSpec, an env entry without = is ECONFIG', () => {
    const c = config(false, (j) => { (j['process'] as Json)['env'] = ['PATH=/bin', 'BROKEN']; });
    assert.throws(() => toContainerSpec(c, ctx()), (e: unknown) => e instanceof ConfigError && e.jsonPath === 'process.env[1]');
  });
  it('toContainerSpec, preserved fds pass at 3..', () => {
    assert.deepEqual(toContainerSpec(config(false), ctx({ extraFds: 2 })).extraFds, [{ from: 3, to: 3 }, { from: 4, to: 4 }]);
  });
});
