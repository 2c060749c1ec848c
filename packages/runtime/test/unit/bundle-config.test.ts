import { strict as assert } from 'node:assert';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@ct/test-utils';
import { MS } from '@ct/syscalls';
import { readBundleConfig } from '../../src/config/bundle-config.js';
import { ConfigError, RuntimeError } from '../../src/errors.js';
import { specTemplate } from '../../src/spec-template.js';

type Json = Record<string, unknown>;

function bundle(edit: (c: Json) => void, rootfs: 'dir' | 'symlink' | 'slash' | 'file' = 'dir'): string {
  const dir = tempDir('ct-bundle-');
  if (rootfs === 'dir') mkdirSync(join(dir, 'rootfs'));
  if (rootfs === 'symlink') { mkdirSync(join(dir, 'real')); symlinkSync('real', join(dir, 'rootfs')); }
  if (rootfs === 'slash') symlinkSync('/', join(dir, 'rootfs'));
  if (rootfs === 'file') writeFileSync(join(dir, 'rootfs'), '');
  const config = specTemplate({ rootless: false }) as Json;
  edit(config);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

function configError(jsonPath: string): (e: unknown) => boolean {
  return (e) => e instanceof ConfigError && e.code === 'ECONFIG' && e.jsonPath === jsonPath;
}
const proc = (c: Json): Json => c['process'] as Json;
const linux = (c: Json): Json => c['linux'] as Json;

describe('bundle config', () => {
  it('readBundleConfig, the default spec reads back typed', () => {
    const dir = bundle(() => {});
    const c = readBundleConfig(dir);
    assert.equal(c.rootfs, join(dir, 'rootfs'));
    assert.equal(c.rootReadonly, true);
    assert.deepEqual(c.process?.args, ['sh']);
    assert.equal(c.mounts[1]?.destination, '/dev');
    assert.equal(c.mounts[1]?.options.flags, MS.NOSUID | MS.STRICTATIME);
    assert.deepEqual(c.linux.namespaces.map((n) => n.type), ['pid', 'network', 'ipc', 'uts', 'mount']);
    assert.equal(c.process?.rlimits[0]?.hard, 1024n);
  });
  it('readBundleConfig, a symlinked rootfs is refused', () => {
    assert.throws(() => readBundleConfig(bundle(() => {}, 'symlink')), configError('root.path'));
  });
  it('readBundleConfig, a rootfs that is the host / is refused', () => {
    assert.throws(() => readBundleConfig(bundle((c) => { c['root'] = { path: '/' }; })), configError('root.path'));
  });
  it('readBundleConfig, a rootfs that is a file is refused', () => {
    assert.throws(() => readBundleConfig(bundle(() => {}, 'file')), configError('root.path'));
  });
  it('readBundleConfig, a mount destination with .. is refused', () => {
    const dir = bundle((c) => { (c['mounts'] as Json[]).push({ destination: '/tmp/../../etc', type: 'tmpfs', source: 'tmpfs' }); });
    assert.throws(() => readBundleConfig(dir), configError('mounts[7].destination'));
  });
  it('readBundleConfig, a relative mount destination is taken from / (config.md: deprecated, read as relative to /)', () => {
    const dir = bundle((c) => { (c['mounts'] as Json[]).push({ destination: 'scratch/x', type: 'tmpfs', source: 'tmpfs' }); });
    assert.equal(readBundleConfig(dir).mounts[7]?.destination, '/scratch/x');
  });
  it('readBundleConfig, an unknown capability is left out with a note, as runc warns and as config.md asks', () => {
    const dir = bundle((c) => { proc(c)['capabilities'] = { bounding: ['CAP_KILL', 'CAP_NOT_A_CAP'], effective: ['CAP_KILL'] }; });
    const c = readBundleConfig(dir);
    assert.deepEqual(c.confinement.capabilities?.bounding, ['CAP_KILL']);
    assert.deepEqual(c.confinement.notes, ['process.capabilities.bounding[1]: unknown capability "CAP_NOT_A_CAP", ignored']);
  });
  it('readBundleConfig, a domainname without a uts namespace is refused naming it; with one it is kept', () => {
    const withoutUts = (c: Json): void => { linux(c)['namespaces'] = (linux(c)['namespaces'] as Json[]).filter((n) => n['type'] !== 'uts'); };
    assert.throws(() => readBundleConfig(bundle((c) => { withoutUts(c); delete c['hostname']; c['domainname'] = 'example.org'; })), configError('domainname'));
    assert.equal(readBundleConfig(bundle((c) => { c['domainname'] = 'example.org'; })).domainname, 'example.org');
  });
  it('readBundleConfig, the kernel.hostname sysctl is refused (the hostname field sets it), as runc refuses it', () => {
    assert.throws(() => readBundleConfig(bundle((c) => { linux(c)['sysctl'] = { 'kernel.hostname': 'h' }; })), configError('linux.sysctl.kernel.hostname'));
  });
  it('readBundleConfig, a new user namespace without uid or gid mappings is refused naming the missing field', () => {
    const userNs = (c: Json): void => { (linux(c)['namespaces'] as Json[]).push({ type: 'user' }); };
    const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
    assert.throws(() => readBundleConfig(bundle(userNs)), configError('linux.uidMappings'));
    assert.throws(() => readBundleConfig(bundle((c) => { userNs(c); linux(c)['uidMappings'] = map; })), configError('linux.gidMappings'));
    const c = readBundleConfig(bundle((j) => { userNs(j); linux(j)['uidMappings'] = map; linux(j)['gidMappings'] = map; }));
    assert.equal(c.linux.uidMappings.length, 1);
  });
  it('readBundleConfig, mappings without a user namespace are refused rather than ignored', () => {
    const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
    assert.throws(() => readBundleConfig(bundle((c) => { linux(c)['gidMappings'] = map; })), configError('linux.gidMappings'));
  });
  it('readBundleConfig, a relative cwd is refused', () => {
    assert.throws(() => readBundleConfig(bundle((c) => { proc(c)['cwd'] = 'home'; })), configError('process.cwd'));
  });
  it('readBundleConfig, a uid mapping past 2^32-1 is refused', () => {
    const dir = bundle((c) => {
      linux(c)['uidMappings'] = [{ containerID: 0, hostID: 4294967000, size: 65536 }];
      linux(c)['gidMappings'] = [{ containerID: 0, hostID: 0, size: 1 }];
    });
    assert.throws(() => readBundleConfig(dir), configError('linux.uidMappings[0].size'));
  });
  it('readBundleConfig, a process uid outside the mappings is refused', () => {
    const dir = bundle((c) => {
      linux(c)['uidMappings'] = [{ containerID: 0, hostID: 1000, size: 1 }];
      linux(c)['gidMappings'] = [{ containerID: 0, hostID: 1000, size: 1 }];
      (linux(c)['namespaces'] as Json[]).push({ type: 'user' });
      proc(c)['user'] = { uid: 5, gid: 0 };
    });
    assert.throws(() => readBundleConfig(dir), configError('process.user.uid'));
  });
  it('readBundleConfig, a uid of 2^32 is refused', () => {
    assert.throws(() => readBundleConfig(bundle((c) => { proc(c)['user'] = { uid: 4294967296, gid: 0 }; })), configError('process.user.uid'));
  });
  it('readBundleConfig, duplicate namespaces are refused', () => {
    const dir = bundle((c) => { linux(c)['namespaces'] = [{ type: 'pid' }, { type: 'pid' }]; });
    assert.throws(() => readBundleConfig(dir), configError('linux.namespaces[1].type'));
  });
  it('readBundleConfig, a device path with .. is refused', () => {
    const dir = bundle((c) => { linux(c)['devices'] = [{ path: '/dev/../etc/x', type: 'c', major: 1, minor: 3 }]; });
    assert.throws(() => readBundleConfig(dir), configError('linux.devices[0].path'));
  });
  it('readBundleConfig, a relative bind source resolves against the bundle', () => {
    const dir = bundle((c) => { (c['mounts'] as Json[]).push({ destination: '/data', source: 'data', options: ['rbind', 'ro'] }); });
    const m = readBundleConfig(dir).mounts[7];
    assert.equal(m?.source, join(dir, 'data'));
    assert.equal(m?.options.bind, 'rbind');
  });
  it('readBundleConfig, rlimits past 2^53 keep their exact value', () => {
    const dir = tempDir('ct-bundle-');
    mkdirSync(join(dir, 'rootfs'));
    writeFileSync(join(dir, 'config.json'), '{"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":{"cwd":"/","args":["sh"],' +
      '"rlimits":[{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":9007199254740993}]}}');
    const r = readBundleConfig(dir).process?.rlimits[0];
    assert.equal(r?.hard, 18446744073709551615n);
    assert.equal(r?.soft, 9007199254740993n);
  });
  it('readBundleConfig, invalid JSON and duplicate keys are ECONFIG at $', () => {
    for (const text of ['{"ociVersion": "1.2.0",}', '{"ociVersion":"1","ociVersion":"2"}']) {
      const dir = tempDir('ct-bundle-');
      mkdirSync(join(dir, 'rootfs'));
      writeFileSync(join(dir, 'config.json'), text);
      assert.throws(() => readBundleConfig(dir), configError('$'));
    }
  });
  it('readBundleConfig, a missing config.json is ECONFIG with the errno phrase', () => {
    const dir = tempDir('ct-bundle-');
    assert.throws(() => readBundleConfig(dir), (e: unknown) => e instanceof RuntimeError && e.code === 'ECONFIG' && /no such file or directory/.test(e.message));
  });
});
