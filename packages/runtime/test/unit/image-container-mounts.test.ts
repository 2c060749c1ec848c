/**
 * `container inspect`'s Mounts (image-container-mounts.ts) from a container's config.json, against what podman 4.3
 * printed for the same flags (`-v /host:/h:ro,z -v namedv:/data -v /anon --tmpfs /scr:size=1m --mount type=bind,...,
 * readonly --mount type=volume,source=nv2,target=/v2`): the volumes named, the binds, the options split as podman's
 * parseMountOptionsForInspect splits them, the tmpfs left out (HostConfig.Tmpfs), ct's own mounts left out.
 */
import { strict as assert } from 'node:assert';
import { inspectMounts, inspectTmpfs, type SpecMount } from '../../src/image-container-mounts.js';

const BUNDLE = '/state/.bundles/m1';
const VOLUMES = '/store/volumes';
const CONFIG_MOUNTS: SpecMount[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] },
  { destination: '/etc/hosts', type: 'bind', source: `${BUNDLE}/hosts`, options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] },
  { destination: '/run/ct-init', type: 'bind', source: '/opt/ct-init', options: ['bind', 'ro', 'nosuid', 'nodev'] },
  { destination: '/scr', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] },
  { destination: '/h', type: 'bind', source: '/host', options: ['ro', 'rprivate', 'rbind', 'z'] },
  { destination: '/data', type: 'bind', source: `${VOLUMES}/namedv/_data`, options: ['nosuid', 'nodev', 'rw', 'rprivate', 'rbind'] },
  { destination: '/anon', type: 'bind', source: `${VOLUMES}/${'a'.repeat(64)}/_data`, options: ['nosuid', 'nodev', 'rw', 'rprivate', 'rbind'] },
  { destination: '/h2', type: 'bind', source: '/host', options: ['ro', 'rprivate', 'rbind'] },
];
const USED = [{ name: 'namedv', destination: '/data' }, { name: 'a'.repeat(64), destination: '/anon' }];
const volume = (name: string, destination: string) => ({
  Type: 'volume', Name: name, Source: `${VOLUMES}/${name}/_data`, Destination: destination, Driver: 'local', Mode: '',
  Options: ['nosuid', 'nodev', 'rbind'], RW: true, Propagation: 'rprivate',
});
const bind = (destination: string, mode: string) => ({
  Type: 'bind', Source: '/host', Destination: destination, Driver: '', Mode: mode, Options: ['rbind'], RW: false, Propagation: 'rprivate',
});

describe('container inspect Mounts (podman\'s shape)', () => {
  it('inspectMounts, the user\'s volumes then binds; options, RW, Mode and Propagation as podman splits them', () => {
    const user = ['/scr', '/h', '/data', '/anon', '/h2'];
    assert.deepEqual(inspectMounts(CONFIG_MOUNTS, user, USED, BUNDLE, '/run/ct-init'),
      [volume('namedv', '/data'), volume('a'.repeat(64), '/anon'), bind('/h', 'z'), bind('/h2', '')]);
  });
  it('inspectMounts, a container made before ct recorded the destinations: binds but ct\'s own (bundle files, /sys, ct-init)', () => {
    assert.deepEqual(inspectMounts(CONFIG_MOUNTS, undefined, USED, BUNDLE, '/run/ct-init').map((m) => m.Destination), ['/data', '/anon', '/h', '/h2']);
  });
  it('inspectTmpfs, the user\'s tmpfs mounts with their options, as podman\'s HostConfig.Tmpfs', () => {
    assert.deepEqual(inspectTmpfs(CONFIG_MOUNTS, ['/scr', '/h']), { '/scr': 'size=1m,rw,rprivate,nosuid,nodev,tmpcopyup' });
    assert.deepEqual(inspectTmpfs(CONFIG_MOUNTS, undefined), {});
  });
});
