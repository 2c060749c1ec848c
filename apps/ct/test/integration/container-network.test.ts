/**
 * `ct container run` networks a podman user expects, as root (the bridge, podman's root default) and unprivileged
 * (pasta, the rootless default; slirp4netns): a server published with -p on 127.0.0.1 and fetched from the host,
 * UDP published, port ranges, -P with the image's EXPOSE, `container port` and `ps`, `container:ID` sharing lo,
 * two containers on the root bridge reaching each other, `--network none` with lo only, resolv.conf, hosts and
 * hostname as the flags say (read-only files of ct's), bad input (a port in use, a malformed -p, a helper not
 * installed) refused naming it with nothing left, and nothing of the network left after stop and rm.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { containerDirs, useImageSuite } from './container-run-harness.js';
import {
  assertNetworkGone, busyboxExposing, freePort, httpGet, networkRecord, runWithoutHelpers, udpRoundTrip, waitUntil,
} from './container-network-harness.js';

/** The pid of the monitor of detached container `id` (node monitor-main.js, or its bundle's monitor-main.cjs, with the id in its arguments). */
function monitorPid(id: string): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (/monitor-main\.c?js/.test(cmd) && cmd.includes(`"id":"${id}"`)) return Number(name);
  }
  return undefined;
}

/** A busybox httpd serving /www/index.html (written by the container) on port 80. */
const httpd = ['sh', '-c', 'mkdir -p /www && echo "served by $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'];

/** Two consecutive TCP ports on 127.0.0.1 that were free a moment ago (for a published range). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    const next = createServer();
    const free = await new Promise<boolean>((r) => {
      next.once('error', () => r(false));
      next.listen(port + 1, '127.0.0.1', () => r(true));
    });
    if (free) {
      await new Promise<void>((r) => next.close(() => r()));
      return port;
    }
  }
}

/** The bundles of `container run` left under the state root (dot entries are ct's: locks, claims). */
function bundlesLeft(root: string): string[] {
  const dir = join(root, '.bundles');
  return existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')) : [];
}

function defineSuite(title: string, rootless: boolean, modes: readonly string[]): void {
  describe(title, function () {
    this.timeout(120_000);
    const s = useImageSuite('cnet', rootless);

    for (const mode of modes) {
      it(`container run --network ${mode} -d -p 127.0.0.1:PORT:80, the host fetches a file from httpd; rm leaves nothing`, async () => {
        const port = await freePort();
        const d = s.run(['-d', '--name', `web-${mode}-${process.pid}`, '--network', mode, '-p', `127.0.0.1:${port}:80`, 'busybox', ...httpd]);
        assert.equal(d.status, 0, d.stderr);
        const id = d.stdout.trim();
        const record = networkRecord(s, id);
        assert.equal(record.mode.kind, mode);
        const r = await httpGet(`http://127.0.0.1:${port}/index.html`);
        assert.deepEqual(r, { status: 200, body: `served by web-${mode}-${process.pid}\n` });
        assert.equal(s.ct.run(['container', 'port', id]).stdout, `80/tcp -> 127.0.0.1:${port}\n`);
        assert.match(s.ct.run(['container', 'ps']).stdout, new RegExp(`${id} .* 127\\.0\\.0\\.1:${port}->80/tcp`));
        assert.equal(s.ct.run(['container', 'stop', '-t', '1', id]).status, 0);
        assert.equal(s.ct.run(['container', 'rm', id]).status, 0);
        await assertNetworkGone(record);
        assert.deepEqual(containerDirs(s.store), []);
      });
    }

    for (const mode of modes) {
      it(`container run --network ${mode} -d -p, the run's monitor killed: its helper dies with it; rm leaves nothing`, async () => {
        const port = await freePort();
        const d = s.run(['-d', '--network', mode, '-p', `127.0.0.1:${port}:80`, 'busybox', ...httpd]);
        assert.equal(d.status, 0, d.stderr);
        const id = d.stdout.trim();
        const record = networkRecord(s, id);
        const monitor = monitorPid(id);
        assert.ok(monitor !== undefined, 'the monitor of the run');
        process.kill(monitor, 'SIGKILL');
        // PR_SET_PDEATHSIG: the helpers go with the process that started them (the bridge has none: the rules stay)
        for (const h of record.helpers ?? []) assert.ok(await waitUntil(() => !existsSync(`/proc/${h.pid}/stat`) || /\) [ZX] /.test(readFileSync(`/proc/${h.pid}/stat`, 'utf8'))), `${h.name} outlived the monitor`);
        assert.equal(s.ct.run(['container', 'rm', '-f', id]).status, 0);
        await assertNetworkGone(record);
      });
    }

    for (const mode of modes) {
      // Debian 12's pasta drops UDP it must translate to another port: same port numbers with pasta
      const same = mode === 'pasta';
      it(`container run --network ${mode} -p 127.0.0.1:PORT:${same ? 'PORT' : '5353'}/udp, a UDP server in the container answers the host`, async () => {
        const port = await freePort('udp');
        const inside = same ? port : 5353;
        const d = s.run(['-d', '--network', mode, '-p', `127.0.0.1:${port}:${inside}/udp`, 'busybox', 'ct-probe', 'udp-echo', String(inside)]);
        assert.equal(d.status, 0, d.stderr);
        const id = d.stdout.trim();
        const record = networkRecord(s, id);
        try {
          assert.equal(await udpRoundTrip(port, 'ping'), 'echo:ping');
          assert.equal(s.ct.run(['container', 'port', id, `${inside}/udp`]).stdout, `${inside}/udp -> 127.0.0.1:${port}\n`);
        } finally {
          assert.equal(s.ct.run(['container', 'rm', '-f', id]).status, 0);
        }
        await assertNetworkGone(record);
      });
    }

    it('container run --network pasta -p HOST:OTHER/udp, refused naming the value (this pasta cannot translate UDP ports)', () => {
      const r = s.run(['--rm', '--network', 'pasta', '-p', '127.0.0.1:5300:5353/udp', 'busybox', 'true']);
      assert.equal(r.status, 125);
      assert.match(r.stderr, /-p 127\.0\.0\.1:5300->5353\/udp: pasta forwards UDP only to the same port number/);
    });

    it('container run -p 127.0.0.1:P-P+1:80-81, a range: both ports reach their server; ps shows it as podman does', async () => {
      const port = await freePortPair();
      const two = ['sh', '-c', 'mkdir -p /a /b && echo a > /a/i && echo b > /b/i && httpd -p 80 -h /a && exec httpd -f -p 81 -h /b'];
      const d = s.run(['-d', '-p', `127.0.0.1:${port}-${port + 1}:80-81`, 'busybox', ...two]);
      assert.equal(d.status, 0, d.stderr);
      const id = d.stdout.trim();
      try {
        assert.equal((await httpGet(`http://127.0.0.1:${port}/i`)).body, 'a\n');
        assert.equal((await httpGet(`http://127.0.0.1:${port + 1}/i`)).body, 'b\n');
        assert.equal(s.ct.run(['container', 'port', id]).stdout, `80/tcp -> 127.0.0.1:${port}\n81/tcp -> 127.0.0.1:${port + 1}\n`);
        // podman ps shows a range as one
        assert.match(s.ct.run(['container', 'ps']).stdout, new RegExp(`${id} .* 127\\.0\\.0\\.1:${port}-${port + 1}->80-81/tcp\n`));
      } finally {
        s.ct.run(['container', 'rm', '-f', id]);
      }
    });

    it('container run -P, the ports the image exposes published on host ports ct picks', async () => {
      const layout = busyboxExposing(['80/tcp', '8125/udp']);
      const name = `exposing-${process.pid}:v1`;
      try {
        const imported = s.image(['import', layout, '--name', name]);
        assert.equal(imported.status, 0, imported.stderr);
        // slirp4netns translates UDP ports (Debian 12's pasta cannot: see above)
        const d = s.run(['-d', '-P', ...(rootless ? ['--network', 'slirp4netns'] : []), name, ...httpd]);
        assert.equal(d.status, 0, d.stderr);
        const id = d.stdout.trim();
        try {
          const lines = s.ct.run(['container', 'port', id]).stdout;
          const m = /^80\/tcp -> 0\.0\.0\.0:(\d+)\n8125\/udp -> 0\.0\.0\.0:\d+\n$/.exec(lines);
          assert.ok(m !== null, lines);
          assert.equal((await httpGet(`http://127.0.0.1:${m[1]}/index.html`)).status, 200);
        } finally {
          s.ct.run(['container', 'rm', '-f', id]);
        }
      } finally {
        s.image(['rm', name]);
        rmSync(layout, { recursive: true, force: true });
      }
    });

    it('container run -p CONTAINER, a host port picked by ct, shown by container port', async () => {
      const d = s.run(['-d', '-p', '127.0.0.1::80', 'busybox', ...httpd]);
      assert.equal(d.status, 0, d.stderr);
      const id = d.stdout.trim();
      try {
        const m = /^80\/tcp -> 127\.0\.0\.1:(\d+)\n$/.exec(s.ct.run(['container', 'port', id]).stdout);
        assert.ok(m !== null);
        assert.equal((await httpGet(`http://127.0.0.1:${m[1]}/index.html`)).status, 200);
      } finally {
        s.ct.run(['container', 'rm', '-f', id]);
      }
    });

    it('container run --network container:ID, the second container shares the first one\'s lo', async () => {
      const d = s.run(['-d', '--network', 'none', 'busybox', 'sh', '-c', 'mkdir -p /w && echo shared > /w/f && exec httpd -f -p 127.0.0.1:8080 -h /w']);
      assert.equal(d.status, 0, d.stderr);
      const id = d.stdout.trim();
      try {
        const r = s.run(['--rm', '--network', `container:${id}`, 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://127.0.0.1:8080/f && exit; sleep 0.5; done; exit 1']);
        assert.equal(r.stdout, 'shared\n', r.stderr);
      } finally {
        s.ct.run(['container', 'rm', '-f', id]);
      }
    });

    it(`container run without --network, podman's default: ${rootless ? 'pasta' : 'the bridge'} (an interface besides lo)`, () => {
      const r = s.run(['-d', 'busybox', 'sleep', '30']);
      assert.equal(r.status, 0, r.stderr);
      const id = r.stdout.trim();
      try {
        assert.equal(networkRecord(s, id).mode.kind, rootless ? 'pasta' : 'bridge');
        const links = s.ct.run(['container', 'exec', id, 'ls', '/sys/class/net']).stdout.trim().split('\n');
        assert.ok(links.includes('lo') && links.length === 2, links.join(' '));
      } finally {
        s.ct.run(['container', 'rm', '-f', id]);
      }
    });

    if (!rootless) {
      it('container run --network bridge, two containers reach each other by address', async () => {
        const d = s.run(['-d', 'busybox', ...httpd]);
        assert.equal(d.status, 0, d.stderr);
        const id = d.stdout.trim();
        try {
          const address = networkRecord(s, id).address ?? '';
          assert.match(address, /^10\.89\.\d+\.\d+$/);
          const r = s.run(['--rm', 'busybox', 'sh', '-c', `for i in $(seq 1 20); do wget -q -O - http://${address}/index.html && exit; sleep 0.5; done; exit 1`]);
          assert.equal(r.stdout, `served by ${id}\n`, r.stderr);
        } finally {
          s.ct.run(['container', 'rm', '-f', id]);
        }
      });
    }

    if (!rootless) {
      it('container run --network bridge -d, the held namespace released before rm (a detach that crashed): rm -f still removes the masquerading', async () => {
        const d = s.run(['-d', '--network', 'bridge', 'busybox', 'sleep', '60']);
        assert.equal(d.status, 0, d.stderr);
        const id = d.stdout.trim();
        const record = networkRecord(s, id);
        const netns = record.netns ?? '';
        // what a detach killed between its umount and its unlink leaves: the holder file, no longer a mount
        assert.equal(spawnSync('umount', ['-l', netns]).status, 0, `umount ${netns}`);
        assert.equal(existsSync(netns), true);
        assert.equal(s.ct.run(['container', 'rm', '-f', id]).status, 0);
        await assertNetworkGone(record);
      });
    }

    for (const helper of ['pasta', 'slirp4netns']) {
      it(`container run --network ${helper}, ${helper} not installed: refused naming it and its package; nothing left`, () => {
        const r = runWithoutHelpers(s, ['--rm', '--name', `nohelper-${process.pid}`, '--network', helper, '-p', '127.0.0.1::80', 'busybox', 'true']);
        assert.equal(r.status, 125);
        assert.match(r.stderr, new RegExp(`--network ${helper}: ${helper} is not installed \\(apt-get install ${helper === 'pasta' ? 'passt' : 'slirp4netns'}\\)`));
        assert.deepEqual(containerDirs(s.store), []);
        assert.deepEqual(bundlesLeft(s.root), []);
      });
    }

    if (rootless) {
      it('container run without --network, neither helper installed: lo only, with a warning saying why', () => {
        const r = runWithoutHelpers(s, ['--rm', 'busybox', 'ls', '/sys/class/net']);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, 'lo\n');
        assert.match(r.stderr, /warning: container run: the container has lo only: neither pasta nor slirp4netns is installed \(apt-get install passt\)/);
      });
    }

    it('ct doctor, reports which network modes work and the default one', () => {
      const r = s.ct.run(['doctor', '--json'], { timeoutMs: 60_000 });
      const net = (JSON.parse(r.stdout) as { network: { defaultMode: string; modes: { mode: string; works: boolean; why?: string }[] } }).network;
      assert.equal(net.defaultMode, rootless ? 'pasta' : 'bridge');
      const works = Object.fromEntries(net.modes.map((m) => [m.mode, m.works]));
      assert.deepEqual(works, { none: true, private: true, host: true, bridge: !rootless, pasta: true, slirp4netns: true, 'container:ID': true });
      if (rootless) assert.match(net.modes.find((m) => m.mode === 'bridge')?.why ?? '', /root only/);
    });

    it('container run --network none, lo only, no resolv.conf of ct\'s', () => {
      const r = s.run(['--rm', '--network', 'none', 'busybox', 'sh', '-c', 'ls /sys/class/net; grep -c "^/dev/.* /etc/resolv.conf" /proc/self/mountinfo']);
      assert.equal(r.stdout, 'lo\n0\n', r.stderr);
    });

    it('container run --dns --dns-search --dns-option --add-host, resolv.conf and hosts as the flags say', () => {
      const r = s.run(['--rm', '--hostname', 'h1', '--name', `dns-${process.pid}`, '--dns', '192.0.2.53', '--dns-search', 'example.test',
        '--dns-option', 'ndots:3', '--add-host', 'db.test:192.0.2.9', 'busybox', 'sh', '-c', 'cat /etc/resolv.conf; echo ---; cat /etc/hosts']);
      assert.equal(r.status, 0, r.stderr);
      const [resolv, hosts] = r.stdout.split('---\n');
      assert.equal(resolv, 'search example.test\nnameserver 192.0.2.53\noptions ndots:3\n');
      const lines = hosts!.trim().split('\n');
      assert.equal(lines[0], '192.0.2.9\tdb.test');
      assert.match(lines.at(-1)!, new RegExp(`^\\S+\\th1 dns-${process.pid}$`));
    });

    it('container run --hostname, /etc/hostname, /etc/hosts and /etc/resolv.conf are ct\'s files bound read-only', () => {
      const r = s.run(['--rm', '--hostname', 'h2', 'busybox', 'sh', '-c',
        'cat /etc/hostname; hostname; for f in hostname hosts resolv.conf; do echo x >> /etc/$f 2>/dev/null && echo "$f written"; done; grep -E " /etc/(hostname|hosts|resolv.conf) " /proc/self/mountinfo | cut -d" " -f5,6']);
      assert.equal(r.status, 0, r.stderr);
      const [hostnameFile, hostname, ...mounts] = r.stdout.trim().split('\n');
      assert.deepEqual([hostnameFile, hostname], ['h2', 'h2']);
      assert.deepEqual(mounts.map((m) => [m.split(' ')[0], m.split(' ')[1]!.split(',')[0]]).sort(), [['/etc/hostname', 'ro'], ['/etc/hosts', 'ro'], ['/etc/resolv.conf', 'ro']]);
    });

    it('container run -p, a host port in use is refused naming it, and nothing is left running', async () => {
      const { createServer } = await import('node:net');
      const busy = createServer();
      await new Promise<void>((res) => busy.listen(0, '127.0.0.1', () => res()));
      const port = (busy.address() as { port: number }).port;
      try {
        const r = s.run(['-d', '--name', `busy-${process.pid}`, '-p', `127.0.0.1:${port}:80`, 'busybox', ...httpd]);
        assert.equal(r.status, 125);
        assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}->80/tcp: host port ${port}/tcp: address already in use`));
        assert.equal(s.ct.run(['container', 'ps', '--all', '--json']).stdout.includes(`busy-${process.pid}`), false);
        assert.deepEqual(containerDirs(s.store), []);
      } finally {
        busy.close();
      }
    });

    it('container run -p, a malformed value is refused naming it', () => {
      for (const bad of ['80:80:80:80', 'x:80', '127.0.0.1:70000:80', '8000-8001:80', '80/sctp']) {
        const r = s.run(['--rm', '-p', bad, 'busybox', 'true']);
        assert.equal(r.status, 125, bad);
        assert.ok(r.stderr.includes(`-p ${bad}`), r.stderr);
      }
    });

    it('container run --network nosuch and -p with --network none are refused naming them', () => {
      const r = s.run(['--rm', '--network', 'nosuch', 'busybox', 'true']);
      assert.equal(r.status, 125);
      assert.match(r.stderr, /--network nosuch: unknown network mode/);
      const p = s.run(['--rm', '--network', 'none', '-p', '8080:80', 'busybox', 'true']);
      assert.equal(p.status, 125);
      assert.match(p.stderr, /the network mode none publishes no ports/);
    });
  });
}

defineSuite('ct container run networks @root', false, ['bridge', 'pasta', 'slirp4netns']);
defineSuite('ct container run networks unprivileged @rootless', true, ['pasta', 'slirp4netns']);

