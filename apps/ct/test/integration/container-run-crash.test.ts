/**
 * Crash points of `ct container run` (issue 24), as create-crash.test.ts (@ct/runtime) does for `ct create`: the
 * run is stopped at each named step (CT_TEST_STOP_AT: the name claim, the import of an image given by path, the
 * store root, the bundle, create's own steps with the overlay root mounted in the launch, the network helpers, the
 * running container, its exit before the --rm cleanup, a --restart container between two runs), in the foreground and detached (then the monitor is the
 * process stopped and killed), and SIGKILLed there. The bridge cases publish a port (-p: the held host port,
 * portmap's DNAT chains). What a user then runs (`ct container rm -f ID`, or
 * `ct container prune`, then `ct image prune`) must leave no state dir, bundle, store root or staging, cgroup,
 * mount, netns holder, CNI address or rule, or process (ct, its monitor, pasta or slirp4netns, the container), and
 * the image must still run under the same name. As root and unprivileged (ctci).
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { descendants, hostResourcesLeft, isAlive, processesNaming, processStat, testImage, type NamedProcess, type TreeProcess } from '@ct/test-utils';
import { freePort } from './container-network-harness.js';
import { useImageSuite, type ImageSuite } from './container-run-harness.js';
import { ctBin } from './runtime-harness.js';

/** One crash: where the run stops, how it was run, and what the user runs afterwards. */
interface CrashCase {
  readonly point: string;
  /** `-d`: the monitor passes the points from create on (the caller passes the earlier ones). */
  readonly detach?: boolean;
  /** `--rm`. */
  readonly remove?: boolean;
  /** Default pasta; bridge (root's default: CNI plugins, a netns holder mount, iptables rules) runs as root only. */
  readonly network?: 'pasta' | 'slirp4netns' | 'bridge';
  /** `-p 127.0.0.1:PORT:80`: the run holds the host port, the bridge adds portmap's DNAT chains for it. */
  readonly publish?: boolean;
  /** `layout`: the image given as its OCI layout's path, so the run imports it (@ct/oci's stop points) first. */
  readonly image?: 'layout';
  /** The verb that cleans up: `rm -f ID` (default) or `container prune` (after a stop when it still runs). */
  readonly cleanup?: 'rm' | 'prune';
  /** A first `rm -f` is stopped there and SIGKILLed (a delete's crash point), before the one that must clean up. */
  readonly rmKilledAt?: 'delete:state-removed';
  /** `--restart on-failure` (the container exits 3: its monitor restarts it). */
  readonly restart?: boolean;
}

const CASES: readonly CrashCase[] = [
  { point: 'run:claimed' },
  { point: 'import:staging-created', image: 'layout' },
  { point: 'import:record-written', image: 'layout', cleanup: 'prune' },
  { point: 'run:claimed', cleanup: 'prune' },
  { point: 'run:root-made' },
  { point: 'run:root-made', cleanup: 'prune' },
  { point: 'run:configured' },
  { point: 'run:configured', cleanup: 'prune' },
  { point: 'after-record' },
  { point: 'in-launch' },
  { point: 'after-launch' },
  { point: 'after-record-pid' },
  { point: 'run:network-attached' },
  { point: 'run:network-attached', network: 'slirp4netns' },
  { point: 'run:started' },
  { point: 'run:started', network: 'slirp4netns', cleanup: 'prune' },
  { point: 'run:exited', remove: true },
  { point: 'run:network-attached', network: 'bridge', publish: true },
  { point: 'run:started', network: 'bridge', publish: true },
  { point: 'after-record', detach: true },
  { point: 'in-launch', detach: true },
  { point: 'after-record-pid', detach: true },
  { point: 'run:network-attached', detach: true },
  // the monitor killed while the container runs
  { point: 'run:started', detach: true },
  { point: 'run:started', detach: true, cleanup: 'prune' },
  // ... and the rm -f that removes it killed after the state dir went, before the network detach
  { point: 'run:started', detach: true, network: 'bridge', publish: true, rmKilledAt: 'delete:state-removed' },
  { point: 'run:exited', detach: true, remove: true },
  // the monitor killed as it restarts the container: the exited run's state deleted, the next not created yet
  { point: 'run:restarting', detach: true, restart: true },
  // (between two runs nothing of the network is attached: -p holds no port there)
  { point: 'run:restarting', detach: true, restart: true, network: 'bridge', cleanup: 'prune' },
];

/** Poll `check` until it gives a value or `ms` pass (the machine is shared: generous). */
async function waitFor<T>(check: () => T | undefined, ms = 60_000): Promise<T | undefined> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) {
    const v = check();
    if (v !== undefined) return v;
  }
  return check();
}

/**
 * The node processes whose command line names `id` (ct run, its monitor), with their state letters. Not runuser:
 * it stops itself when its child stops (as su does), and a SIGKILL of it would leave ct stopped.
 */
function nodesNaming(id: string): NamedProcess[] {
  return processesNaming(id).filter((p) => p.argv[0] === process.execPath);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** What a run had made when it stopped: its processes, cgroups and the mount points its records name. */
interface Made {
  readonly processes: readonly TreeProcess[];
  readonly cgroups: readonly string[];
  readonly mountPaths: readonly string[];
  /** The file a root pasta or bridge run holds the network namespace on (bind-mounted). */
  readonly netnsHolder: string | undefined;
  /** The CNI container id of a bridge attachment: in host-local's address files and the plugins' iptables rules. */
  readonly cniId: string | undefined;
  /** The published host port (-p): portmap's DNAT rules name it (not the id), and the run held it open. */
  readonly hostPort: number | undefined;
}

function whatWasMade(s: ImageSuite, id: string, launcher: number, stopped: number, hostPort: number | undefined): Made {
  const record = readJson<{ cgroupPaths?: string[]; cgroupPlanned?: { paths: string[] } }>(join(s.root, id, 'state.json'));
  const network = readJson<{ netns?: string; cni?: { containerId: string } }>(join(s.root, '.bundles', id, 'network.json'));
  const stat = processStat(stopped);
  return {
    processes: [...descendants(launcher), ...descendants(stopped), ...(stat === undefined ? [] : [{ pid: stopped, startTime: stat.startTime }])],
    cgroups: [...(record?.cgroupPlanned?.paths ?? []), ...(record?.cgroupPaths ?? [])],
    mountPaths: [join(s.store, 'containers', id), ...(network?.netns !== undefined ? [network.netns] : [])],
    netnsHolder: network?.netns,
    cniId: network?.cni?.containerId,
    hostPort,
  };
}

/** Whether a TCP socket listens on 127.0.0.1:`port` (/proc/net/tcp: local address in hex, state 0A). */
function listening(port: number): boolean {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8').split('\n').some((l) => { const f = l.trim().split(/\s+/); return f[1] === local && f[3] === '0A'; });
}

/** What is left of container `id` and of what the run had made. */
function leftovers(s: ImageSuite, id: string, made: Made): string[] {
  const left: string[] = [];
  if (existsSync(join(s.root, id))) left.push(`state dir ${join(s.root, id)}`);
  const bundles = join(s.root, '.bundles');
  for (const name of existsSync(bundles) ? readdirSync(bundles) : []) {
    if (name === id || /^\.(claim|stale|removing)-/.test(name)) left.push(`bundle dir ${join(bundles, name)}`);
  }
  if (existsSync(join(s.store, 'containers', id))) left.push(`store root ${join(s.store, 'containers', id)}`);
  // the suite runs one container at a time: anything in the store's tmp/ is an import's staging left behind
  for (const name of readdirSync(join(s.store, 'tmp'))) left.push(`store staging ${join(s.store, 'tmp', name)}`);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  for (const p of made.mountPaths) for (const m of mounts) if (m.includes(p)) left.push(`mount ${m}`);
  // the cgroups, the netns holder's file (a mount point of its own: netns-holder.ts), CNI lease and rules
  left.push(...hostResourcesLeft({
    cgroups: made.cgroups, netnsHolders: made.netnsHolder === undefined ? [] : [made.netnsHolder], cniIds: made.cniId === undefined ? [] : [made.cniId],
  }));
  if (made.hostPort !== undefined) {
    // portmap's CNI-DN-… chain rules name the port and the container's address, not the id
    const port = new RegExp(`--dports? ${made.hostPort}\\b`);
    for (const rule of spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => port.test(l))) left.push(`iptables ${rule}`);
    if (listening(made.hostPort)) left.push(`host port 127.0.0.1:${made.hostPort} still held`);
  }
  for (const p of [...made.processes, ...nodesNaming(id)]) {
    if (isAlive(p)) left.push(`process ${p.pid} ${readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
  }
  return left;
}

/** Start `ct container run` as the suite's user with CT_TEST_STOP_AT; resolves with its exit once it ends. */
function startRun(s: ImageSuite, env: Record<string, string>, args: readonly string[]): { pid: number; exited: Promise<unknown> } {
  const ct = [process.execPath, ctBin, '--root', s.root, 'container', 'run', '--storage-root', s.store, ...args];
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const cmd = s.user === undefined
    ? ['env', ...vars, ...ct]
    : ['runuser', '-u', 'ctci', '--', 'env', `XDG_RUNTIME_DIR=${s.user.runtimeDir}`, 'HOME=/tmp', 'TMPDIR=/tmp', ...vars, ...ct];
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: 'ignore', cwd: '/' });
  return { pid: child.pid ?? 0, exited: new Promise((resolve) => child.once('exit', resolve)) };
}

/** Run `container rm -f ID` stopped at `point`, and SIGKILL it there. */
async function killRemoval(s: ImageSuite, id: string, point: string): Promise<void> {
  const rm = s.user === undefined
    ? spawn('env', [`CT_TEST_STOP_AT=${point}`, process.execPath, ctBin, '--root', s.root, 'container', 'rm', '-f', id], { stdio: 'ignore', cwd: '/' })
    : undefined;
  assert.ok(rm !== undefined, 'a killed rm runs as root only');
  const exited = new Promise((resolve) => rm.once('exit', resolve));
  const stopped = await waitFor(() => nodesNaming(id).find((p) => p.state === 'T' && p.argv.includes('rm')));
  assert.ok(stopped !== undefined, `container rm -f did not stop at ${point}`);
  process.kill(stopped.pid, 'SIGKILL');
  await exited;
  // what it stopped after: the container's state is gone, its bundle (and network record) is not
  assert.equal(existsSync(join(s.root, id)), false);
  assert.equal(existsSync(join(s.root, '.bundles', id, 'network.json')), true);
}

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(240_000);
    const s = useImageSuite('crun-crash', rootless);

    for (const c of CASES.filter((k) => !rootless || k.network !== 'bridge')) {
      const how = [c.detach === true ? '-d' : '', c.remove === true ? '--rm' : '', c.restart === true ? '--restart on-failure' : '',
        c.network !== undefined ? `--network ${c.network}` : '', c.publish === true ? '-p' : ''].filter((x) => x !== '').join(' ');
      const verb = c.cleanup === 'prune' ? 'container prune' : c.rmKilledAt !== undefined ? `container rm -f killed at ${c.rmKilledAt}, then container rm -f` : 'container rm -f';
      it(`container run ${how === '' ? '' : `${how} `}killed at ${c.point}: ${verb} and image prune leave nothing, the name runs again`, async () => {
        const id = `crash-${randomBytes(5).toString('hex')}`;
        const command = c.point === 'run:exited' || c.restart === true ? ['sh', '-c', 'exit 3'] : ['sleep', '600'];
        const hostPort = c.publish === true ? await freePort() : undefined;
        const run = startRun(s, { CT_TEST_STOP_AT: c.point }, [
          '--name', id, '--network', c.network ?? 'pasta', ...(c.detach === true ? ['-d'] : []), ...(c.remove === true ? ['--rm'] : []),
          ...(c.restart === true ? ['--restart', 'on-failure'] : []),
          ...(hostPort !== undefined ? ['-p', `127.0.0.1:${hostPort}:80`] : []),
          c.image === 'layout' ? testImage('busybox') : 'busybox', ...command,
        ]);
        const stopped = await waitFor(() => nodesNaming(id).find((p) => p.state === 'T'));
        assert.ok(stopped !== undefined, `ct container run did not stop at ${c.point}`);
        const made = whatWasMade(s, id, run.pid, stopped.pid, hostPort);
        // the stopped run holds what it published: a check that cannot fail is no check
        if (hostPort !== undefined) {
          assert.ok(listening(hostPort), `127.0.0.1:${hostPort} is not held at ${c.point}`);
          assert.match(spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).stdout, new RegExp(`--dports ${hostPort}\\b`), 'no DNAT rule for the published port');
        }
        process.kill(stopped.pid, 'SIGKILL');
        // runuser stopped itself when ct stopped (as su does): once continued it sees ct's end and ends too (the
        // caller of -d it runs may have ended already: a monitor stopped after it said the container runs)
        if (s.user !== undefined) {
          try {
            process.kill(run.pid, 'SIGCONT');
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
          }
        }
        // the caller of a -d run whose monitor died reports it and ends; a foreground run ends with ct
        assert.ok(await Promise.race([run.exited.then(() => true), sleep(60_000).then(() => false)]), 'the run did not end');

        if (c.point === 'run:configured' && c.cleanup !== 'prune') {
          // killed before create: no state, only the claim (bundle, store root); ps --all shows it for rm to take
          const ps = JSON.parse(s.ct.run(['container', 'ps', '--all', '--json']).stdout) as { id: string; status: string; command: string[] }[];
          assert.deepEqual(ps.filter((p) => p.id === id).map((p) => [p.status, p.command]), [['stopped', command]]);
        }
        if (c.cleanup === 'prune') {
          // what still runs is stopped first (prune removes stopped containers only), as a user would
          if (c.point === 'run:started') assert.equal(s.ct.run(['container', 'stop', '-t', '1', id]).status, 0);
          const pruned = s.ct.run(['container', 'prune']);
          assert.equal(pruned.status, 0, pruned.stderr);
        } else {
          if (c.rmKilledAt !== undefined) await killRemoval(s, id, c.rmKilledAt);
          const rm = s.ct.run(['container', 'rm', '-f', id]);
          // the caller of a -d run whose monitor died before the container ran removes it itself: nothing to remove
          // (podman's rm of a missing name fails too); what is left is checked below either way
          assert.ok(rm.status === 0 || (c.detach === true && /no container named/.test(rm.stderr)), rm.stderr);
        }
        const imagePrune = s.image(['prune']);
        assert.equal(imagePrune.status, 0, imagePrune.stderr);
        const left = await waitFor(() => { const l = leftovers(s, id, made); return l.length === 0 ? l : undefined; }, 10_000);
        assert.deepEqual(left ?? leftovers(s, id, made), []);

        const again = s.run(['--rm', '--name', id, '--network', 'none', 'busybox', 'true']);
        assert.equal(again.status, 0, again.stderr);
        assert.deepEqual(leftovers(s, id, made), []);
      });
    }
  });
}

defineSuite('container run crash points @root', false);
defineSuite('container run crash points, unprivileged @rootless', true);
