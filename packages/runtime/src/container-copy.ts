/**
 * `ct container cp SRC DEST` (podman-cp(1)): one side `CONTAINER:PATH`, the other a host path, the container
 * running or stopped. Where the container's root is reached:
 * - running (or created, paused): /proc/PID/root of its init, its mount namespace's view;
 * - stopped, with a copy root: the copy itself; with an overlay root: the overlay mounted again, on its `merged`
 *   dir, by a worker in a mount namespace of its own (it goes with the worker).
 * As root the copy runs in this process (a mount needs the worker); unprivileged it runs in the worker, in a user
 * namespace with the container's own uid and gid maps, so what is written into the container is owned by the
 * container's primary user (podman's --archive default) and what comes out by the caller.
 * Not done: container-to-container copies and `-` (a tar stream on stdin or stdout) are refused, as is a rootless
 * running container whose init runs as another user than the namespace's root (its /proc/PID/root is not ours
 * to open: EACCES).
 * Man pages: podman-cp(1), proc(5) (/proc/PID/root), user_namespaces(7).
 */
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { O } from '@ct/syscalls';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimeContext } from './context.js';
import { runCopyJob, type CopyJob } from './container-copy-job.js';
import { RuntimeError } from './errors.js';
import { checkImageContainer } from './image-containers.js';
import { rootOverlay } from './image-overlay-annotation.js';
import { imageBundleDir } from './image-run.js';

interface IdMapping { containerID: number; hostID: number; size: number }
interface CopyConfig {
  root?: { path?: string };
  process?: { user?: { uid?: number; gid?: number } };
  linux?: { uidMappings?: IdMapping[]; gidMappings?: IdMapping[] };
  annotations?: Record<string, string>;
}

/** One side of `container cp`. */
interface CopyArgument {
  /** The container named before `:`; undefined for a host path. */
  readonly container?: string;
  /** The path (in the container, or on the host). */
  readonly path: string;
}

/** One side of `container cp`: `CONTAINER:PATH`, or a host path (it starts with `/` or `.`, or has no `:`). */
function parseCopyArgument(arg: string): CopyArgument {
  const colon = arg.indexOf(':');
  if (arg.startsWith('/') || arg.startsWith('.') || colon <= 0) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

/** Run `job` in the copy worker: in the container's user namespace when `userns`, in a mount namespace of its own when it mounts. */
async function runInWorker(job: CopyJob, config: CopyConfig, userns: boolean, live: boolean): Promise<void> {
  const ns = await import('@ct/namespaces/engine');
  // A live container's /proc/PID/root is opened here: the caller owns the container's user namespace (so may look
  // into its processes); the worker, in a namespace beside it, may not. The worker gets the open root as fd 3.
  const rootFd = live ? openSync(job.root, O.PATH | O.DIRECTORY | O.CLOEXEC) : -1;
  try {
    await runWorker(ns, live ? { ...job, root: '/proc/self/fd/3' } : job, config, userns, rootFd);
  } finally {
    if (rootFd >= 0) closeSync(rootFd);
  }
}

async function runWorker(ns: typeof import('@ct/namespaces/engine'), job: CopyJob, config: CopyConfig, userns: boolean, rootFd: number): Promise<void> {
  const worker = fileURLToPath(new URL('./container-copy-worker.js', import.meta.url));
  const conv = (m: IdMapping[] | undefined): { inside: number; outside: number; count: number }[] =>
    (m ?? []).map((e) => ({ inside: e.containerID, outside: e.hostID, count: e.size }));
  const uidMap = conv(config.linux?.uidMappings);
  const gidMap = conv(config.linux?.gidMappings);
  const handle = await ns.runContainer({
    namespaces: [...(userns ? ['user' as const] : []), ...(job.overlay !== undefined ? ['mnt' as const] : [])],
    root: { kind: 'host' },
    command: { argv: [process.execPath, worker, JSON.stringify(job)], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
    ...(userns && uidMap.length > 0 ? { uidMap, gidMap } : {}),
    useSubordinateIds: true,
    // namespace root reads and owns every file of the container (runContainer's default is runc's smaller set)
    capabilities: 'all',
    stdio: [0, 2, 'pipe'],
    extraFds: rootFd >= 0 ? [{ from: rootFd, to: 3 }] : [],
    consoleTty: null,
    killOnParentDeath: true,
    relayedSignals: [],
  });
  const chunks: Buffer[] = [];
  handle.stderr?.on('data', (c: Buffer) => chunks.push(c));
  const { status } = await handle.wait();
  if (status === 0) return;
  const text = Buffer.concat(chunks).toString();
  let reported: { code?: string; message?: string } = {};
  try {
    reported = JSON.parse(text) as typeof reported;
  } catch {
    // not the worker's report (it died before it): said as it is below
  }
  const code = (reported.code ?? 'ESYSTEM') as RuntimeError['code'];
  throw new RuntimeError(code, reported.message ?? `container cp: the copy exited with status ${status}: ${text.trim()}`);
}

/**
 * Copy `source` to `dest`, one of them `CONTAINER:PATH` (a container of `ct container run`), host paths relative
 * to `cwd`.
 * @throws RuntimeError EUSAGE (no container side, or two; `-`), ENOCONTAINER, ESYSTEM (a path not found, a step
 *   of the copy), EUSAGE (a directory onto a file).
 */
export async function copyContainerFiles(ctx: RuntimeContext, source: string, dest: string, cwd: string = process.cwd()): Promise<void> {
  const [src, dst] = [parseCopyArgument(source), parseCopyArgument(dest)];
  if (source === '-' || dest === '-') throw new RuntimeError('EUSAGE', 'container cp: "-" (a tar stream on stdin or stdout) is not supported: give a host path');
  if ((src.container === undefined) === (dst.container === undefined)) {
    throw new RuntimeError('EUSAGE', `container cp: ${src.container === undefined ? 'neither' : 'both'} ${JSON.stringify(source)} and ${JSON.stringify(dest)} name a container: give one side as CONTAINER:PATH and the other as a host path`);
  }
  const id = (src.container ?? dst.container)!;
  const state = checkImageContainer(ctx, id);
  const config = JSON.parse(readFileSync(`${imageBundleDir(ctx, id)}/config.json`, 'utf8')) as CopyConfig;
  const live = (state.status === 'running' || state.status === 'created' || state.status === 'paused') && state.pid > 0 && existsSync(`/proc/${state.pid}`);
  const rootPath = resolve(imageBundleDir(ctx, id), config.root?.path ?? 'rootfs');
  const overlay = live ? undefined : rootOverlay(config.annotations ?? {}).overlay;
  const user = config.process?.user ?? {};
  const hostPath = (src.container === undefined ? src : dst).path;
  const job: CopyJob = {
    id,
    root: live ? `/proc/${state.pid}/root` : rootPath,
    ...(overlay !== undefined ? { overlay } : {}),
    direction: src.container === undefined ? 'in' : 'out',
    containerPath: (src.container === undefined ? dst : src).path,
    // a trailing `/` or `/.` says what podman's rules do with the path: kept through resolve()
    hostPath: (isAbsolute(hostPath) ? hostPath : resolve(cwd, hostPath)) + (/\/\.?$/.test(hostPath) ? hostPath.slice(hostPath.lastIndexOf('/')) : ''),
    ...(src.container === undefined ? { owner: { uid: user.uid ?? 0, gid: user.gid ?? 0 } } : {}),
  };
  const userns = ctx.rootless || process.geteuid?.() !== 0;
  if (!userns && overlay === undefined) runCopyJob(job);
  else await runInWorker(job, config, userns, live);
}
