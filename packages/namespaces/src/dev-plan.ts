/**
 * The container's /dev, as Guix builds it: a tmpfs (noexec, strictatime, mode 755), the host's null, zero, full,
 * random, urandom, tty and fuse bound onto empty files (a user namespace cannot mknod), a devpts instance with
 * ptmxmode=0666 (without it the new ptmx is mode 000) and /dev/ptmx linked to it, /dev/shm, /dev/mqueue (with a
 * new ipc namespace), the /proc/self/fd links and the caller's tty as /dev/console. The init program is bound
 * here too, on its own (exec-allowed) bind mount, because it must be reachable after pivot_root.
 *
 * Man pages: pts(4), devpts in mount(8), tmpfs(5), mq_overview(7), console(4).
 */
import { MS } from './internal/mount-flags.js';
import {
  bindFile, linkAt, mkdirAt, mountAt, type PathContext, remountAt,
} from './internal/step-builders.js';
import type { PlannedStep } from './planned-step.js';

/** The host devices Guix binds into the container's /dev (those missing on the host are skipped). */
export const HOST_DEVICES: readonly string[] = Object.freeze(['null', 'zero', 'full', 'random', 'urandom', 'tty', 'fuse']);

/** Where the init program appears inside the container. */
export const INIT_PATH_INSIDE = '/dev/.ct-init';

/** What the /dev plan needs from the caller. */
export interface DevPlanContext extends PathContext {
  /** Names from HOST_DEVICES that exist on the host. */
  readonly hostDevices: readonly string[];
  /** With a new ipc namespace: mount /dev/mqueue. */
  readonly newIpc: boolean;
  /** The host tty to bind on /dev/console, if any. */
  readonly consoleTty: string | undefined;
  /** The host path of the init program to bind at INIT_PATH_INSIDE, if the container runs it. */
  readonly initPath: string | undefined;
}

/** The steps that build /dev under the root (before pivot_root). */
export function planDev(ctx: DevPlanContext): PlannedStep[] {
  const steps: PlannedStep[] = [
    mkdirAt(ctx, '/dev', 0o755),
    mountAt(ctx, '/dev', 'mount /dev', {
      source: 'none', fstype: 'tmpfs', flags: MS.NOEXEC | MS.NOSUID | MS.STRICTATIME, data: 'mode=755',
    }),
  ];
  for (const name of ctx.hostDevices) steps.push(...bindFile(ctx, `/dev/${name}`, `/dev/${name}`, 'bind device'));
  steps.push(
    mkdirAt(ctx, '/dev/pts', 0o755),
    mountAt(ctx, '/dev/pts', 'mount devpts', {
      source: 'devpts', fstype: 'devpts', flags: MS.NOSUID | MS.NOEXEC, data: 'newinstance,ptmxmode=0666,mode=620',
    }),
    linkAt(ctx, '/dev/ptmx', 'pts/ptmx'),
    mkdirAt(ctx, '/dev/shm', 0o1777),
    mountAt(ctx, '/dev/shm', 'mount /dev/shm', {
      source: 'shm', fstype: 'tmpfs', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: 'mode=1777,size=65536k',
    }),
  );
  if (ctx.newIpc) {
    steps.push(
      mkdirAt(ctx, '/dev/mqueue', 0o755),
      mountAt(ctx, '/dev/mqueue', 'mount mqueue', {
        source: 'mqueue', fstype: 'mqueue', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC,
      }),
    );
  }
  steps.push(
    linkAt(ctx, '/dev/fd', '/proc/self/fd'),
    linkAt(ctx, '/dev/stdin', '/proc/self/fd/0'),
    linkAt(ctx, '/dev/stdout', '/proc/self/fd/1'),
    linkAt(ctx, '/dev/stderr', '/proc/self/fd/2'),
  );
  steps.push(...planConsoleAndInit(ctx));
  return steps;
}

/** The caller's tty on /dev/console and the init program at INIT_PATH_INSIDE (also under an OCI /dev). */
export function planConsoleAndInit(ctx: Pick<DevPlanContext, 'at' | 'consoleTty' | 'initPath'>): PlannedStep[] {
  const steps: PlannedStep[] = [];
  if (ctx.consoleTty !== undefined) steps.push(...bindFile(ctx, ctx.consoleTty, '/dev/console', 'bind console'));
  if (ctx.initPath !== undefined) {
    steps.push(
      ...bindFile(ctx, ctx.initPath, INIT_PATH_INSIDE, 'bind init'),
      remountAt(ctx, INIT_PATH_INSIDE, 'remount init read-only', MS.RDONLY, false),
    );
  }
  return steps;
}
