/**
 * `ct container run --restart`: podman's restart policies (podman-run(1), libpod's shouldRestart in 4.3) and the
 * monitor's decision after each exit. `no` never restarts; `on-failure[:N]` restarts after a non-zero exit status,
 * at most N times (0 or none: no limit); `always` and `unless-stopped` (podman: identical) restart after any exit.
 * None restarts a container the user stopped or killed (`container stop`, `kill`, `rm -f`: podman's
 * StoppedByUser), until the user starts it again. podman 4.3 restarts at once; ct waits a little before each
 * restart, doubling while the container keeps exiting quickly, so a crash loop does not take a core.
 * No I/O here: the policy logic alone (unit-tested).
 */
import { RuntimeError } from '../errors.js';

/** podman's policy names. */
export type RestartPolicyName = 'no' | 'on-failure' | 'always' | 'unless-stopped';

/** A restart policy as `--restart` gives it. */
export interface RestartPolicy {
  /** The policy. */
  readonly name: RestartPolicyName;
  /** `on-failure:N`: restart at most N times (0: no limit, as podman's); 0 for the other policies. */
  readonly maxRetries: number;
}

/** The policy of a container run without `--restart`. */
export const NO_RESTART: RestartPolicy = { name: 'no', maxRetries: 0 };

const NAMES: readonly RestartPolicyName[] = ['no', 'on-failure', 'always', 'unless-stopped'];

function usage(text: string, why: string): RuntimeError {
  return new RuntimeError('EUSAGE', `invalid value ${JSON.stringify(text)} for flag --restart: ${why}`);
}

/**
 * Parse `--restart` (podman's forms: no, on-failure, on-failure:N, always, unless-stopped, and '' for no;
 * `never`, podman 5's synonym of no, is not in 4.3 and is refused as 4.3 refuses it).
 * @throws RuntimeError EUSAGE naming the flag and the value
 */
export function parseRestartPolicy(text: string): RestartPolicy {
  // podman takes an empty value as no policy
  if (text === '') return NO_RESTART;
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  if (!(NAMES as readonly string[]).includes(name)) {
    throw usage(text, 'expected no, on-failure[:MAX_RETRIES], always or unless-stopped');
  }
  if (colon < 0) return { name: name as RestartPolicyName, maxRetries: 0 };
  if (name !== 'on-failure') throw usage(text, 'a retry count is only valid with on-failure');
  const count = text.slice(colon + 1);
  if (!/^\d+$/.test(count) || !Number.isSafeInteger(Number(count))) {
    throw usage(text, 'the retry count of on-failure:N must be a whole number, 0 or more');
  }
  return { name: 'on-failure', maxRetries: Number(count) };
}

/** `value` (read from a bundle's run.json) when it is a valid policy, else undefined. */
export function restartPolicyOf(value: unknown): RestartPolicy | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { name, maxRetries } = value as { name?: unknown; maxRetries?: unknown };
  if (typeof name !== 'string' || !(NAMES as readonly string[]).includes(name)) return undefined;
  if (typeof maxRetries !== 'number' || !Number.isSafeInteger(maxRetries) || maxRetries < 0) return undefined;
  return { name: name as RestartPolicyName, maxRetries: name === 'on-failure' ? maxRetries : 0 };
}

/**
 * Check `policy` as `container run` got it (a library caller's object too) against the run's other options:
 * `--rm` conflicts with a policy that restarts (podman refuses it so), and so does a foreground `-t` (its
 * terminal is ct's, not a monitor's: use `-dt`).
 * @throws RuntimeError EUSAGE
 */
export function checkRestartPolicy(policy: RestartPolicy, run: { readonly remove: boolean; readonly foregroundTty: boolean }): void {
  if (restartPolicyOf(policy) === undefined) {
    throw new RuntimeError('EUSAGE', `invalid value ${JSON.stringify(policy)} for flag --restart: expected no, on-failure[:MAX_RETRIES], always or unless-stopped`);
  }
  if (!mayRestart(policy)) return;
  if (run.remove) throw new RuntimeError('EUSAGE', 'the --rm option conflicts with --restart, when the restartPolicy is not "" and "no"');
  if (run.foregroundTty) {
    throw new RuntimeError('EUSAGE', `--restart=${formatRestartPolicy(policy)} with -t needs -d: ct restarts a container under its monitor, which cannot hold this terminal (use -dt, then ct container logs)`);
  }
}

/** `policy` as podman prints it (`on-failure:3`; inspect gives the two parts apart). */
export function formatRestartPolicy(policy: RestartPolicy): string {
  return policy.name === 'on-failure' && policy.maxRetries > 0 ? `on-failure:${policy.maxRetries}` : policy.name;
}

/** True when `policy` may ever restart a container. */
export function mayRestart(policy: RestartPolicy): boolean {
  return policy.name !== 'no';
}

/** What the monitor knows when the container has exited. */
export interface ExitFacts {
  /** The exit status (the code, or 128 + the signal that ended it). */
  readonly status: number;
  /** Restarts done so far by the policy (podman's RestartCount). */
  readonly restartCount: number;
  /** The user stopped or killed it (container stop, kill, rm -f) since it was last started. */
  readonly stoppedByUser: boolean;
}

/** Whether `policy` restarts a container that exited as `facts` say (podman 4.3's shouldRestart). */
export function shouldRestart(policy: RestartPolicy, facts: ExitFacts): boolean {
  if (facts.stoppedByUser || policy.name === 'no') return false;
  if (policy.name !== 'on-failure') return true;
  if (facts.status === 0) return false;
  return policy.maxRetries === 0 || facts.restartCount < policy.maxRetries;
}

/** The first wait before a restart (ms). */
export const RESTART_DELAY_MS = 100;
/** The longest wait (ms): short enough for `container wait`, which gives up on a stopped container after 5 s. */
export const MAX_RESTART_DELAY_MS = 2000;
/** A run this long (ms) was not a crash loop: the next wait starts again from the first. */
export const STABLE_RUN_MS = 10_000;

/**
 * The wait before the next restart: 100 ms, doubled for each run in a row that ended within STABLE_RUN_MS of its
 * start, at most MAX_RESTART_DELAY_MS. `quickExits`: how many runs in a row ended that quickly (the last one too).
 */
export function restartDelayMs(quickExits: number): number {
  const n = Math.max(0, quickExits - 1);
  return Math.min(MAX_RESTART_DELAY_MS, RESTART_DELAY_MS * 2 ** Math.min(n, 16));
}
