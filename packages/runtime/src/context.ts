/**
 * The runtime context every verb takes: the state root (chosen by the one rule in state-root.ts), whether we are
 * rootless, and the logger. Built once per command from the global flags.
 */
import { createLogger, type Logger, type LogOptions } from './log.js';
import { currentIdentity, isRootless, type ProcessIdentity, type RootlessMode } from './rootless.js';
import { resolveStateRoot, type StateRoot } from './state-root.js';

/** The global flags of runc's command line, typed. */
export interface GlobalOptions {
  /** --root. */
  readonly root?: string | undefined;
  /** --log. */
  readonly log?: string | undefined;
  /** --log-format. */
  readonly logFormat?: 'text' | 'json' | undefined;
  /** --debug. */
  readonly debug?: boolean | undefined;
  /** --systemd-cgroup (accepted; ct has no systemd cgroup driver yet). */
  readonly systemdCgroup?: boolean | undefined;
  /** --rootless true|false|auto. */
  readonly rootless?: RootlessMode | undefined;
}

/** What every lifecycle function needs. */
export interface RuntimeContext {
  /** The state root. */
  readonly stateRoot: StateRoot;
  /** Run rootless (our euid is not 0, or 0 in a foreign user namespace, or --rootless true). */
  readonly rootless: boolean;
  /** The caller's identity. */
  readonly identity: ProcessIdentity;
  /** Where messages go. */
  readonly logger: Logger;
  /** Whether --systemd-cgroup was asked for. */
  readonly systemdCgroup: boolean;
}

/**
 * Build the context from global options (runc's) and the environment: the state root (see resolveStateRoot),
 * rootless or not, the logger.
 * @example
 * ```ts
 * import { containerState, createContext } from '@ct/runtime';
 * const ctx = createContext({ root: '/run/my-engine/ct', logFormat: 'json', log: '/var/log/ct.log' });
 * console.log(ctx.stateRoot.path, ctx.rootless, containerState(ctx, 'web').status);
 * ```
 */
export function createContext(
  options: GlobalOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
  identity: ProcessIdentity = currentIdentity(),
): RuntimeContext {
  const logOptions: LogOptions = { path: options.log, format: options.logFormat ?? 'text', debug: options.debug ?? false };
  const logger = createLogger(logOptions);
  const stateRoot = resolveStateRoot({ root: options.root, env, identity });
  logger.log('debug', `state root ${stateRoot.path} (${stateRoot.reason})`);
  return {
    stateRoot,
    rootless: isRootless(identity, options.rootless ?? 'auto'),
    identity,
    logger,
    systemdCgroup: options.systemdCgroup ?? false,
  };
}
