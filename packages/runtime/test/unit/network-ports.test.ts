import { strict as assert } from 'node:assert';
import { exposedPortMappings, formatPortLine, formatPortMapping, formatPortsColumn, parsePublish, publishedPorts } from '../../src/network/port-spec.js';
import { checkPastaPorts, pastaArgs, pastaPortSpecs } from '../../src/network/pasta.js';
import { RuntimeError } from '../../src/errors.js';

const usage = (e: unknown): boolean => e instanceof RuntimeError && e.code === 'EUSAGE';

describe('parsePublish', () => {
  const cases: [string, [string, number, number, string][]][] = [
    ['80', [['', 0, 80, 'tcp']]],
    ['8080:80', [['', 8080, 80, 'tcp']]],
    ['127.0.0.1:8080:80', [['127.0.0.1', 8080, 80, 'tcp']]],
    ['127.0.0.1::80', [['127.0.0.1', 0, 80, 'tcp']]],
    ['5353:53/udp', [['', 5353, 53, 'udp']]],
    ['[::1]:8080:80/tcp', [['::1', 8080, 80, 'tcp']]],
    ['8000-8002:80-82', [['', 8000, 80, 'tcp'], ['', 8001, 81, 'tcp'], ['', 8002, 82, 'tcp']]],
    ['90-91', [['', 0, 90, 'tcp'], ['', 0, 91, 'tcp']]],
  ];
  for (const [spec, want] of cases) {
    it(`parsePublish, ${spec}`, () => {
      assert.deepEqual(parsePublish(spec).map((m) => [m.hostIp, m.hostPort, m.containerPort, m.protocol]), want);
    });
  }
  for (const bad of ['', 'x', '0', '65536', '80:80:80:80', 'x:80', '1.2.3:80:80', '8000-8001:80', '82-80', '80/sctp', '[::1:80:80']) {
    it(`parsePublish, ${JSON.stringify(bad)} is a usage error naming it`, () => {
      assert.throws(() => parsePublish(bad), (e: unknown) => usage(e) && (e as Error).message.includes(`-p ${bad}:`));
    });
  }
});

describe('publishedPorts', () => {
  it('publishedPorts, -P adds the exposed ports no -p publishes, tcp by default', () => {
    const got = publishedPorts(['8080:80'], true, '80/tcp,53/udp,443,9/sctp');
    assert.deepEqual(got.map(formatPortMapping), ['0.0.0.0:8080->80/tcp', '0.0.0.0:0->53/udp', '0.0.0.0:0->443/tcp']);
  });
  it('publishedPorts, one host port published twice is refused', () => {
    assert.throws(() => publishedPorts(['8080:80', '8080:81'], false, undefined), usage);
  });
  it('exposedPortMappings, none without the annotation', () => {
    assert.deepEqual(exposedPortMappings(undefined), []);
  });
  it('formatPortLine, podman port\'s line', () => {
    assert.equal(formatPortLine(parsePublish('[::1]:8080:80/udp')[0]!), '80/udp -> [::1]:8080');
  });
  it('formatPortsColumn, podman ps\'s PORTS: consecutive ports on one address and protocol as one range', () => {
    const ports = publishedPorts(['127.0.0.1:8300-8301:80-81', '8302:82', '8305:90/udp', '8306:91/udp', '9000:91', '9002:92'], false, undefined);
    assert.equal(formatPortsColumn(ports), '127.0.0.1:8300-8301->80-81/tcp, 0.0.0.0:8302->82/tcp, 0.0.0.0:8305-8306->90-91/udp, 0.0.0.0:9000->91/tcp, 0.0.0.0:9002->92/tcp');
    assert.equal(formatPortsColumn([]), '');
  });
});

describe('pasta arguments', () => {
  it('pastaPortSpecs, one -t per port with its address; none when there is none', () => {
    const ports = [...parsePublish('127.0.0.1:8080:80'), ...parsePublish('9090:90')];
    assert.deepEqual(pastaPortSpecs(ports, 'tcp'), ['-t', '127.0.0.1/8080:80', '-t', '9090:90']);
    assert.deepEqual(pastaPortSpecs(ports, 'udp'), ['-u', 'none']);
  });
  it('pastaArgs, rootless through the namespace descriptors it gets at fds 3 and 4; as root through the held netns, keeping root', () => {
    const byFds = pastaArgs({ usernsFd: 31, netnsFd: 32 }, [], '/b/pasta.pid');
    assert.deepEqual(byFds.slice(-5), ['--userns', '/proc/self/fd/3', '--netns', '/proc/self/fd/4', '--no-netns-quit']);
    assert.equal(byFds.includes('--runas'), false);
    const held = pastaArgs({ netns: '/run/netns/ct-x' }, [], '/b/pasta.pid');
    assert.deepEqual(held.slice(-5), ['--runas', '0', '--netns', '/run/netns/ct-x', '--netns-only']);
    assert.ok(held.includes('--no-map-gw') && held.includes('--foreground'));
  });
  it('checkPastaPorts, UDP on another host port (or a picked one) is refused; the same port is fine', () => {
    assert.throws(() => checkPastaPorts(parsePublish('5300:53/udp')), usage);
    assert.throws(() => checkPastaPorts(parsePublish('53/udp')), usage);
    assert.doesNotThrow(() => checkPastaPorts([...parsePublish('53:53/udp'), ...parsePublish('8080:80')]));
  });
});
