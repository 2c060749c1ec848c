/**
 * The monitor of a detached `ct container run -d`: a small Node process of its own session that the caller starts
 * and leaves behind. It creates and starts the container from the prepared bundle with its own stdout and stderr
 * (two pipes it reads into the container log, as podman's k8s-file: monitor-pipes.ts) as the container's stdio,
 * tells the caller through fd 3 that it is
 * running (`ok`) or why it is not (`error` and the message, with the errno of a refused overlay root), then
 * waits for the init (its child: watched through the pidfd) and records the exit status in `exit.json` beside the
 * log. The container is kept (stopped) for `ct container ps --all`, `logs` and `rm`, unless it was run with
 * `--rm`: then the monitor removes it. With `tty` (`-dt`) the container's process gets a pty: the monitor
 * receives its master on a console socket in the bundle and holds it until the container exits, writing what it
 * prints to the log (monitor-tty.ts).
 * Usage: node monitor-main.js JSON (MonitorArgs). Man pages: setsid(2), pidfd_open(2).
 */
import { closeSync, existsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type GlobalOptions } from '../context.js';
import { createContainer } from '../container-create.js';
import { deleteContainer } from '../container-delete.js';
import { startContainer } from '../container-start.js';
import { overlayRefusal } from '../image-run-copy.js';
import { writeFileAtomic } from '../state-store.js';
import { stopForTest } from '../test-stop.js';
import { listenConsole, type ConsoleListener } from '../image-run-tty.js';
import { holdTerminal } from './monitor-tty.js';
import { copyOutputToLog, releaseWriteEnds, type LogCopy } from './monitor-pipes.js';
import type { MonitorArgs } from './monitor-spawn.js';

const READY_FD = 3;

/** How long the pipes may still bring output once the init exited (a background process may hold them open). */
const DRAIN_AFTER_EXIT_MS = 1000;

function tell(line: string): void {
  try {
    writeSync(READY_FD, `${line}\n`);
    closeSync(READY_FD);
  } catch {
    // the caller is gone: nothing to tell
  }
}

async function main(args: MonitorArgs, output: LogCopy): Promise<number> {
  const global: GlobalOptions = { root: args.root, rootless: args.rootless ? 'true' : 'false' };
  const ctx = createContext(global);
  let init;
  let listener: ConsoleListener | undefined;
  let master: number | undefined;
  // the network (pasta, slirp4netns, the bridge): attached between create and start, held while the container runs
  const network = existsSync(join(args.bundle, 'network.json')) ? (await import('../network/network-attach.js')).runNetworkOf(args.bundle) : undefined;
  try {
    listener = args.tty === true ? await listenConsole(args.bundle) : undefined;
    try {
      // pasta starts while the child mounts (network-attach.ts); a create that fails after that stops it
      ({ init } = await createContainer(ctx, args.id, { bundle: args.bundle, relaySignals: false, consoleSocket: listener?.path, onNamespaces: network?.onNamespaces }));
    } catch (err) {
      await network?.detach();
      throw err;
    } finally {
      // the container holds its copies now (or never will): the pipes end when its processes close them
      releaseWriteEnds();
    }
    try {
      // the console step ran before create returned: the master is on its way (or here)
      master = await listener?.master();
      await network?.attach(init.pid);
      stopForTest('run:network-attached');
      await startContainer(ctx, args.id);
    } catch (err) {
      await network?.detach();
      await deleteContainer(ctx, args.id, { force: true });
      throw err;
    }
  } catch (err) {
    const overlay = overlayRefusal(err);
    tell(`error ${JSON.stringify({ message: err instanceof Error ? err.message : String(err), code: (err as { code?: string }).code, overlay })}`);
    if (master !== undefined) closeSync(master);
    return 1;
  } finally {
    listener?.close();
  }
  tell('ok');
  stopForTest('run:started');
  const exited = init.wait();
  if (master !== undefined) await holdTerminal(master, exited, (chunk) => output.write('stdout', chunk));
  const status = await exited;
  // what the container wrote before it exited is in the pipes: read to their end (a background holder: a while)
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([output.ended, new Promise((r) => { timer = setTimeout(r, DRAIN_AFTER_EXIT_MS); })]);
  clearTimeout(timer);
  stopForTest('run:exited');
  await network?.detach().catch((err: unknown) => output.write('stderr', Buffer.from(`ct: warning: ${(err as Error).message}\n`)));
  try {
    if (args.remove === true) {
      // -d --rm (podman's): the state, the bundle with its log and the store root go (container-delete.ts)
      await deleteContainer(ctx, args.id, { force: true });
      return 0;
    }
    writeFileAtomic(args.exitFile, JSON.stringify({ status, finished: new Date().toISOString() }), 0o644);
  } catch (err) {
    // removed meanwhile (`container rm -f` killed it): nothing is left to record it in, or to remove
    if (existsSync(args.bundle) && (err as { code?: unknown }).code !== 'ENOCONTAINER') throw err;
  }
  return 0;
}

const args = JSON.parse(process.argv[2] ?? '{}') as MonitorArgs;
const output = copyOutputToLog(args.logFile);
try {
  process.exitCode = await main(args, output);
} catch (err) {
  // our stdout and stderr are the container's pipes, or /dev/null: the log says why the monitor stopped
  output.write('stderr', Buffer.from(`ct: container monitor: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`));
  process.exitCode = 1;
} finally {
  output.close();
}
