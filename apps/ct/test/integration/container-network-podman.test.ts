/**
 * ct's container networks beside podman 4.3's (runtime runc, CNI here), as root on the default network (ct's
 * bridge, podman's bridge) and unprivileged on slirp4netns (podman 4's rootless default; 4.3 has no pasta):
 * /etc/resolv.conf and /etc/hosts for the same flags, field by field (also with --network host, none and, as root,
 * container:ID) (the bridges' addresses, ct0's 10.89.0.0/16
 * and podman's 10.88.0.0/16, aside); the interfaces the container sees, and on slirp4netns its addresses (IPv4
 * and IPv6), routes and MTU; and a published port reached from the host with both. Loopback only: every
 * connection is to 127.0.0.1. Documented differences: podman makes the hostname the container id's first 12
 * characters where ct's id is its name (the tests give --hostname), and binds the /etc files read-write.
 */
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { requireFeature } from '@ct/test-utils';
import { useImageSuite } from './container-run-harness.js';
import { freePort, httpGet } from './container-network-harness.js';
import { PodmanPeer, podmanPresent } from './podman-peer.js';

/** podman's run flags for this machine without --network (podman-peer's podmanRunFlags holds --network none). */
const ulimits = ['--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096'];

/** The text with each engine's bridge addresses (gateway, then the container's) as placeholders. */
function normalHosts(text: string, gateway: RegExp, subnet: RegExp): string {
  return text.replace(gateway, 'GATEWAY').replace(subnet, 'ADDRESS');
}

/** A shell script printing the interface's IPv4 address, routes, MTU and IPv6 prefix once slirp4netns's RA came. */
const slirpInterface = [
  'ip -4 -o addr show tap0 | sed "s/.*inet //;s/ brd.*//"', 'ip route', 'cat /sys/class/net/tap0/mtu',
  'for i in $(seq 1 50); do ip -6 addr show tap0 scope global | grep -q fd00: && break; sleep 0.1; done',
  'ip -6 -o addr show tap0 scope global | grep -o "fd00::[^ ]*/64" | sed "s/::.*\\//::\\//"',
].join('; ');

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(240_000);
    const s = useImageSuite(rootless ? 'cnetpodu' : 'cnetpod', rootless);
    // the default network of each engine as root; slirp4netns named for both unprivileged (ct's default is pasta)
    const network = rootless ? ['--network', 'slirp4netns'] : [];
    // bridge addresses differ by design (ct0, cni-podman0); slirp4netns gives both the same
    const normal = (engine: 'ct' | 'podman', text: string): string => (rootless
      ? text
      : engine === 'ct' ? normalHosts(text, /10\.89\.0\.1\b/, /10\.89\.\d+\.\d+/) : normalHosts(text, /10\.88\.0\.1\b/, /10\.88\.\d+\.\d+/));
    let podman: PodmanPeer | undefined;
    before(function () {
      requireFeature(this, podmanPresent(), 'podman and runc are not installed');
      podman = new PodmanPeer(s.user);
      podman.pull();
    });
    after(() => podman?.teardown());

    it('container run --dns-search --dns-option --add-host --hostname, resolv.conf and hosts as podman writes them', () => {
      const flags = [...network, '--hostname', 'hh', '--dns-search', 'x.test', '--dns-option', 'ndots:2', '--add-host', 'a.test:192.0.2.7'];
      const show = ['sh', '-c', 'cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; ls /sys/class/net'];
      const name = `cmp-${process.pid}`;
      const ours = s.run(['--rm', '--name', name, ...flags, 'busybox', ...show]);
      const theirs = podman!.podman(['run', '--rm', '--name', name, ...ulimits, ...flags, podman!.image, ...show]);
      assert.equal(theirs.status, 0, theirs.stderr);
      assert.equal(ours.status, 0, ours.stderr);
      const [oResolv, oHosts, oLinks] = ours.stdout.split('---\n');
      const [pResolv, pHosts, pLinks] = theirs.stdout.split('---\n');
      assert.equal(oResolv, pResolv);
      assert.equal(normal('ct', oHosts!), normal('podman', pHosts!));
      assert.equal(oLinks, pLinks);
    });

    for (const [mode, extra] of [['host', []], ['none', ['--hostname', 'hh']]] as const) {
      it(`container run --network ${[mode, ...extra].join(' ')}, resolv.conf, hosts, hostname and interfaces as podman's`, () => {
        const show = ['sh', '-c', 'cat /etc/resolv.conf 2>/dev/null; echo ---; cat /etc/hosts; echo ---; hostname; ls /sys/class/net'];
        const name = `cmp${mode}-${process.pid}`;
        // with the host's network both list the host's interfaces, which other work may change between the two
        // runs (a veth of a container being torn down): each list is compared with the host's right after its run,
        // other containers' host-side veths (which come and go during a run) left out of both
        const noVeths = (links: string): string => links.split('\n').filter((l) => !l.startsWith('veth')).join('\n');
        const hostLinks = (): string => (mode === 'host' ? readdirSync('/sys/class/net').filter((l) => !l.startsWith('veth')).sort().map((l) => `${l}\n`).join('') : 'lo\n');
        const ours = s.run(['--rm', '--name', name, '--network', mode, ...extra, 'busybox', ...show]);
        const hostAfterOurs = hostLinks();
        const theirs = podman!.podman(['run', '--rm', '--name', name, ...ulimits, '--network', mode, ...extra, podman!.image, ...show]);
        const hostAfterTheirs = hostLinks();
        assert.equal(theirs.status, 0, theirs.stderr);
        assert.equal(ours.status, 0, ours.stderr);
        const split = (out: string): [string, string] => {
          const files = out.split('---\n');
          const [hostname, ...links] = files.pop()!.split('\n');
          return [[...files, hostname].join('---\n'), links.join('\n')];
        };
        const [oFiles, oLinks] = split(ours.stdout);
        const [pFiles, pLinks] = split(theirs.stdout);
        assert.equal(oFiles, pFiles);
        assert.equal(noVeths(oLinks), hostAfterOurs, 'ct: the interfaces are the host\'s');
        assert.equal(noVeths(pLinks), hostAfterTheirs, 'podman: the interfaces are the host\'s');
      });
    }

    if (!rootless) {
      it('container run --network container:ID, the other container\'s resolv.conf and hosts, its own hostname, as podman\'s', () => {
        const show = ['sh', '-c', 'cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; hostname'];
        const first = (engine: 'ct' | 'podman'): string => {
          const flags = ['-d', '--name', `first${engine}-${process.pid}`, '--hostname', 'fh', '--add-host', 'x.test:192.0.2.9'];
          const r = engine === 'ct' ? s.run([...flags, 'busybox', 'sleep', '60']) : podman!.podman(['run', ...flags, ...ulimits, podman!.image, 'sleep', '60']);
          assert.equal(r.status, 0, r.stderr);
          return r.stdout.trim();
        };
        const [o, p] = [first('ct'), first('podman')];
        try {
          const ours = s.run(['--rm', '--network', `container:${o}`, '--hostname', 'sh2', 'busybox', ...show]);
          const theirs = podman!.podman(['run', '--rm', '--network', `container:${p}`, '--hostname', 'sh2', ...ulimits, podman!.image, ...show]);
          assert.equal(theirs.status, 0, theirs.stderr);
          assert.equal(ours.status, 0, ours.stderr);
          // podman 4.3 also appends the joining container's own line (127.0.0.1 ID NAME) to the shared hosts file
          // (and leaves it there after it is removed): ct writes nothing into another container's files
          const theirLines = theirs.stdout.split('\n');
          const appended = theirLines.findIndex((l) => /^127\.0\.0\.1\t\S+ \S+$/.test(l) && !l.includes('fh'));
          assert.ok(appended > 0, theirs.stdout);
          theirLines.splice(appended, 1);
          assert.equal(normal('ct', ours.stdout).replace(/first\w+-\d+/, 'FIRST'), normal('podman', theirLines.join('\n')).replace(/first\w+-\d+/, 'FIRST'));
        } finally {
          s.ct.run(['container', 'rm', '-f', o]);
          podman!.podman(['rm', '-f', '-t', '0', p]);
        }
      });
    }

    if (rootless) {
      it('container run --network slirp4netns, the address, routes, MTU and IPv6 prefix podman\'s container has', () => {
        const ours = s.run(['--rm', ...network, 'busybox', 'sh', '-c', slirpInterface]);
        const theirs = podman!.podman(['run', '--rm', ...ulimits, ...network, podman!.image, 'sh', '-c', slirpInterface]);
        assert.equal(theirs.status, 0, theirs.stderr);
        assert.equal(ours.status, 0, ours.stderr);
        assert.equal(ours.stdout, theirs.stdout);
      });
    }

    it('container run -d -p 127.0.0.1:PORT:80 httpd, the host gets the same page from both; container port and inspect\'s Ports as podman\'s', async () => {
      const page = ['sh', '-c', 'mkdir -p /www && echo same > /www/index.html && exec httpd -f -p 80 -h /www'];
      const [po, pp] = [await freePort(), await freePort()];
      const ours = s.run(['-d', ...network, '-p', `127.0.0.1:${po}:80`, 'busybox', ...page]);
      assert.equal(ours.status, 0, ours.stderr);
      const theirs = podman!.podman(['run', '-d', ...ulimits, ...network, '-p', `127.0.0.1:${pp}:80`, podman!.image, ...page]);
      try {
        assert.equal(theirs.status, 0, theirs.stderr);
        assert.deepEqual(await httpGet(`http://127.0.0.1:${po}/index.html`), await httpGet(`http://127.0.0.1:${pp}/index.html`));
        const portLine = (text: string, port: number): string => text.replace(`:${port}\n`, ':PORT\n');
        assert.equal(portLine(s.ct.run(['container', 'port', ours.stdout.trim()]).stdout, po), portLine(podman!.podman(['port', theirs.stdout.trim()]).stdout, pp));
        const ourMap = (JSON.parse(s.ct.run(['container', 'inspect', ours.stdout.trim()]).stdout) as { NetworkSettings: { Ports: unknown } }[])[0]!.NetworkSettings.Ports;
        const theirMap = JSON.parse(podman!.podman(['inspect', '--format', '{{json .NetworkSettings.Ports}}', theirs.stdout.trim()]).stdout) as unknown;
        assert.equal(JSON.stringify(ourMap).replace(`"${po}"`, '"PORT"'), JSON.stringify(theirMap).replace(`"${pp}"`, '"PORT"'));
      } finally {
        s.ct.run(['container', 'rm', '-f', ours.stdout.trim()]);
        podman!.podman(['rm', '-f', theirs.stdout.trim()]);
      }
    });
  });
}

defineSuite('ct container run networks beside podman @root', false);
defineSuite('ct container run networks beside podman unprivileged @rootless', true);
