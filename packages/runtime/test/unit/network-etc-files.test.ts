import { strict as assert } from 'node:assert';
import { hostsText, parseAddHost, parseHosts, parseResolvConf, resolvConfText } from '../../src/network/etc-files.js';
import { defaultRouteInterface } from '../../src/network/host-address.js';
import { RuntimeError } from '../../src/errors.js';

const host = parseResolvConf('# comment\nsearch a.test b.test\nnameserver 127.0.0.53\nnameserver 192.0.2.1\noptions edns0 trust-ad\n');

describe('resolv.conf', () => {
  it('resolvConfText, the host\'s without its loopback resolvers', () => {
    assert.equal(resolvConfText(host, {}, false), 'search a.test b.test\nnameserver 192.0.2.1\noptions edns0 trust-ad\n');
  });
  it('resolvConfText, the host\'s loopback resolvers kept in the host\'s namespace', () => {
    assert.match(resolvConfText(host, {}, true), /nameserver 127\.0\.0\.53\nnameserver 192\.0\.2\.1/);
  });
  it('resolvConfText, podman\'s defaults when only loopback resolvers are left', () => {
    assert.equal(resolvConfText(parseResolvConf('nameserver 127.0.0.1\n'), {}, false), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  });
  it('resolvConfText, slirp4netns\'s forwarder first', () => {
    assert.match(resolvConfText(host, {}, false, '10.0.2.3'), /^search .*\nnameserver 10\.0\.2\.3\nnameserver 192\.0\.2\.1\n/);
  });
  it('resolvConfText, --dns, --dns-search and --dns-option replace the host\'s (. for no search)', () => {
    assert.equal(resolvConfText(host, { dns: ['192.0.2.53'], dnsSearch: ['x.test'], dnsOption: ['ndots:2'] }, false),
      'search x.test\nnameserver 192.0.2.53\noptions ndots:2\n');
    assert.doesNotMatch(resolvConfText(host, { dnsSearch: ['.'] }, false), /search/);
  });
});

describe('hosts', () => {
  it('hostsText, --add-host first, then the host\'s entries, host.containers.internal, the container', () => {
    const text = hostsText({
      extra: [parseAddHost('db.test:192.0.2.9')], base: parseHosts('127.0.0.1 localhost # x\n\n::1 localhost ip6-localhost\n'),
      hostAddress: '10.89.0.1', containerIp: '10.89.0.5', names: ['h1', 'c1'],
    });
    assert.equal(text, '192.0.2.9\tdb.test\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n10.89.0.1\thost.containers.internal\n10.89.0.5\th1 c1\n');
  });
  it('hostsText, a hostname that is the name is written once', () => {
    assert.equal(hostsText({ extra: [], base: [], containerIp: '127.0.0.1', names: ['c1', 'c1'] }), '127.0.0.1\tc1\n');
  });
  it('parseAddHost, IPv6 with or without brackets; a bad value is a usage error', () => {
    assert.deepEqual(parseAddHost('h:::1'), { ip: '::1', names: ['h'] });
    assert.deepEqual(parseAddHost('h:[fd00::2]'), { ip: 'fd00::2', names: ['h'] });
    for (const bad of ['h', 'h:', ':1.2.3.4', 'h:999.1.1.1', 'a b:1.2.3.4']) {
      assert.throws(() => parseAddHost(bad), (e: unknown) => e instanceof RuntimeError && e.code === 'EUSAGE', bad);
    }
  });
  it('defaultRouteInterface, the interface of the first default route in /proc/net/route', () => {
    const table = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n'
      + 'br0\t0000580A\t00000000\t0001\t0\t0\t0\t0000FFFF\neth1\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\n';
    assert.equal(defaultRouteInterface(table), 'eth1');
    assert.equal(defaultRouteInterface(table.split('\n').slice(0, 2).join('\n')), undefined);
  });
});
