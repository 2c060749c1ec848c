/**
 * One run of a container under its monitor: create it from the bundle, attach its network, start it (`startRun`);
 * then wait for its exit, copy what it printed to the log and detach the network (`finishRun`). The first run's
 * stdout and stderr are the pipes the monitor's spawner made (the monitor's fds 1 and 2, read on fds 4 and 5:
 * monitor-pipes.ts); a restart (restart-policy.ts) makes new pipes and hands their write ends to the container
 * as its stdio, with /dev/null as its stdin (podman attaches nothing to a restarted container). The root, the
 * bundle and the network record stay from run to run; the network namespace, its helpers and the bridge
 * attachment are made again for each run (podman sets the network up again when it restarts a container).
 * Man pages: pipe(7), pidfd_open(2).
 */
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeContext } from '../context.js';
import { createContainer } from '../container-create.js';
import { deleteContainer } from '../container-delete.js';
import type { LaunchedInit } from '../container-launch.js';
import { startContainer } from '../container-start.js';
import { listenConsole, type ConsoleListener } from '../image-run-tty.js';
import type { RunNetwork } from '../network/network-attach.js';
import { stopForTest } from '../test-stop.js';
import { copyPipes, openOutputPipes, releaseWriteEnds, type LogWriter, type PipeCopy } from './monitor-pipes.js';
import type { MonitorArgs } from './monitor-spawn.js';
import { holdTerminal } from './monitor-tty.js';

/** How long the pipes may still bring output once the init exited (a background process may hold them open). */
const DRAIN_AFTER_EXIT_MS = 1000;

/** A started run. */
export interface Run {
  /** Its init (the monitor's child). */
  readonly init: LaunchedInit;
  /** The pty master of -dt. */
  readonly master: number | undefined;
  /** Its network (pasta, slirp4netns, the bridge), attached. */
  readonly network: RunNetwork | undefined;
  /** The copy of its stdout and stderr to the log. */
  readonly output: PipeCopy;
  /** When it started (Date.now()). */
  readonly started: number;
}

/**
 * Create, attach and start the container of `args.bundle`. `firstOutput`: the copy of the spawner's pipes (the
 * first run); none: a restart, with pipes of its own, copied to `writer`. A restart that fails after create
 * deletes the state only (the bundle and root stay for `container start` or `rm`); the first run's failure deletes
 * it all (the caller's run reports it).
 */
export async function startRun(ctx: RuntimeContext, args: MonitorArgs, writer: LogWriter, firstOutput: PipeCopy | undefined): Promise<Run> {
  const restart = firstOutput === undefined;
  let listener: ConsoleListener | undefined;
  let master: number | undefined;
  // the network (pasta, slirp4netns, the bridge): attached between create and start, held while the container runs
  const network = await runNetwork(args.bundle);
  const pipes = restart ? openOutputPipes(args.bundle) : undefined;
  let init: LaunchedInit;
  try {
    listener = args.tty === true ? await listenConsole(args.bundle) : undefined;
    const stdin = restart ? openSync('/dev/null', 'r') : undefined;
    try {
      // pasta starts while the child mounts (network-attach.ts); a create that fails after that stops it
      ({ init } = await createContainer(ctx, args.id, {
        bundle: args.bundle, relaySignals: false, consoleSocket: listener?.path, onNamespaces: network?.onNamespaces,
        ...(pipes === undefined || stdin === undefined ? {} : { stdio: [stdin, pipes.write[0], pipes.write[1]] as const }),
      }));
    } catch (err) {
      await network?.detach();
      throw err;
    } finally {
      // the container holds its copies now (or never will): the pipes end when its processes close them
      if (pipes === undefined) releaseWriteEnds();
      else pipes.closeWrite();
      if (stdin !== undefined) closeSync(stdin);
    }
    try {
      // the console step ran before create returned: the master is on its way (or here)
      master = await listener?.master();
      await network?.attach(init.pid);
      stopForTest('run:network-attached');
      await startContainer(ctx, args.id);
    } catch (err) {
      await network?.detach();
      await deleteContainer(ctx, args.id, { force: true, keepImageBundle: restart || args.keepBundle === true });
      throw err;
    }
  } catch (err) {
    if (master !== undefined) closeSync(master);
    pipes?.close();
    throw err;
  } finally {
    listener?.close();
  }
  const output = pipes === undefined ? firstOutput! : copyPipes(pipes.read, writer);
  return { init, master, network, output, started: Date.now() };
}

/** The run network of `bundle`, when it has one to attach (loaded only then). */
async function runNetwork(bundle: string): Promise<RunNetwork | undefined> {
  return existsSync(join(bundle, 'network.json')) ? (await import('../network/network-attach.js')).runNetworkOf(bundle) : undefined;
}

/**
 * Wait for the run's init to exit (holding the pty of -dt until then), read what it wrote from the pipes, and
 * detach its network; resolves with the exit status (the code, or 128 + the signal).
 */
export async function finishRun(run: Run, writer: LogWriter): Promise<number> {
  const exited = run.init.wait();
  if (run.master !== undefined) await holdTerminal(run.master, exited, (chunk) => writer.write('stdout', chunk));
  const status = await exited;
  // what the container wrote before it exited is in the pipes: read to their end (a background holder: a while)
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([run.output.ended, new Promise((r) => { timer = setTimeout(r, DRAIN_AFTER_EXIT_MS); })]);
  clearTimeout(timer);
  run.output.close();
  stopForTest('run:exited');
  await run.network?.detach().catch((err: unknown) => writer.write('stderr', Buffer.from(`ct: warning: ${(err as Error).message}\n`)));
  return status;
}
