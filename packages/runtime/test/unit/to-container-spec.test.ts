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
  it('toContainerSpec, /proc /dev /sys come from the namespaces plan, cgroup mounts are skipped with a warning', () => {
    warnings.length = 0;
    const s = toContainerSpec(config(false), ctx());
    assert.deepEqual(s.mounts, []);
    assert.equal(warnings.length, 1);
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
    assert.deepEqual(s.mounts, [
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
  it('toContainerSpec, masked and read-only paths, rlimits, noNewPrivileges become populate steps', () => {
    const s = toContainerSpec(config(false), ctx());
    const ops = (s.populate ?? []).map((p) => `${p.op}:${'target' in p ? p.target : ''}`);
    assert.ok(ops.includes('mount:/proc/keys'), ops.join(' '));
    assert.ok(ops.includes('remount:/proc/sys'));
    assert.ok(ops.includes('rlimit:'));
    assert.ok(ops.includes('noNewPrivs:'));
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
