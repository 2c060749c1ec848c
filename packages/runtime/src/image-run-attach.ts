/**
 * A foreground `ct container run --keep` (without -t), as podman runs a container it keeps: under a monitor
 * (container-run-monitor/) that writes the container's stdout and stderr to its log, while this process prints the
 * log as it grows (stdout records to our stdout, stderr records to our stderr), relays the signals a shell user
 * sends to the container, and returns its exit status once the monitor recorded it. So `container logs` of a kept
 * container prints what it printed, as `podman logs` does. The container reads our stdin (ct's foreground habit;
 * podman gives it /dev/null without -i). A container with a `--restart` policy runs this way too (kept, as podman
 * keeps it): as podman run, this process prints the first run's output and returns once the monitor restarts it no
 * more, with the last exit's status; a signal relayed to it counts as the user's kill (podman's signal proxy kills
 * so): no restart after it.
 * Man pages: signal(7).
 */
import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_RELAYED_SIGNALS, installSignalRelay } from '@ct/namespaces/engine';
import type { RuntimeContext } from './context.js';
import { killContainer } from './container-kill.js';
import { RuntimeError } from './errors.js';
import { writeImageContainerLog } from './image-container-log.js';
import { imageExitFile, imageLogFile } from './image-run.js';

/** How often the log is looked at while the container runs (ms). */
const FOLLOW_INTERVAL_MS = 50;

/** True while process `pid` exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Run the prepared bundle of container `id` under a monitor and print its output as it comes; resolves with its exit
 * status (or 128 + the signal that ended it).
 * @throws RuntimeError ESETUP (it did not start, or its monitor ended without recording the exit)
 */
export async function runAttached(ctx: RuntimeContext, id: string, bundle: string): Promise<number> {
  const { spawnMonitor } = await import('./container-run-monitor/monitor-spawn.js');
  const { markStoppedByUser } = await import('./container-run-monitor/restart-record.js');
  const exitFile = imageExitFile(ctx, id);
  const exitRecorded = (): boolean => existsSync(exitFile);
  // installed first: a signal while the monitor starts is held, then relayed, instead of ending us without the container
  const relay = installSignalRelay(DEFAULT_RELAYED_SIGNALS);
  try {
    const monitor = await spawnMonitor(ctx, id, bundle, imageLogFile(ctx, id), exitFile, { stdin: true });
    // a signal relayed is the user's kill (podman's proxy kills so): its --restart policy restarts it no more
    relay.attach({ kill: (signal) => void markStoppedByUser(bundle).then(() => killContainer(ctx, id, signal)).catch(() => undefined) });
    // the first run's output, until it exits (podman run attaches to the first run only)
    await writeImageContainerLog(ctx, id, (stream, chunk) => void process[stream].write(chunk), {
      follow: true, intervalMs: FOLLOW_INTERVAL_MS, ended: () => exitRecorded() || !alive(monitor),
    });
    // a --restart container: until its monitor restarts it no more (podman run returns with the last exit's status)
    while (alive(monitor)) await new Promise((r) => setTimeout(r, FOLLOW_INTERVAL_MS));
    if (!exitRecorded()) throw new RuntimeError('ESETUP', `container run: ${id}: its monitor (pid ${monitor}) ended without recording the exit status (see ct container logs ${id})`);
  } finally {
    relay.remove();
  }
  return (JSON.parse(readFileSync(exitFile, 'utf8')) as { status: number }).status;
}
