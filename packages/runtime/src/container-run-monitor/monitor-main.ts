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
 * With a restart policy (`--restart`, the bundle's run.json: restart-policy.ts) the monitor starts the container
 * again after an exit the policy restarts, in the same bundle and root, its log going on (monitor-run.ts), and
 * counts the restarts in restart.json (restart-record.ts); it records the exit status once the policy restarts no
 * more, or the user stopped, killed or removed the container. While it may restart, the monitor holds the
 * container's claim (image-run-claim.ts). If the monitor itself dies, nothing restarts the container until the user
 * starts it (`ct container start`): ct has no daemon, as podman 4.3 without systemd has none.
 * Usage: node monitor-main.js JSON (MonitorArgs). Man pages: setsid(2), pidfd_open(2).
 */
import { closeSync, existsSync, rmSync, writeSync } from 'node:fs';
import { createContext, type GlobalOptions, type RuntimeContext } from '../context.js';
import { deleteContainer } from '../container-delete.js';
import { overlayRefusal } from '../image-run-copy.js';
import { holdClaim } from '../image-run-claim.js';
import { readRecord, containerPaths, writeFileAtomic } from '../state-store.js';
import { stopForTest } from '../test-stop.js';
import { copyPipes, openLog, READ_FDS, type LogWriter } from './monitor-pipes.js';
import { finishRun, startRun, type Run } from './monitor-run.js';
import { readRestartPolicy, readRestartRecord, withRestartLock, writeRestartFailure, writeRestartRecord, type RestartRecord } from './restart-record.js';
import { mayRestart, restartDelayMs, shouldRestart, STABLE_RUN_MS, type RestartPolicy } from './restart-policy.js';
import type { MonitorArgs } from './monitor-spawn.js';

const READY_FD = 3;

function tell(line: string): void {
  try {
    writeSync(READY_FD, `${line}\n`);
    closeSync(READY_FD);
  } catch {
    // the caller is gone: nothing to tell
  }
}

/** Record the exit status in exit.json; a container removed meanwhile (`rm -f` killed it) has nowhere to keep it. */
function recordExit(args: MonitorArgs, status: number): void {
  try {
    writeFileAtomic(args.exitFile, JSON.stringify({ status, finished: new Date().toISOString() }), 0o644);
  } catch (err) {
    if (existsSync(args.bundle) && (err as { code?: unknown }).code !== 'ENOCONTAINER') throw err;
  }
}

/** True while the container's state is still the one of the run whose init was `pid` (not removed, not started anew). */
function ownsState(ctx: RuntimeContext, id: string, pid: number): boolean {
  try {
    return readRecord(containerPaths(ctx.stateRoot.path, id), id).pid === pid;
  } catch {
    return false;
  }
}

/**
 * After the run whose init was `pid` exited with `status`: record the exit (ps, inspect, wait and logs -f see it
 * between two runs, as podman's), then restart the container when `policy` says so, after `delayMs`, returning
 * the new run (whose start removes the exit record); else undefined. Both steps hold the restart lock
 * (restart-record.ts), so a stop, kill or rm of the user either comes first (no restart) or finds the new run, and
 * a monitor whose container the user removed or started anew meanwhile (under another monitor) leaves it alone.
 */
async function afterExit(
  ctx: RuntimeContext, args: MonitorArgs, log: LogWriter, policy: RestartPolicy, status: number, pid: number, delayMs: number,
): Promise<Run | undefined> {
  const due = (r: RestartRecord): boolean => shouldRestart(policy, { status, restartCount: r.count, stoppedByUser: r.stoppedByUser });
  const restart = await withRestartLock(args.bundle, () => {
    if (!ownsState(ctx, args.id, pid)) return false;
    recordExit(args, status);
    return due(readRestartRecord(args.bundle));
  });
  if (restart !== true) return undefined;
  await new Promise((r) => setTimeout(r, delayMs));
  return withRestartLock(args.bundle, async () => {
    const r = readRestartRecord(args.bundle);
    if (!ownsState(ctx, args.id, pid) || !due(r)) return undefined;
    // counted first: a monitor killed from here on leaves the count it got to (podman saves it before it restarts)
    writeRestartRecord(args.bundle, { ...r, count: r.count + 1 });
    await deleteContainer(ctx, args.id, { keepImageBundle: true });
    stopForTest('run:restarting');
    let run: Run;
    try {
      run = await startRun(ctx, args, log, undefined);
    } catch (err) {
      // the container stays, exited, with the last exit and this error recorded (restart-record.ts), its bundle and
      // root kept (ps, inspect, logs, container start, rm): it has no state now
      const why = err instanceof Error ? err.message : String(err);
      writeRestartFailure(args.bundle, why);
      log.write('stderr', Buffer.from(`ct: container monitor: restart of ${args.id}: ${why}\n`));
      return undefined;
    }
    rmSync(args.exitFile, { force: true });
    return run;
  });
}

async function main(args: MonitorArgs, log: LogWriter): Promise<number> {
  const global: GlobalOptions = { root: args.root, rootless: args.rootless ? 'true' : 'false' };
  const ctx = createContext(global);
  const policy = readRestartPolicy(args.bundle);
  // the claim names this monitor while it may restart: a restart's gap without a state is not a dead run's
  if (mayRestart(policy)) holdClaim(args.bundle);
  // the spawner's pipes, read from the start: the first run's output (and the monitor's own, until create)
  const firstOutput = copyPipes(READ_FDS, log);
  let run: Run;
  try {
    run = await startRun(ctx, args, log, firstOutput);
  } catch (err) {
    firstOutput.close();
    const overlay = overlayRefusal(err);
    tell(`error ${JSON.stringify({ message: err instanceof Error ? err.message : String(err), code: (err as { code?: string }).code, overlay })}`);
    return 1;
  }
  tell('ok');
  stopForTest('run:started');
  let quickExits = 0;
  for (;;) {
    const status = await finishRun(run, log);
    if (args.remove === true) {
      // -d --rm (podman's): the state, the bundle with its log and the store root go (container-delete.ts)
      try {
        await deleteContainer(ctx, args.id, { force: true });
      } catch (err) {
        // removed meanwhile (`container rm -f` killed it): nothing is left to remove
        if (existsSync(args.bundle) && (err as { code?: unknown }).code !== 'ENOCONTAINER') throw err;
      }
      return 0;
    }
    if (!mayRestart(policy)) {
      recordExit(args, status);
      return 0;
    }
    quickExits = Date.now() - run.started < STABLE_RUN_MS ? quickExits + 1 : 0;
    const next = await afterExit(ctx, args, log, policy, status, run.init.pid, restartDelayMs(quickExits));
    if (next === undefined) return 0;
    run = next;
  }
}

const args = JSON.parse(process.argv[2] ?? '{}') as MonitorArgs;
const log = openLog(args.logFile);
try {
  process.exitCode = await main(args, log);
} catch (err) {
  // our stdout and stderr are the container's pipes, or /dev/null: the log says why the monitor stopped
  log.write('stderr', Buffer.from(`ct: container monitor: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`));
  process.exitCode = 1;
} finally {
  log.close();
}
