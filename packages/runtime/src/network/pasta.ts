/**
 * `--network pasta`: pasta(1) (Debian's passt) on the container's network namespace, as podman 5 runs it: the
 * interface and routes copied from the host (--config-net), published ports bound on the host and forwarded into
 * the namespace (-t/-u), nothing else forwarded in either direction (`none` for the rest: pasta's default `auto`
 * would follow what the container listens on), and the gateway not mapped to the host's loopback (--no-map-gw: the
 * container cannot reach services the host keeps on 127.0.0.1). Rootless, pasta joins the container's user and
 * network namespaces through descriptors we opened and pass at fds 3 and 4: it starts while the child still sets
 * up (the 'namespaces' pause, network-attach.ts), and the child is dumpable only during its pauses, so pasta could
 * not open /proc/PID/ns/* by the pid itself; as root (no user namespace of the container's) it gets
 * the namespace through its holder in /run/ct-netns (netns-holder.ts) and keeps root (--runas 0: nobody could not
 * join it), and it exits by itself once the holder is removed. Run in the foreground (helper-process.ts); it is ready once it has written its pid
 * file, which it does after binding the ports and configuring the interface.
 * Debian 12's pasta (2023-03) drops UDP whose port it translates: a UDP port published on another host port is
 * refused before it starts (checkPastaPorts).
 * Man pages: pasta(1).
 */
import { existsSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from '../errors.js';
import { spawnHelper, waitReady } from './helper-process.js';
import type { HelperRecord } from './network-record.js';
import { formatPortMapping, type PortMapping } from './port-spec.js';

/** pasta's `-t`/`-u` values for `ports` of one protocol (`none` when there are none). */
export function pastaPortSpecs(ports: readonly PortMapping[], protocol: 'tcp' | 'udp'): string[] {
  const flag = protocol === 'tcp' ? '-t' : '-u';
  const of = ports.filter((p) => p.protocol === protocol);
  if (of.length === 0) return [flag, 'none'];
  return of.flatMap((p) => [flag, `${p.hostIp === '' ? '' : `${p.hostIp}/`}${p.hostPort}:${p.containerPort}`]);
}

/** True when `pid` lives in our own user namespace (root without a user namespace of the container's). */
export function sharesOurUserNamespace(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/ns/user`) === readlinkSync('/proc/self/ns/user');
  } catch {
    return false;
  }
}

/**
 * Refuse what this pasta gets wrong: a UDP port published on another host port (its datagrams never arrive).
 * @throws RuntimeError EUSAGE naming the -p value
 */
export function checkPastaPorts(ports: readonly PortMapping[]): void {
  const bad = ports.find((p) => p.protocol === 'udp' && p.hostPort !== p.containerPort);
  if (bad !== undefined) {
    const what = bad.hostPort === 0 ? `${bad.containerPort}/udp on a host port ct picks` : formatPortMapping(bad);
    throw new RuntimeError('EUSAGE', `container run: -p ${what}: pasta forwards UDP only to the same port number (publish ${bad.containerPort}:${bad.containerPort}/udp, or use --network slirp4netns)`);
  }
}

/**
 * Where pasta finds the namespace: descriptors of the container's user and network namespaces (rootless), or a
 * held namespace's path (root).
 */
export type PastaTarget = { readonly usernsFd: number; readonly netnsFd: number } | { readonly netns: string };

/** The fds pasta gets its namespaces at, with a descriptors target. */
const USERNS_AT = 3;
const NETNS_AT = 4;

/** pasta's command line. */
export function pastaArgs(target: PastaTarget, ports: readonly PortMapping[], pidFile: string): string[] {
  return [
    'pasta', '--config-net', '--foreground', '--quiet', '--no-map-gw', '--pid', pidFile,
    ...pastaPortSpecs(ports, 'tcp'), ...pastaPortSpecs(ports, 'udp'), '-T', 'none', '-U', 'none',
    // through /proc/self/fd: pasta would watch a namespace path's directory to quit when it goes (not there)
    ...('usernsFd' in target
      ? ['--userns', `/proc/self/fd/${USERNS_AT}`, '--netns', `/proc/self/fd/${NETNS_AT}`, '--no-netns-quit']
      : ['--runas', '0', '--netns', target.netns, '--netns-only']),
  ];
}

/** pasta spawned, not yet ready. */
export interface SpawnedPasta {
  /** Resolves once it runs (ports bound, interface configured). */
  ready(): Promise<HelperRecord>;
}

/**
 * Spawn pasta (`onSpawned` records it at once); `ready()` then waits until it runs. Our descriptors of a
 * descriptors target can be closed once this resolves (pasta has its own).
 * @throws RuntimeError ESETUP when it cannot be started; `ready()`: ESETUP quoting pasta's message (a port it
 *   could not bind, a namespace it could not join)
 */
export async function spawnPasta(bundle: string, target: PastaTarget, ports: readonly PortMapping[], onSpawned: (h: HelperRecord) => void): Promise<SpawnedPasta> {
  const pidFile = join(bundle, 'pasta.pid');
  const logFile = join(bundle, 'network.log');
  rmSync(pidFile, { force: true });
  const argv = pastaArgs(target, ports, pidFile);
  const h = await spawnHelper('pasta', argv, logFile, false, 'usernsFd' in target ? [target.usernsFd, target.netnsFd] : []);
  onSpawned(h.record);
  return {
    async ready() {
      await waitReady(h, () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', logFile);
      h.child.unref();
      rmSync(pidFile, { force: true });
      return h.record;
    },
  };
}
