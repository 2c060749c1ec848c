/**
 * What the network suites share: free loopback ports, an HTTP GET and a UDP round trip from the host with retries
 * (the server in the container starts after `run -d` returns), the container's network record, and the check that
 * nothing of a removed container's network is left on the host (helper processes, the netns holder, iptables
 * rules, the veth, the IPAM lease); the busybox image with EXPOSE ports (for -P); a run whose PATH lacks the helpers. Every address a test connects to is 127.0.0.1 or in a namespace it made.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { testImage } from '@ct/test-utils';
import type { ImageSuite } from './container-run-harness.js';
import { ctBin, type Run } from './runtime-harness.js';

/** A TCP (or UDP) port on 127.0.0.1 that was free a moment ago. */
export async function freePort(protocol: 'tcp' | 'udp' = 'tcp'): Promise<number> {
  if (protocol === 'udp') {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function getOnce(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 3_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** GET `url`, retried for up to `ms` while the connection fails (the server is starting). */
export async function httpGet(url: string, ms = 20_000): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await getOnce(url);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Send `text` to 127.0.0.1:`port` over UDP until a reply comes (up to `ms`); resolves with the reply. */
export async function udpRoundTrip(port: number, text: string, ms = 20_000): Promise<string> {
  const s = createSocket('udp4');
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => s.send(text, port, '127.0.0.1'), 300);
      const deadline = setTimeout(() => { clearInterval(timer); reject(new Error(`no UDP reply from 127.0.0.1:${port}`)); }, ms);
      s.on('message', (m) => { clearInterval(timer); clearTimeout(deadline); resolve(String(m)); });
      s.on('error', () => undefined); // ICMP port unreachable while the server starts
      s.send(text, port, '127.0.0.1');
    });
  } finally {
    s.close();
  }
}

/** The network record of container `id` of the suite (network.json in its bundle). */
export interface Record {
  readonly mode: { kind: string };
  readonly ports: { hostIp: string; hostPort: number; containerPort: number; protocol: string }[];
  readonly address?: string;
  readonly helpers?: { name: string; pid: number; startTime: string }[];
  readonly cni?: { containerId: string; results: { interfaces?: { name: string; sandbox?: string }[]; ips?: { address: string }[] }[] };
  /** The netns holder (root's bridge, pasta). */
  readonly netns?: string;
}

/** Read the record of `id`. */
export function networkRecord(s: ImageSuite, id: string): Record {
  return JSON.parse(readFileSync(join(s.root, '.bundles', id, 'network.json'), 'utf8')) as Record;
}

/** True when `pid` runs with start time `startTime` (a zombie is gone). */
function alive(pid: number, startTime: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[0] !== 'Z' && rest[0] !== 'X' && rest[19] === startTime;
  } catch {
    return false;
  }
}

/** Wait up to `ms` for `pred`. */
export async function waitUntil(pred: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Assert nothing `record` named is left: helper processes, the netns holder, iptables rules, the veth, the lease. */
export async function assertNetworkGone(record: Record): Promise<void> {
  for (const h of record.helpers ?? []) {
    assert.ok(await waitUntil(() => !alive(h.pid, h.startTime)), `${h.name} ${h.pid} still runs`);
  }
  if (record.netns !== undefined) assert.equal(existsSync(record.netns), false, `${record.netns} is left`);
  const cni = record.cni;
  if (cni === undefined) return;
  const rules = spawnSync('iptables-save', [], { encoding: 'utf8' }).stdout;
  assert.equal(rules.includes(cni.containerId), false, `iptables rules of ${cni.containerId} are left`);
  const veth = cni.results[0]?.interfaces?.find((i) => i.sandbox === undefined && i.name.startsWith('veth'))?.name;
  assert.ok(veth !== undefined, 'the bridge result names the host veth');
  assert.equal(existsSync(`/sys/class/net/${veth}`), false, `${veth} is left`);
  const ip = (cni.results[0]?.ips?.[0]?.address ?? '').replace(/\/\d+$/, '');
  assert.equal(existsSync(join('/var/lib/cni/networks/ct', ip)), false, `the IPAM lease of ${ip} is left`);
}

/** A JSON object of a layout (index, manifest, config). */
type Json = { [key: string]: unknown };

/** Write `data` as a blob of the layout `dir`; returns its descriptor fields. */
function putBlob(dir: string, data: string): { digest: string; size: number } {
  const hex = createHash('sha256').update(data).digest('hex');
  writeFileSync(join(dir, 'blobs', 'sha256', hex), data);
  return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
}

/**
 * The busybox test image with `exposed` (`80/tcp`, ...) in its config's ExposedPorts, as an OCI layout in a new
 * temp dir readable by the test user (the caller removes it).
 */
export function busyboxExposing(exposed: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'ct-expose-'));
  chmodSync(dir, 0o755);
  cpSync(testImage('busybox'), dir, { recursive: true });
  const blob = (digest: string): Json => JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), 'utf8')) as Json;
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string; size: number }[] };
  const manifest = blob(index.manifests[0]!.digest) as { config: { digest: string; size: number } };
  const config = blob(manifest.config.digest) as { config?: Json };
  config.config = { ...config.config, ExposedPorts: Object.fromEntries(exposed.map((p) => [p, {}])) };
  manifest.config = { ...manifest.config, ...putBlob(dir, JSON.stringify(config)) };
  index.manifests[0] = { ...index.manifests[0]!, ...putBlob(dir, JSON.stringify(manifest)) };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
  return dir;
}

/**
 * `ct container run --storage-root STORE ...args` of suite `s` with a PATH that has newuidmap and newgidmap (a
 * rootless run needs them) and none of the network helpers (pasta, slirp4netns): /usr/sbin and /sbin besides.
 */
export function runWithoutHelpers(s: ImageSuite, args: readonly string[]): Run {
  const dir = mkdtempSync(join(tmpdir(), 'ct-path-'));
  try {
    chmodSync(dir, 0o755);
    for (const p of ['newuidmap', 'newgidmap']) symlinkSync(`/usr/bin/${p}`, join(dir, p));
    const env = ['env', `PATH=${dir}:/usr/sbin:/sbin`, ...(s.user !== undefined ? [`XDG_RUNTIME_DIR=${s.user.runtimeDir}`, 'HOME=/tmp', 'TMPDIR=/tmp'] : [])];
    const ct = [process.execPath, ctBin, '--root', s.root, 'container', 'run', '--storage-root', s.store, ...args];
    const cmd = s.user === undefined ? [...env, ...ct] : ['runuser', '-u', 'ctci', '--', ...env, ...ct];
    const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', cwd: '/', timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
