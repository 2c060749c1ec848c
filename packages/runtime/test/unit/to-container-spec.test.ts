import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@ct/test-utils';
import { readBundleConfig } from '../../src/config/bundle-config.js';
import { toContainerSpec, type ConversionContext } from '../../src/config/to-container-spec.js';
import { ConfigError } from '../../src/errors.js';
import { specTemplate } from '../../src/spec-template.js';

type Json = Record<string, unknown>;

function config(rootless: boolean, edit: (c: Json) => void = () => {}) {
  const dir = tempDir('ct-conv-');
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
  it('toContainerSpec, every config mount in its order with its type, source and options; no Guix file systems', () => {
    warnings.length = 0;
    const s = toContainerSpec(config(false), ctx());
    assert.equal(s.defaultFileSystems, false);
    assert.deepEqual(s.mounts?.map((m) => `${m.type}:${m.target}`), [
      'filesystem:/proc', 'filesystem:/dev', 'filesystem:/dev/pts', 'filesystem:/dev/shm', 'filesystem:/dev/mqueue',
      'filesystem:/sys', 'cgroup:/sys/fs/cgroup',
    ]);
    assert.deepEqual(s.mounts?.[1], {
      type: 'filesystem', target: '/dev', fstype: 'tmpfs', source: 'tmpfs', flags: ['nosuid', 'strictatime'], data: 'mode=755,size=65536k',
    });
    assert.deepEqual(s.mounts?.[6], { type: 'cgroup', target: '/sys/fs/cgroup', flags: ['ro', 'nosuid', 'nodev', 'noexec', 'relatime'] });
    assert.equal(warnings.filter((w) => w.startsWith('process.capabilities.ambient')).length, 3, 'runc\'s ambient set without inheritable');
  });
  it('toContainerSpec, rootless spec: user namespace with the one-id maps', () => {
    const s = toContainerSpec(config(true), ctx({ rootless: true, euid: 1000 }));
    assert.ok(s.namespaces?.includes('user'));
    assert.deepEqual(s.uidMap, [{ inside: 0, outside: 1000, count: 1 }]);
    assert.deepEqual(s.gidMap, [{ inside: 0, outside: 1000, count: 1 }]);
  });
  it('toContainerSpec, binds keep their flags, recursion and r* attributes; a tmpfs keeps its data', () => {
    const s = toContainerSpec(config(false, (c) => {
      (c['mounts'] as Json[]).push(
        { destination: '/data', source: '/srv', options: ['rbind', 'rro'] },
        { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=1777', 'size=10m'] },
      );
    }), ctx());
    assert.deepEqual(s.mounts?.slice(7), [
      { type: 'bind', target: '/data', source: '/srv', recursive: true, flags: [], recursiveAttributes: { set: ['ro'], clear: [] } },
      { type: 'filesystem', target: '/tmp', fstype: 'tmpfs', source: 'tmpfs', flags: ['nosuid'], data: 'mode=1777,size=10m' },
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
  it('toContainerSpec, masked and read-only paths, rlimits, noNewPrivileges, capabilities are fields; no populate steps', () => {
    const s = toContainerSpec(config(false), ctx());
    assert.ok(s.maskedPaths?.includes('/proc/keys'));
    assert.ok(s.readonlyPaths?.includes('/proc/sys'));
    assert.equal(s.populate, undefined);
    assert.deepEqual(s.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1024n, hard: 1024n }]);
    assert.equal(s.noNewPrivileges, true);
    const caps = s.capabilities as unknown as { bounding: string[]; ambient: string[] };
    assert.ok(caps.bounding.includes('CAP_KILL') && !caps.bounding.includes('CAP_SYS_ADMIN'), caps.bounding.join(' '));
  });
  it('toContainerSpec, devices with their mode and owner; umask, domainname and additional gids', () => {
    const s = toContainerSpec(config(false, (c) => {
      (c['linux'] as Json)['devices'] = [{ path: '/dev/cpu/0/cpuid', type: 'c', major: 203, minor: 0, fileMode: 0o600, uid: 1, gid: 2 }];
      (c['process'] as Json)['user'] = { uid: 0, gid: 0, umask: 0o27, additionalGids: [10, 11] };
      c['domainname'] = 'example';
    }), ctx());
    assert.deepEqual(s.devices, [{ path: '/dev/cpu/0/cpuid', type: 'c', major: 203, minor: 0, fileMode: 0o600, uid: 1, gid: 2 }]);
    assert.equal(s.umask, 0o27);
    assert.equal(s.domainname, 'example');
    assert.deepEqual(s.additionalGids, [10, 11]);
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
    assert.equal(s.personality, 8);
  });
  it('toContainerSpec, a namespaced sysctl is a field; one without its namespace, or in the host\'s by path, is ECONFIG', () => {
    const s = toContainerSpec(config(false, (c) => { (c['linux'] as Json)['sysctl'] = { 'net.ipv4.ip_forward': '1' }; }), ctx());
    assert.deepEqual(s.sysctl, { 'net.ipv4.ip_forward': '1' });
    const hostNet = config(false, (c) => {
      (c['linux'] as Json)['sysctl'] = { 'net.ipv4.ip_forward': '1' };
      (c['linux'] as Json)['namespaces'] = [{ type: 'mount' }, { type: 'uts' }];
    });
    assert.throws(() => toContainerSpec(hostNet, ctx()), (e: unknown) => e instanceof ConfigError && e.jsonPath === 'linux.sysctl.net.ipv4.ip_forward');
    const joinedHost = config(false, (c) => {
      (c['linux'] as Json)['sysctl'] = { 'net.ipv4.ip_forward': '1' };
      (c['linux'] as Json)['namespaces'] = [{ type: 'mount' }, { type: 'uts' }, { type: 'network', path: '/proc/self/ns/net' }];
    });
    assert.throws(() => toContainerSpec(joinedHost, ctx()), (e: unknown) => e instanceof ConfigError && e.jsonPath === 'linux.sysctl.net.ipv4.ip_forward');
    // runc counts an ipc or uts namespace joined by path whatever it is (only a joined network namespace is checked)
    const joinedIpc = config(false, (c) => {
      (c['linux'] as Json)['sysctl'] = { 'kernel.shmmax': '1000000', 'kernel.domainname': 'd.example' };
      (c['linux'] as Json)['namespaces'] = [{ type: 'mount' }, { type: 'uts', path: '/proc/self/ns/uts' }, { type: 'ipc', path: '/proc/self/ns/ipc' }];
    });
    assert.deepEqual(toContainerSpec(joinedIpc, ctx()).sysctl, { 'kernel.shmmax': '1000000', 'kernel.domainname': 'd.example' });
    assert.throws(() => config(false, (c) => { (c['linux'] as Json)['sysctl'] = { 'vm.swappiness': '1' }; }),
      (e: unknown) => e instanceof ConfigError && e.jsonPath === 'linux.sysctl.vm.swappiness');
  });
  it('toContainerSpec, bind flags, r* attributes and propagation stay on the mount', () => {
    const s = toContainerSpec(config(false, (c) => {
      (c['mounts'] as Json[]).push({ destination: '/data', source: '/srv', options: ['rbind', 'nosuid', 'ro', 'rnoexec', 'rslave', 'ratime'] });
    }), ctx());
    assert.deepEqual(s.mounts?.at(-1), {
      type: 'bind', target: '/data', source: '/srv', recursive: true, flags: ['ro', 'nosuid'], propagation: ['rslave'],
      recursiveAttributes: { set: ['noexec', 'relatime'], clear: [] },
    });
  });
  it('toContainerSpec, rootfsPropagation is the root\'s propagation; an unknown one is ECONFIG', () => {
    const s = toContainerSpec(config(false, (c) => { (c['linux'] as Json)['rootfsPropagation'] = 'rslave'; }), ctx());
    assert.equal(s.rootPropagation, 'rslave');
    for (const name of ['sideways', 'unbindable', 'runbindable']) {
      const bad = config(false, (c) => { (c['linux'] as Json)['rootfsPropagation'] = name; });
      assert.throws(() => toContainerSpec(bad, ctx()), (e: unknown) => e instanceof ConfigError && e.jsonPath === 'linux.rootfsPropagation', name);
    }
  });
  it('toContainerSpec, a joined user namespace keeps its own maps: config.json\'s must be the same', () => {
    const joined = (maps: boolean) => config(true, (c) => {
      const l = c['linux'] as Json;
      l['namespaces'] = [{ type: 'mount' }, { type: 'user', path: `/proc/${process.pid}/ns/user` }];
      if (!maps) { delete l['uidMappings']; delete l['gidMappings']; }
      delete c['hostname'];
    });
    const s = toContainerSpec(joined(false), ctx({ rootless: true, euid: 1000 }));
    assert.equal(s.uidMap, undefined);
    assert.throws(() => toContainerSpec(joined(true), ctx({ rootless: true, euid: 1000 })),
      (e: unknown) => e instanceof ConfigError && e.jsonPath === 'linux.uidMappings', 'our own maps are not "0 1000 1"');
  });
  it('toContainerSpec, HOME from the rootfs\'s /etc/passwd for the process uid when env has none, else "/"', () => {
    const withPasswd = config(false, (c) => { (c['process'] as Json)['user'] = { uid: 1000, gid: 1000 }; });
    mkdirSync(join(withPasswd.rootfs, 'etc'));
    writeFileSync(join(withPasswd.rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nu:x:1000:1000::/home/u:/bin/sh\n');
    assert.equal(toContainerSpec(withPasswd, ctx()).command.env?.['HOME'], '/home/u');
    assert.equal(toContainerSpec(config(false), ctx()).command.env?.['HOME'], '/', 'no /etc/passwd');
    const set = config(false, (c) => { (c['process'] as Json)['env'] = ['HOME=/mine']; });
    assert.equal(toContainerSpec(set, ctx()).command.env?.['HOME'], '/mine');
  });
  it('toContainerSpec, HOME is "/" when a masked path hides /etc/passwd (runc looks it up after the masks)', () => {
    for (const masked of ['/etc/passwd', '/etc', '/etc/']) {
      const c = config(false, (j) => { (j['linux'] as Json)['maskedPaths'] = ['/proc/kcore', masked]; });
      mkdirSync(join(c.rootfs, 'etc'));
      writeFileSync(join(c.rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
      assert.equal(toContainerSpec(c, ctx()).command.env?.['HOME'], '/', masked);
    }
    const other = config(false, (j) => { (j['linux'] as Json)['maskedPaths'] = ['/etc/passwd-']; });
    mkdirSync(join(other.rootfs, 'etc'));
    writeFileSync(join(other.rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    assert.equal(toContainerSpec(other, ctx()).command.env?.['HOME'], '/root');
  });
  it('toContainerSpec, a hard rlimit above ours that we may not raise is ECONFIG naming it (runc fails there)', () => {
    const c = config(false, (j) => { (j['process'] as Json)['rlimits'] = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 5000 }]; });
    const host = (canRaise: boolean) => ({ hardLimit: () => 4096n, canRaise });
    assert.throws(() => toContainerSpec(c, ctx({ rlimitHost: host(false) })), (e: unknown) => e instanceof ConfigError && e.jsonPath === 'process.rlimits[0].hard');
    assert.deepEqual(toContainerSpec(c, ctx({ rlimitHost: host(true) })).rlimits, [{ type: 'RLIMIT_NOFILE', soft: 10n, hard: 5000n }]);
  });
  it('toContainerSpec, an env entry without = is ECONFIG', () => {
    const c = config(false, (j) => { (j['process'] as Json)['env'] = ['PATH=/bin', 'BROKEN']; });
    assert.throws(() => toContainerSpec(c, ctx()), (e: unknown) => e instanceof ConfigError && e.jsonPath === 'process.env[1]');
  });
  it('toContainerSpec, preserved fds pass at 3..', () => {
    assert.deepEqual(toContainerSpec(config(false), ctx({ extraFds: 2 })).extraFds, [{ from: 3, to: 3 }, { from: 4, to: 4 }]);
  });
});
