/**
 * writeCniSetup: the private bin dir links the plugins the network needs, the conf dir holds one bridge network
 * list (no gateway, no masquerading, the IPAM's leases under the folder), its subnet clashes with no route of the
 * host; bad tags and missing plugins are refused.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriError, writeCniSetup } from '../../src/index.js';

describe('writeCniSetup', function () {
  let dir = '';
  let plugins = '';

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'ct-cri-cni-'));
    plugins = join(dir, 'plugins');
    mkdirSync(plugins);
    for (const p of ['bridge', 'host-local', 'loopback', 'portmap']) writeFileSync(join(plugins, p), '');
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writeCniSetup, links the three plugins and writes one bridge network without gateway or masquerading', function () {
    const setup = writeCniSetup(dir, 'a1', plugins);
    assert.deepEqual(readdirSync(setup.binDir).sort(), ['bridge', 'host-local', 'loopback']);
    assert.equal(readlinkSync(join(setup.binDir, 'bridge')), join(plugins, 'bridge'));
    const files = readdirSync(setup.confDir);
    assert.deepEqual(files, ['10-ct-cri.conflist']);
    const list = JSON.parse(readFileSync(join(setup.confDir, files[0] ?? ''), 'utf8'));
    assert.equal(list.name, setup.network);
    assert.equal(list.plugins.length, 1);
    const [bridge] = list.plugins;
    assert.deepEqual([bridge.type, bridge.bridge, bridge.isGateway, bridge.ipMasq], ['bridge', 'ctcria1', false, false]);
    assert.deepEqual(bridge.ipam, { type: 'host-local', ranges: [[{ subnet: setup.subnet }]], dataDir: join(dir, 'cni', 'ipam') });
    assert.equal(setup.bridge, 'ctcria1');
  });

  it('writeCniSetup, the subnet is a 10.x.y.0/24 that no host route covers', function () {
    const { subnet } = writeCniSetup(dir, 'a2', plugins);
    const m = /^10\.(\d+)\.(\d+)\.0\/24$/.exec(subnet);
    assert.ok(m, subnet);
    const routes = spawnSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout ?? '';
    assert.ok(!routes.includes(`10.${m[1]}.${m[2]}.`), `${subnet} is routed:\n${routes}`);
  });

  it('writeCniSetup, a tag that would make a bad interface name is refused', function () {
    assert.throws(() => writeCniSetup(dir, 'Bad-Tag', plugins), /tag Bad-Tag/);
    assert.throws(() => writeCniSetup(dir, '12345678901', plugins), /at most 10/);
  });

  it('writeCniSetup, a missing plugin is named, with the package to install', function () {
    rmSync(join(plugins, 'host-local'));
    assert.throws(() => writeCniSetup(dir, 'a3', plugins), (e: unknown) => e instanceof CriError && e.code === 'CONTAINERD_FAILED'
      && e.message.includes(join(plugins, 'host-local')) && e.message.includes('containernetworking-plugins'));
  });
});
