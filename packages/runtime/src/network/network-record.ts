/**
 * The network record of a `ct container run` container: `network.json` in its bundle, written when the config is
 * (mode, ports asked for, the parts of its hosts file) and again, atomically, by each attach and detach step
 * before and after it changes anything on the host: the host ports picked, each helper process (pid and start
 * time) as soon as it is spawned, the CNI container id and netns holder before the CNI ADD runs. So a detach
 * from any process (the run's own, `ct container rm`, or after a crash of ct) finds everything to undo.
 * Man pages: proc_pid_stat(5).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, systemError } from '../errors.js';
import { writeFileAtomic } from '../state-store.js';
import type { RecordedProcess } from '../process-signal.js';
import type { DnsFlags, HostEntry } from './etc-files.js';
import type { NetworkMode } from './network-mode.js';
import type { PortMapping } from './port-spec.js';

/** A helper process (pasta, slirp4netns) of the container. */
export interface HelperRecord extends RecordedProcess {
  /** The helper program's name (pasta, slirp4netns). */
  readonly name: string;
}

/** The container's attachment to ct's CNI bridge network. */
export interface CniRecord {
  /** CNI_CONTAINERID (unique per run: names its IPAM lease and iptables chains). */
  readonly containerId: string;
  /** The ADD result of each plugin that succeeded (the DEL's prevResult), in order. */
  readonly results: readonly unknown[];
}

/** network.json. */
export interface NetworkRecord {
  /** The container's network mode. */
  readonly mode: NetworkMode;
  /** Published ports; host port 0 until the attach picks one. */
  readonly ports: readonly PortMapping[];
  /** Whether the container runs rootless (pasta joins its user namespace then). */
  readonly rootless: boolean;
  /** The DNS flags (for doctor and inspect; resolv.conf is written once, with the config). */
  readonly dns: DnsFlags;
  /** What /etc/hosts is made of besides the container's address (rewritten in place once that is known). */
  readonly hosts: {
    /** The --add-host entries. */
    readonly extra: readonly HostEntry[];
    /** The host's /etc/hosts entries. */
    readonly base: readonly HostEntry[];
    /** The container's hostname and name, for its address. */
    readonly names: readonly string[];
  };
  /**
   * slirp4netns without --disable-host-loopback: UDP is published, and libslirp sends a reply to a client on the
   * host's loopback only when the container may reach it (network-config.ts warns).
   */
  readonly hostLoopback?: boolean | undefined;
  /** The container's address on its interface, once attached. */
  readonly address?: string | undefined;
  /** The helper processes running for it. */
  readonly helpers?: readonly HelperRecord[] | undefined;
  /** Its bridge attachment. */
  readonly cni?: CniRecord | undefined;
  /** The bind mount holding its network namespace (root's bridge and pasta: netns-holder.ts). */
  readonly netns?: string | undefined;
}

/** The record's file in `bundle`. */
export function networkRecordPath(bundle: string): string {
  return join(bundle, 'network.json');
}

/** Read `bundle`'s record; undefined when it has none (a bundle of `ct run`, or a container from before networks). */
export function readNetworkRecord(bundle: string): NetworkRecord | undefined {
  let text: string;
  try {
    text = readFileSync(networkRecordPath(bundle), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw systemError('network: read record', networkRecordPath(bundle), err);
  }
  return JSON.parse(text) as NetworkRecord;
}

/** Write `bundle`'s record atomically. */
export function writeNetworkRecord(bundle: string, record: NetworkRecord): void {
  writeFileAtomic(networkRecordPath(bundle), JSON.stringify(record, null, 2), 0o644);
}

/** Read, change and write `bundle`'s record; returns the new one. */
export function updateNetworkRecord(bundle: string, change: (r: NetworkRecord) => NetworkRecord): NetworkRecord | undefined {
  const current = readNetworkRecord(bundle);
  if (current === undefined) return undefined;
  const next = change(current);
  writeNetworkRecord(bundle, next);
  return next;
}
