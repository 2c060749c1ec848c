/**
 * Podman's confinement and flag options in config.json (container/*): the expected values are what podman 4.3.1
 * wrote into its config.json for the same flags on this machine (podman-defaults.test.ts checks against podman
 * itself); the default seccomp profile against podman's generated OCI profile kept in @ct/namespaces' fixtures.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@ct/test-utils';
import {
  applyContainerOptions, buildRuntimeConfig, containerCapabilities, defaultSeccompProfile, parseSeccompProfile,
  parseTmpfs, parseVolume, PODMAN_DEFAULT_CAPABILITIES, seccompForContainer, sourceMountOptions, MAX_ARG_STRLEN,
} from '../../src/config-entry.js';
import { SpecValidationError, stringifyJson, type ImageConfig } from '../../src/spec/index.js';

const image: ImageConfig = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Cmd: ['sh'] } };
const root = { uid: 0, gid: 0, additionalGids: [], home: '/root' };
const host = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_ADMIN', 'CAP_SYS_ADMIN', 'CAP_SETUID', 'CAP_SETGID', 'CAP_SYS_CHROOT', 'CAP_FOWNER', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP', 'CAP_SETPCAP'].sort();

describe('container options, capabilities', () => {
  const defaults = [...PODMAN_DEFAULT_CAPABILITIES];
  it('containerCapabilities, root gets the 11 defaults in bounding, effective and permitted', () => {
    assert.deepEqual(containerCapabilities({ uid: 0 }), { bounding: defaults, effective: defaults, permitted: defaults });
  });
  it('containerCapabilities, another user gets them in bounding only', () => {
    assert.deepEqual(containerCapabilities({ uid: 1000 }), { bounding: defaults });
  });
  it('containerCapabilities, another user gets an added capability in the other four sets', () => {
    const c = containerCapabilities({ uid: 1000, capAdd: ['net_admin'] });
    assert.deepEqual(c.effective, ['CAP_NET_ADMIN']);
    assert.deepEqual(c.ambient, ['CAP_NET_ADMIN']);
    assert.deepEqual(c.inheritable, ['CAP_NET_ADMIN']);
    assert.ok(c.bounding!.includes('CAP_NET_ADMIN') && c.bounding!.length === 12);
  });
  it('containerCapabilities, add and drop with and without CAP_, sorted', () => {
    const c = containerCapabilities({ uid: 0, capAdd: ['SYS_ADMIN'], capDrop: ['cap_chown'] });
    assert.deepEqual(c.bounding, defaults.filter((x) => x !== 'CAP_CHOWN').concat('CAP_SYS_ADMIN').sort());
  });
  it('containerCapabilities, drop ALL keeps only what is added', () => {
    assert.deepEqual(containerCapabilities({ uid: 0, capDrop: ['ALL'], capAdd: ['CHOWN'] }), { bounding: ['CAP_CHOWN'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'] });
  });
  it('containerCapabilities, drop ALL alone leaves no set at all', () => {
    assert.deepEqual(containerCapabilities({ uid: 0, capDrop: ['all'] }), {});
  });
  it('containerCapabilities, add ALL and privileged give the bounding set, minus drops', () => {
    assert.deepEqual(containerCapabilities({ uid: 0, capAdd: ['ALL'], capDrop: ['KILL'], hostBounding: host }).bounding, host.filter((c) => c !== 'CAP_KILL'));
    assert.deepEqual(containerCapabilities({ uid: 0, privileged: true, hostBounding: host }).bounding, host);
  });
  it('containerCapabilities, an unknown name is refused naming the flag and the name', () => {
    assert.throws(() => containerCapabilities({ uid: 0, capAdd: ['BOGUS'] }), (e: Error & { code?: string }) => e.code === 'OCI_OPTION_INVALID' && /--cap-add: "BOGUS"/.test(e.message));
  });
  it('containerCapabilities, a name both added and dropped is refused', () => {
    assert.throws(() => containerCapabilities({ uid: 0, capAdd: ['KILL'], capDrop: ['CAP_KILL'] }), { code: 'OCI_OPTION_INVALID' });
  });
});

describe('container options, seccomp', () => {
  it('seccompForContainer, the default profile for the default capabilities equals podman 4.3.1\'s generated one', () => {
    const podman = JSON.parse(readFileSync(join(repoRoot(), 'packages/namespaces/test/fixtures/seccomp-podman-4.3.1-oci.json'), 'utf8')) as unknown;
    const ours = JSON.parse(stringifyJson(seccompForContainer(defaultSeccompProfile(), PODMAN_DEFAULT_CAPABILITIES, { arch: 'amd64', kernel: '6.1.0' }))) as unknown;
    assert.deepEqual(ours, podman);
  });
  it('seccompForContainer, CAP_SYS_ADMIN in the bounding set allows mount and drops the EPERM rule', () => {
    const s = seccompForContainer(defaultSeccompProfile(), [...PODMAN_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], { arch: 'amd64' });
    assert.ok(s.syscalls!.some((r) => r.action === 'SCMP_ACT_ALLOW' && r.names.includes('mount')));
    assert.ok(!s.syscalls!.some((r) => r.action === 'SCMP_ACT_ERRNO' && r.names.includes('bpf')));
  });
  it('seccompForContainer, minKernel and arches conditions', () => {
    const p = parseSeccompProfile(JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [
      { names: ['a'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '5.8' } },
      { names: ['b'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm64'] } },
      { names: ['c'], action: 'SCMP_ACT_ALLOW', excludes: { arches: ['amd64'] } },
    ] }), 'p.json');
    assert.deepEqual(seccompForContainer(p, [], { arch: 'amd64', kernel: '6.18.0-1' }).syscalls!.map((r) => r.names[0]), ['a']);
    assert.equal(seccompForContainer(p, [], { arch: 'amd64', kernel: '5.4.0' }).syscalls, undefined);
  });
  const bad: Array<[string, unknown, string]> = [
    ['no default action', { syscalls: [] }, '$.defaultAction'],
    ['an unknown action', { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOPE' }] }, '$.syscalls[0].action'],
    ['an unknown comparison', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_ABOUT' }] }] }, '$.syscalls[0].args[0].op'],
    ['an argument index past 5', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }, '$.syscalls[0].args[0].index'],
    ['names not a list', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: 'read', action: 'SCMP_ACT_ERRNO' }] }, '$.syscalls[0].names'],
    ['both architectures and archMap', { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], archMap: [] }, '$.archMap'],
  ];
  for (const [what, doc, path] of bad) {
    it(`parseSeccompProfile, ${what} is refused naming the file and ${path}`, () => {
      assert.throws(() => parseSeccompProfile(JSON.stringify(doc), '/etc/my-profile.json'), (e: unknown) => {
        assert.ok(e instanceof SpecValidationError);
        assert.equal(e.jsonPath, path);
        assert.match(e.message, /\/etc\/my-profile\.json/);
        return true;
      });
    });
  }
  it('parseSeccompProfile, a file that is not JSON is refused naming it', () => {
    assert.throws(() => parseSeccompProfile('{"defaultAction": ', 'broken.json'), (e: Error & { code?: string }) => e.code === 'OCI_JSON_SYNTAX' && e.message.includes('broken.json'));
  });
  it('applyContainerOptions, seccomp unconfined leaves no filter, a file gives its reduced profile', () => {
    const base = buildRuntimeConfig(image, root);
    assert.equal(applyContainerOptions(base, { seccomp: 'unconfined' }).linux!.seccomp, undefined);
    const file = { file: 'mine.json', contents: JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }) };
    assert.deepEqual(applyContainerOptions(base, { seccomp: file }).linux!.seccomp, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] });
  });
});

describe('container options, the config', () => {
  it('buildRuntimeConfig, podman\'s defaults: no_new_privs off, 11 masked and 6 read-only paths, a seccomp filter', () => {
    const s = buildRuntimeConfig(image, root);
    assert.equal(s.process!.noNewPrivileges, false);
    assert.equal(s.linux!.maskedPaths!.length, 11);
    assert.deepEqual(s.linux!.readonlyPaths, ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
    assert.equal(s.linux!.seccomp!.defaultAction, 'SCMP_ACT_ERRNO');
  });
  it('applyContainerOptions, privileged: no seccomp, no masked or read-only paths, writable /sys, host devices', () => {
    const s = applyContainerOptions(buildRuntimeConfig(image, root), { privileged: true, hostBounding: host });
    assert.equal(s.linux!.seccomp, undefined);
    assert.equal(s.linux!.maskedPaths, undefined);
    assert.equal(s.linux!.readonlyPaths, undefined);
    assert.deepEqual(s.mounts!.find((m) => m.destination === '/sys')!.options, ['nosuid', 'noexec', 'nodev', 'rw']);
    assert.ok(s.linux!.devices!.some((d) => d.path === '/dev/null' && d.type === 'c' && d.major === 1 && d.minor === 3));
    assert.deepEqual(s.linux!.resources!.devices, [{ allow: true, access: 'rwm' }]);
  });
  it('applyContainerOptions, privileged rootless binds the host devices instead (not /dev/ptmx or ttys)', () => {
    const s = applyContainerOptions(buildRuntimeConfig(image, root), { privileged: true, rootlessDevices: true, hostBounding: host });
    assert.equal(s.linux!.devices, undefined);
    assert.ok(s.mounts!.some((m) => m.destination === '/dev/null' && m.type === 'bind'));
    assert.ok(!s.mounts!.some((m) => m.destination === '/dev/ptmx' || m.destination.startsWith('/dev/tty')));
  });
  it('applyContainerOptions, no-new-privileges', () => {
    assert.equal(applyContainerOptions(buildRuntimeConfig(image, root), { noNewPrivileges: true }).process!.noNewPrivileges, true);
  });
  it('applyContainerOptions, read-only root with tmpfs on /run, /tmp, /var/tmp (podman\'s options)', () => {
    const s = applyContainerOptions(buildRuntimeConfig(image, root), { readOnly: true });
    assert.equal(s.root!.readonly, true);
    for (const d of ['/run', '/tmp', '/var/tmp']) {
      assert.deepEqual(s.mounts!.find((m) => m.destination === d), { destination: d, type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] });
    }
    assert.ok(!applyContainerOptions(buildRuntimeConfig(image, root), { readOnly: true, readOnlyTmpfs: false }).mounts!.some((m) => m.destination === '/tmp'));
  });
  it('applyContainerOptions, a user: process.user, HOME from the entry, unless the image sets HOME', () => {
    const user = { uid: 1000, gid: 1000, additionalGids: [1000, 100], home: '/home/user' };
    const s = applyContainerOptions(buildRuntimeConfig(image, root), { user });
    assert.deepEqual(s.process!.user, { uid: 1000, gid: 1000, additionalGids: [1000, 100] });
    assert.deepEqual(s.process!.env!.filter((e) => e.startsWith('HOME=')), ['HOME=/home/user']);
    assert.deepEqual(s.process!.capabilities, { bounding: [...PODMAN_DEFAULT_CAPABILITIES] });
    const kept = applyContainerOptions(buildRuntimeConfig({ ...image, config: { Env: ['HOME=/data'] } }, root), { user, imageEnv: ['HOME=/data'] });
    assert.deepEqual(kept.process!.env!.filter((e) => e.startsWith('HOME=')), ['HOME=/data']);
  });
  it('applyContainerOptions, an environment string up to MAX_ARG_STRLEN passes, one byte more is refused naming the variable', () => {
    const base = buildRuntimeConfig(image, root);
    const ok = `BIG=${'x'.repeat(MAX_ARG_STRLEN - 1 - 4)}`;
    assert.doesNotThrow(() => applyContainerOptions({ ...base, process: { ...base.process!, env: [ok] } }));
    assert.throws(() => applyContainerOptions({ ...base, process: { ...base.process!, env: [`${ok}x`] } }), (e: Error & { code?: string }) => e.code === 'OCI_OPTION_INVALID' && /variable BIG: 131072 bytes .* 131071/.test(e.message));
  });
});

describe('container options, volumes and tmpfs', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'ct-vol-')); mkdirSync(join(dir, 'v')); writeFileSync(join(dir, 'f'), ''); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  // the options podman 4.3.1 wrote for these -v (a source on a file system without nosuid/nodev/noexec)
  const cases: Array<[string, string[]]> = [
    ['', ['rw', 'rprivate', 'rbind']],
    [':z,nosuid,noexec', ['nosuid', 'noexec', 'rw', 'rprivate', 'rbind']],
    [':ro,Z,nodev,shared', ['ro', 'nodev', 'shared', 'rbind']],
    [':rw,rbind,slave', ['rw', 'rbind', 'slave']],
    [':U', ['rw', 'rprivate', 'rbind']],
    [':bind,exec,suid,dev,idmap', ['bind', 'exec', 'suid', 'dev', 'idmap', 'rw', 'rprivate']],
  ];
  for (const [opts, want] of cases) {
    it(`parseVolume, "SRC:/data${opts}" gives podman's options`, () => {
      // a TMPDIR on a noexec/nosuid/nodev file system adds those (podman's source defaults) before rbind
      const fsFlags = sourceMountOptions(join(dir, 'v'));
      const given = opts.slice(1).split(',');
      const extra = [['noexec', 'exec'], ['nosuid', 'suid'], ['nodev', 'dev']].filter(([f, o]) => fsFlags.has(f!) && !given.includes(f!) && !given.includes(o!)).map(([f]) => f!);
      const expected = want.at(-1) === 'rbind' ? [...want.slice(0, -1), ...extra, 'rbind'] : [...want, ...extra];
      const v = parseVolume(`${dir}/v:/data${opts}`);
      assert.deepEqual(v.mount, { destination: '/data', type: 'bind', source: join(dir, 'v'), options: expected });
      assert.equal(v.chown, opts === ':U');
    });
  }
  it('parseVolume, a relative ./ source resolves from the working directory', () => {
    assert.equal(parseVolume('./f:/f', dir).mount.source, join(dir, 'f'));
  });
  const refused: Array<[string, RegExp]> = [
    ['SRC:/data:bogus', /unknown mount option "bogus"/],
    ['SRC:/data:O', /'O'/],
    ['SRC:/data:ro,rw', /only one of 'rw' and 'ro'/],
    ['SRC:/data:size=1m', /only for tmpfs/],
    ['SRC:data', /not absolute/],
    ['named:/data', /named volumes/],
    ['SRC', /SRC:DST/],
    ['SRC/none:/data', /no such file/],
  ];
  for (const [spec, why] of refused) {
    it(`parseVolume, ${spec} is refused naming the problem`, () => {
      assert.throws(() => parseVolume(spec.replace('SRC', `${dir}/v`)), (e: Error & { code?: string }) => e.code === 'OCI_OPTION_INVALID' && why.test(e.message) && e.message.startsWith('-v '));
    });
  }
  it('parseVolume, a source on a nosuid,nodev file system keeps those flags (as podman)', () => {
    const mi = join(dir, 'mountinfo');
    writeFileSync(mi, `1 0 0:1 / / rw,relatime - ext4 /dev/vda rw\n2 1 0:2 / ${dir} rw,nosuid,nodev - tmpfs tmpfs rw\n`);
    assert.deepEqual([...sourceMountOptions(join(dir, 'v'), mi)].sort(), ['nodev', 'nosuid', 'rw']);
  });
  it('parseTmpfs, podman\'s defaults after the given options', () => {
    assert.deepEqual(parseTmpfs('/x:size=1m,noexec'), { destination: '/x', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'noexec', 'rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] });
    assert.deepEqual(parseTmpfs('/y').options, ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup']);
    assert.deepEqual(parseTmpfs('/z:notmpcopyup,exec').options, ['exec', 'rw', 'rprivate', 'nosuid', 'nodev']);
  });
  it('parseTmpfs, bind options and relative paths are refused', () => {
    assert.throws(() => parseTmpfs('/x:rbind'), { code: 'OCI_OPTION_INVALID' });
    assert.throws(() => parseTmpfs('x'), { code: 'OCI_OPTION_INVALID' });
  });
  it('applyContainerOptions, a volume on /dev/shm replaces the default mount there', () => {
    const s = applyContainerOptions(buildRuntimeConfig(image, root), { volumes: [`${dir}/v:/dev/shm`], tmpfs: ['/scratch'] });
    assert.deepEqual(s.mounts!.filter((m) => m.destination === '/dev/shm').map((m) => m.type), ['bind']);
    assert.ok(s.mounts!.some((m) => m.destination === '/scratch' && m.type === 'tmpfs'));
  });
});
