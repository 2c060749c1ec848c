import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostAddressFor, writeNetworkConfig, type NetworkConfigContext, type NetworkFlags } from '../../src/network/network-config.js';
import { defaultNetworkMode, parseNetworkMode, tunUnusable } from '../../src/network/network-mode.js';
import { readNetworkRecord } from '../../src/network/network-record.js';
import { bridgeConflist, pluginConfig } from '../../src/network/bridge-cni.js';
import { parsePublish } from '../../src/network/port-spec.js';
import { hostPrimaryAddress } from '../../src/network/host-address.js';
import { RuntimeError } from '../../src/errors.js';

const usage = (e: unknown): boolean => e instanceof RuntimeError && e.code === 'EUSAGE';

describe('network modes', () => {
  it('parseNetworkMode, podman\'s names and container:ID; anything else is a usage error', () => {
    assert.deepEqual(parseNetworkMode('container:web'), { kind: 'container', id: 'web' });
    assert.deepEqual(parseNetworkMode('slirp4netns'), { kind: 'slirp4netns' });
    for (const bad of ['bogus', 'container:', 'pasta:-t,80', '']) assert.throws(() => parseNetworkMode(bad), usage, bad);
  });
  it('defaultNetworkMode, bridge as root; pasta, else slirp4netns, else private with the reason', () => {
    const tunOk = (): undefined => undefined;
    assert.deepEqual(defaultNetworkMode(false), { kind: 'bridge' });
    assert.deepEqual(defaultNetworkMode(true, (n) => `/usr/bin/${n}`, tunOk), { kind: 'pasta' });
    assert.deepEqual(defaultNetworkMode(true, (n) => (n === 'slirp4netns' ? '/usr/bin/slirp4netns' : undefined), tunOk), { kind: 'slirp4netns' });
    assert.match(defaultNetworkMode(true, () => undefined, tunOk).why ?? '', /neither pasta nor slirp4netns/);
    const noTun = defaultNetworkMode(true, (n) => `/usr/bin/${n}`, () => '/dev/net/tun: permission denied');
    assert.equal(noTun.kind, 'private');
    assert.match(noTun.why ?? '', /pasta cannot work: \/dev\/net\/tun/);
  });
  it('hostAddressFor, slirp4netns: the host\'s address (podman 4.3\'s), its gateway only when the host\'s loopback is reachable', () => {
    assert.equal(hostAddressFor({ kind: 'slirp4netns' }), hostPrimaryAddress());
    assert.equal(hostAddressFor({ kind: 'slirp4netns' }, true), '10.0.2.2');
    assert.equal(hostAddressFor({ kind: 'pasta' }), undefined);
  });
  it('tunUnusable, names a device that cannot be opened', () => {
    assert.match(tunUnusable('/nonexistent/tun') ?? '', /^\/nonexistent\/tun: ENOENT/);
  });
});

describe('writeNetworkConfig', () => {
  let bundle: string;
  const warnings: string[] = [];
  const ctx = (over: Partial<NetworkConfigContext> = {}): NetworkConfigContext => ({
    bundle, id: 'c1', hostname: 'h1', rootless: false, annotations: {}, warn: (m) => warnings.push(m),
    containerPid: (id) => (id === 'web' ? 4242 : (() => { throw new RuntimeError('ENOCONTAINER', `container ${id} does not exist`); })()),
    hostFiles: { resolvConf: join(bundle, 'host-resolv'), hosts: join(bundle, 'host-hosts') }, ...over,
  });
  const ns = [{ type: 'pid' }, { type: 'network' }, { type: 'mount' }];
  beforeEach(() => {
    bundle = mkdtempSync(join(tmpdir(), 'ct-netcfg-'));
    writeFileSync(join(bundle, 'host-resolv'), 'nameserver 192.0.2.1\n');
    writeFileSync(join(bundle, 'host-hosts'), '127.0.0.1 localhost\n');
    warnings.length = 0;
  });
  afterEach(() => rmSync(bundle, { recursive: true, force: true }));

  it('writeNetworkConfig, bridge: the three /etc files bound read-only, its own network namespace, the record', () => {
    const c = writeNetworkConfig(ctx(), { network: 'bridge', publish: ['127.0.0.1:8080:80'] });
    assert.deepEqual(c.mounts.map((m) => m['destination']), ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf']);
    assert.ok(c.mounts.every((m) => (m['options'] as string[]).includes('ro')));
    assert.deepEqual(c.namespaces(ns), ns);
    assert.equal(readFileSync(join(bundle, 'resolv.conf'), 'utf8'), 'nameserver 192.0.2.1\n');
    assert.equal(readFileSync(join(bundle, 'hostname'), 'utf8'), 'h1\n');
    assert.equal(readFileSync(join(bundle, 'hosts'), 'utf8'), '127.0.0.1\tlocalhost\n127.0.0.1\th1 c1\n');
    const r = readNetworkRecord(bundle);
    assert.deepEqual(r?.mode, { kind: 'bridge' });
    assert.deepEqual(r?.ports, parsePublish('127.0.0.1:8080:80'));
  });
  it('writeNetworkConfig, host: no network namespace; none: no resolv.conf of ct\'s', () => {
    assert.deepEqual(writeNetworkConfig(ctx(), { network: 'host' }).namespaces(ns), [{ type: 'pid' }, { type: 'mount' }]);
    const none = writeNetworkConfig(ctx(), { network: 'none' });
    assert.equal(none.mounts.some((m) => m['destination'] === '/etc/resolv.conf'), false);
  });
  it('writeNetworkConfig, host: the host\'s hostname unless --hostname, and no container entry in hosts (podman\'s)', () => {
    assert.equal(writeNetworkConfig(ctx(), { network: 'host' }).hostname, hostname());
    assert.equal(readFileSync(join(bundle, 'hostname'), 'utf8'), `${hostname()}\n`);
    assert.doesNotMatch(readFileSync(join(bundle, 'hosts'), 'utf8'), /\tc1\n|h1/);
    assert.equal(writeNetworkConfig(ctx(), { network: 'host', hostname: 'h1' }).hostname, 'h1');
    assert.equal(writeNetworkConfig(ctx(), { network: 'none' }).hostname, 'h1');
  });
  it('writeNetworkConfig, container:ID binds the other container\'s resolv.conf and hosts (podman\'s), its own hostname', () => {
    const web = join(bundle, 'web');
    const mine = join(bundle, 'c1');
    for (const d of [web, mine]) mkdirSync(d);
    for (const f of ['resolv.conf', 'hosts', 'hostname']) writeFileSync(join(web, f), `web's ${f}\n`);
    const c = writeNetworkConfig(ctx({ bundle: mine }), { network: 'container:web' });
    assert.deepEqual(c.mounts.map((m) => [m['destination'], m['source']]), [
      ['/etc/hosts', join(web, 'hosts')], ['/etc/hostname', join(mine, 'hostname')], ['/etc/resolv.conf', join(web, 'resolv.conf')],
    ]);
    rmSync(join(web, 'resolv.conf'));
    const without = writeNetworkConfig(ctx({ bundle: mine }), { network: 'container:web' });
    assert.equal(without.mounts.some((m) => m['destination'] === '/etc/resolv.conf'), false);
  });
  it('writeNetworkConfig, container:ID joins the running container\'s network namespace (root)', () => {
    const c = writeNetworkConfig(ctx(), { network: 'container:web' });
    assert.deepEqual(c.namespaces(ns), [{ type: 'pid' }, { type: 'network', path: '/proc/4242/ns/net' }, { type: 'mount' }]);
    assert.throws(() => writeNetworkConfig(ctx(), { network: 'container:nosuch' }), (e: unknown) => e instanceof RuntimeError && e.code === 'ENOCONTAINER');
    assert.equal(c.dropIdMappings, false);
  });
  it('writeNetworkConfig, container:ID unprivileged joins the container\'s user namespace too, without id maps of its own', () => {
    const c = writeNetworkConfig(ctx({ rootless: true }), { network: 'container:web' });
    assert.deepEqual(c.namespaces([{ type: 'user' }, ...ns]), [
      { type: 'user', path: '/proc/4242/ns/user' }, { type: 'pid' }, { type: 'network', path: '/proc/4242/ns/net' }, { type: 'mount' },
    ]);
    assert.equal(c.dropIdMappings, true);
  });
  const refused: [string, NetworkFlags, boolean][] = [
    ['-p with none', { network: 'none', publish: ['80'] }, false],
    ['-P with host', { network: 'host', publishAll: true }, false],
    ['--dns with none', { network: 'none', dns: ['192.0.2.1'] }, false],
    ['--dns-search with container:ID', { network: 'container:web', dnsSearch: ['x'] }, false],
    ['--add-host with container:ID (podman refuses it too)', { network: 'container:web', addHost: ['y.test:192.0.2.8'] }, false],
    ['a --dns that is no address', { network: 'bridge', dns: ['dns.example'] }, false],
    ['bridge unprivileged', { network: 'bridge' }, true],
  ];
  for (const [what, flags, rootless] of refused) {
    it(`writeNetworkConfig, ${what} is refused before anything is written`, () => {
      assert.throws(() => writeNetworkConfig(ctx({ rootless }), flags), usage);
      assert.equal(existsSync(join(bundle, 'network.json')), false);
    });
  }
});

describe('bridge CNI config', () => {
  it('pluginConfig, portmap gets the port mappings as runtimeConfig and the previous result', () => {
    const [bridge, portmap] = bridgeConflist().plugins;
    const prev = { ips: [{ address: '10.89.0.2/16' }] };
    const ports = [...parsePublish('127.0.0.1:8080:80'), ...parsePublish('53:53/udp')];
    assert.deepEqual(pluginConfig(portmap!, ports, prev)['runtimeConfig'], {
      portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '127.0.0.1' }, { hostPort: 53, containerPort: 53, protocol: 'udp' }],
    });
    assert.deepEqual(pluginConfig(portmap!, ports, prev)['prevResult'], prev);
    const b = pluginConfig(bridge!, ports, undefined);
    assert.equal(b['runtimeConfig'], undefined);
    assert.equal(b['name'], 'ct');
    assert.equal(b['prevResult'], undefined);
  });
});
