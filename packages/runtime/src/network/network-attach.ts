/**
 * Attaching a `ct container run` container to its network, and detaching it. The attach runs in the process that
 * owns the run (ct in the foreground, the monitor of a detached one) after create and before start: the init then
 * waits on the exec FIFO in its final namespaces, so /proc/PID/ns/net is the container's and its program has not
 * run yet. pasta starts earlier, at the child's 'namespaces' pause (`onNamespaces`, given to create: every
 * namespace exists, nothing is mounted yet), so it configures the namespace while the child mounts; the attach
 * then only waits for it to be ready. It picks the host ports (a port in use is refused here, naming it), starts the helper or puts the
 * container on the bridge, and writes the container's address into its /etc/hosts (in place: the bind mount holds
 * the file's inode). The detach stops the helpers and takes the container off the bridge; it runs when the
 * container has exited (its owner) and again, from the record alone, when it is removed (`ct container rm`,
 * delete: after a crash of ct too). Each step is in the record before it changes the host (network-record.ts).
 * Man pages: bind(2), network_namespaces(7).
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { closeSync, existsSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError, systemError } from '../errors.js';
import { acquireLock, type ContainerLock } from '../lock.js';
import { randomHex } from '../random-hex.js';
import { attachBridge, detachBridge } from './bridge-cni.js';
import { hostsText } from './etc-files.js';
import { stopHelper } from './helper-process.js';
import { hostAddressFor, initialAddress } from './network-config.js';
import { modeNeedsAttach } from './network-mode.js';
import { readNetworkRecord, updateNetworkRecord, type NetworkRecord } from './network-record.js';
import { holdNetns, netnsHolderPath, releaseNetns } from './netns-holder.js';
import { sharesOurUserNamespace, spawnPasta, type PastaTarget, type SpawnedPasta } from './pasta.js';
import { startSlirp4netns } from './slirp4netns.js';
import { formatPortMapping, type PortMapping } from './port-spec.js';

/** A port held open on the host: closed before a helper binds it, or when the container is detached. */
interface HeldPort {
  close(): Promise<void>;
  readonly port: number;
}

/** Bind `m`'s host address and port (its port when 0 is asked for: one the kernel picks). */
function holdPort(m: PortMapping): Promise<HeldPort> {
  const host = m.hostIp === '' ? undefined : m.hostIp;
  return new Promise((resolve, reject) => {
    const fail = (err: Error & { code?: string }): void => {
      const what = m.hostPort === 0 ? `-p ${m.containerPort}/${m.protocol}: no free host port` : `-p ${formatPortMapping(m)}: host port ${m.hostPort}/${m.protocol}`;
      const why = err.code === 'EADDRINUSE' ? 'address already in use' : err.code === 'EADDRNOTAVAIL' ? `${m.hostIp}: not an address of this host` : err.message;
      reject(new RuntimeError('ESETUP', `container run: ${what}: ${why}`, { cause: err }));
    };
    if (m.protocol === 'udp') {
      const s = createSocket(host?.includes(':') === true ? 'udp6' : 'udp4');
      s.once('error', fail);
      s.bind({ port: m.hostPort, address: host, exclusive: true }, () => {
        s.unref();
        resolve({ port: s.address().port, close: () => new Promise((r) => s.close(() => r())) });
      });
      return;
    }
    const srv = createServer();
    srv.once('error', fail);
    srv.listen({ port: m.hostPort, host, exclusive: true }, () => {
      srv.unref();
      const port = (srv.address() as { port: number }).port;
      resolve({ port, close: () => new Promise((r) => srv.close(() => r())) });
    });
  });
}

/** The network of one run, attached after create and detached after exit, by the process that owns the run. */
export class RunNetwork {
  private held: HeldPort[] = [];
  /** pasta, spawned at the child's 'namespaces' pause (onNamespaces), until attach has waited for it. */
  private early: SpawnedPasta | undefined;

  /** @param bundle - the bundle whose network.json says what to do */
  constructor(readonly bundle: string) {}

  /**
   * For create's `onNamespaces` (the child's 'namespaces' pause, before it mounts), when the mode's helper starts
   * there (pasta): binds the host ports (a port in use fails the create, naming it), gives pasta the container's
   * namespaces and returns without waiting for it; `attach` waits. Undefined for the other modes (all in attach).
   * A create that fails after it must be followed by `detach`.
   */
  get onNamespaces(): ((pid: number) => Promise<void>) | undefined {
    const record = readNetworkRecord(this.bundle);
    if (record?.mode.kind !== 'pasta') return undefined;
    return async (pid) => {
      try {
        this.early = await this.spawnPastaOn(record, pid, await this.holdPorts(record));
      } catch (err) {
        await this.undo(err);
      }
    };
  }

  /**
   * Attach the container whose init is `pid` (with pasta spawned by onNamespaces: wait until it is ready).
   * @throws RuntimeError ESETUP (a port in use, a helper that failed, a CNI plugin's error), after undoing it all
   */
  async attach(pid: number): Promise<void> {
    const record = readNetworkRecord(this.bundle);
    if (record === undefined || !modeNeedsAttach(record.mode)) return;
    try {
      if (this.early !== undefined) {
        await this.early.ready();
        this.early = undefined;
        this.finish(record, initialAddress(record.mode), hostAddressFor(record.mode, record.hostLoopback === true));
      } else await this.attachRecorded(record, pid);
    } catch (err) {
      await this.undo(err);
    }
  }

  /** Detach after `err`, then throw it (with the detach's own failure, if any). */
  private async undo(err: unknown): Promise<never> {
    await this.detach().catch((undo: unknown) => {
      throw new AggregateError([err, undo], (err as Error).message);
    });
    throw err;
  }

  private update(change: Partial<NetworkRecord>): void {
    updateNetworkRecord(this.bundle, (r) => ({ ...r, ...change }));
  }

  private readonly addHelper = (h: NonNullable<NetworkRecord['helpers']>[number]): void => {
    updateNetworkRecord(this.bundle, (r) => ({ ...r, helpers: [...(r.helpers ?? []), h] }));
  };

  /** Bind every host port first (a port in use fails before anything runs, naming it); the ports as bound. */
  private async holdPorts(record: NetworkRecord): Promise<PortMapping[]> {
    for (const m of record.ports) this.held.push(await holdPort(m));
    const ports = record.ports.map((m, i) => ({ ...m, hostPort: this.held[i]!.port }));
    this.update({ ports });
    return ports;
  }

  /** The container's address in the record, and its /etc/hosts (in place: the bind mount holds the inode). */
  private finish(record: NetworkRecord, address: string, hostAddress: string | undefined): void {
    this.update({ address });
    writeFileSync(join(this.bundle, 'hosts'), hostsText({ ...record.hosts, hostAddress, containerIp: address }));
  }

  /**
   * Spawn pasta on the namespaces of `pid`, paused or waiting on the exec FIFO: as root through a holder
   * (recorded first), rootless through descriptors opened here, while the child is dumpable (a pause, or after
   * its exec), and passed to pasta.
   */
  private async spawnPastaOn(record: NetworkRecord, pid: number, ports: readonly PortMapping[]): Promise<SpawnedPasta> {
    const fds: number[] = [];
    try {
      let target: PastaTarget;
      if (sharesOurUserNamespace(pid)) {
        const holder = netnsHolderPath(`ct-${randomHex(8)}`);
        this.update({ netns: holder });
        await holdNetns(pid, holder);
        target = { netns: holder };
      } else {
        for (const ns of ['user', 'net']) {
          try {
            fds.push(openSync(`/proc/${pid}/ns/${ns}`, 'r'));
          } catch (err) {
            throw systemError('network: open namespace', `/proc/${pid}/ns/${ns}`, err);
          }
        }
        target = { usernsFd: fds[0]!, netnsFd: fds[1]! };
      }
      await this.release();
      return await spawnPasta(this.bundle, target, ports, this.addHelper);
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  }

  private async attachRecorded(record: NetworkRecord, pid: number): Promise<void> {
    const ports = await this.holdPorts(record);
    if (record.mode.kind === 'pasta') {
      await (await this.spawnPastaOn(record, pid, ports)).ready();
      this.finish(record, initialAddress(record.mode), hostAddressFor(record.mode, record.hostLoopback === true));
      return;
    }
    let address = initialAddress(record.mode);
    let hostAddress: string | undefined;
    if (record.mode.kind === 'bridge') {
      // root's bridge uses the namespace through a holder (netns-holder.ts), recorded first
      const name = `ct-${randomHex(8)}`;
      const holder = netnsHolderPath(name);
      this.update({ netns: holder });
      await holdNetns(pid, holder);
      // the bridge's DNAT rules take the traffic before any socket sees it: the held ports stay held as podman
      // holds them (no other program of the host can bind them meanwhile)
      const attached = await attachBridge(holder, ports, name, (cni) => this.update({ cni }));
      address = attached.address;
      hostAddress = attached.gateway;
    } else {
      await this.release();
      await startSlirp4netns(this.bundle, pid, ports, record.hostLoopback === true, this.addHelper);
      hostAddress = hostAddressFor(record.mode, record.hostLoopback === true);
    }
    this.finish(record, address, hostAddress);
  }

  /** Close the ports held by this process. */
  private async release(): Promise<void> {
    const held = this.held;
    this.held = [];
    for (const h of held) await h.close();
  }

  /** Detach: stop the helpers, take the container off the bridge, release the held ports. Idempotent. */
  async detach(): Promise<void> {
    try {
      await detachNetwork(this.bundle);
    } finally {
      await this.release();
    }
  }
}

/**
 * Undo what the record of `bundle` says is attached (the helpers stopped, the bridge attachment removed), from
 * any process; a bundle without a record, or with nothing attached, is left as it is.
 * @throws the failures of the steps, together (every step is tried)
 */
export async function detachNetwork(bundle: string): Promise<void> {
  let lock: ContainerLock;
  try {
    // the run's owner (after the exit) and `rm` (killing it) detach at the same time: one undoes, the other finds
    // nothing left to undo
    lock = await acquireLock(join(bundle, 'network.lock'));
  } catch (err) {
    if (!existsSync(bundle)) return; // removed meanwhile: by the one that detached it
    throw err;
  }
  try {
    await detachRecorded(bundle);
  } finally {
    lock.release();
  }
}

async function detachRecorded(bundle: string): Promise<void> {
  const record = readNetworkRecord(bundle);
  if (record === undefined) return;
  const errors: unknown[] = [];
  for (const h of record.helpers ?? []) {
    try {
      await stopHelper(h);
    } catch (err) {
      errors.push(err);
    }
  }
  if (record.cni !== undefined && record.netns !== undefined) {
    try {
      await detachBridge(record.cni, record.netns, record.ports);
    } catch (err) {
      errors.push(err);
    }
  }
  if (record.netns !== undefined) {
    try {
      await releaseNetns(record.netns);
    } catch (err) {
      errors.push(err);
    }
  }
  const { helpers, cni, netns, ...rest } = record;
  // what failed stays in the record for the next detach (rm) to retry; nothing attached: nothing to write (the
  // bundle may be going: `rm` and the run's owner detach at the same time)
  if (errors.length === 0 && (helpers !== undefined || cni !== undefined || netns !== undefined)) {
    try {
      updateNetworkRecord(bundle, () => rest);
    } catch (err) {
      if (existsSync(bundle)) throw err;
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `network: detach: ${errors.map((e) => (e as Error).message).join('; ')}`);
}

/** The run network of `bundle` when its mode has something to attach (pasta, slirp4netns, bridge), else undefined. */
export function runNetworkOf(bundle: string): RunNetwork | undefined {
  const record = readNetworkRecord(bundle);
  return record !== undefined && modeNeedsAttach(record.mode) ? new RunNetwork(bundle) : undefined;
}

