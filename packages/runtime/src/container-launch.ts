/**
 * Launching a container's init from a checked config: config.json → @ct/namespaces' ContainerSpec, then
 * `runContainer`, stopping before exec on the exec FIFO (the create/start split).
 *
 * TODO(NEEDS.md): @ct/namespaces does not export `runContainer` yet; until it does, `launchInit` fails with
 * ESETUP naming what is missing, and create/run report it.
 */
import type { BundleConfig } from './config/bundle-config.js';
import { RuntimeError } from './errors.js';

/** How to launch the init. */
export interface LaunchOptions {
  /** The exec FIFO the init blocks on before exec (opened for writing: returns when `start` opens it). */
  readonly execFifo: string;
  /** Host fds that become the init's 0, 1, 2 (default the caller's). */
  readonly stdio: readonly [number, number, number];
  /** Extra fds passed at 3, 4, ... (--preserve-fds plus LISTEN_FDS). */
  readonly extraFds: number;
  /** Rootless: ct makes the user namespace (newuidmap for ranges), cgroup errors are warnings. */
  readonly rootless: boolean;
  /** --no-pivot: chroot instead of pivot_root. */
  readonly noPivot: boolean;
}

/** The launched init. */
export interface LaunchedInit {
  /** Host pid. */
  readonly pid: number;
  /** Resolves with the shell-style exit status (code, or 128 + signal) when the init exits. */
  wait(): Promise<number>;
  /** Signal the init (through its pidfd). */
  kill(signal: number): void;
}

/** Launch the init of `config`; it blocks on the exec FIFO before exec. */
export async function launchInit(config: BundleConfig, options: LaunchOptions): Promise<LaunchedInit> {
  void config;
  void options;
  throw new RuntimeError('ESETUP', 'create: launch init: @ct/namespaces runContainer is not available yet');
}
