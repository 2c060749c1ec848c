/**
 * `--network slirp4netns`: slirp4netns(1) on the container's network namespace, as podman 4 runs it: a tap
 * device configured with 10.0.2.100/24 (--configure), MTU 65520, the host's loopback out of reach
 * (--disable-host-loopback; not when UDP is published: libslirp then drops the replies to a loopback client), its
 * own mount namespace and seccomp filter (--enable-sandbox, --enable-seccomp), IPv6 on (fd00::/64, --enable-ipv6,
 * as podman 4 has it). It
 * says it is ready on fd 3 (--ready-fd). Published ports are added through its API socket (add_hostfwd, one
 * request per connection), kept in a private temporary directory (a socket path is at most 107 bytes) that is
 * removed once the ports are in place.
 * Man pages: slirp4netns(1), unix(7).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeError } from '../errors.js';
import { spawnHelper, waitReady } from './helper-process.js';
import type { HelperRecord } from './network-record.js';
import type { PortMapping } from './port-spec.js';

/** The container's address on slirp4netns's default network. */
export const SLIRP_GUEST_ADDRESS = '10.0.2.100';

/** slirp4netns's command line for the init `pid` (`hostLoopback`: the host's 127.0.0.1 in the container's reach). */
export function slirpArgs(pid: number, apiSocket: string, hostLoopback = false): string[] {
  return [
    'slirp4netns', '--configure', '--mtu=65520', ...(hostLoopback ? [] : ['--disable-host-loopback']), '--enable-sandbox', '--enable-seccomp',
    '--enable-ipv6', '--ready-fd=3', `--api-socket=${apiSocket}`, String(pid), 'tap0',
  ];
}

/** One API request on `socket`; resolves with the parsed reply. */
function apiRequest(socket: string, request: unknown): Promise<{ return?: unknown; error?: { desc?: string } }> {
  return new Promise((resolve, reject) => {
    const conn = connect(socket);
    let reply = '';
    conn.on('connect', () => conn.end(JSON.stringify(request)));
    conn.on('data', (d) => { reply += d.toString(); });
    conn.on('error', reject);
    conn.on('close', () => {
      try {
        resolve(JSON.parse(reply) as { return?: unknown; error?: { desc?: string } });
      } catch {
        reject(new Error(`unreadable reply ${JSON.stringify(reply)}`));
      }
    });
  });
}

/**
 * Publish `m` through slirp4netns's API.
 * @throws RuntimeError ESETUP naming the port and slirp4netns's reason
 */
async function addHostForward(socket: string, m: PortMapping): Promise<void> {
  const request = {
    execute: 'add_hostfwd',
    arguments: { proto: m.protocol, host_addr: m.hostIp === '' ? '0.0.0.0' : m.hostIp, host_port: m.hostPort, guest_port: m.containerPort },
  };
  let reply;
  try {
    reply = await apiRequest(socket, request);
  } catch (err) {
    throw new RuntimeError('ESETUP', `network: slirp4netns: publish ${m.hostPort}/${m.protocol}: ${(err as Error).message}`, { cause: err });
  }
  if (reply.error !== undefined) {
    throw new RuntimeError('ESETUP', `network: slirp4netns: publish ${m.hostIp === '' ? '' : `${m.hostIp}:`}${m.hostPort}/${m.protocol}: ${reply.error.desc ?? 'refused'}`);
  }
}

/**
 * Start slirp4netns for the init `pid` and publish `ports` (`onSpawned` records it before it is ready).
 * @throws RuntimeError ESETUP quoting slirp4netns's message or naming the port it refused
 */
export async function startSlirp4netns(
  bundle: string, pid: number, ports: readonly PortMapping[], hostLoopback: boolean, onSpawned: (h: HelperRecord) => void,
): Promise<HelperRecord> {
  const logFile = join(bundle, 'network.log');
  const dir = mkdtempSync(join(tmpdir(), 'ct-slirp-'));
  try {
    const socket = join(dir, 'api.sock');
    const h = await spawnHelper('slirp4netns', slirpArgs(pid, socket, hostLoopback), logFile, true);
    onSpawned(h.record);
    let ready = false;
    const pipe = h.child.stdio[3] as NodeJS.ReadableStream | null | undefined;
    pipe?.on('data', () => { ready = true; });
    pipe?.on('error', () => undefined);
    await waitReady(h, () => ready, logFile);
    (pipe as unknown as { destroy?: () => void } | undefined)?.destroy?.();
    for (const m of ports) await addHostForward(socket, m);
    h.child.unref();
    return h.record;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
