/**
 * Waiting with a limit: `signal` (an AbortSignal) and `timeout` (ms) on the calls that wait for a process.
 * ContainerHandle.wait and EnteredProcess.wait give up the wait and leave the process alone (the caller decides
 * whether to kill it); the calls that own their process (callWithContainer, evalInContainer, the excursions) kill it
 * (SIGKILL) and reap it before they reject (`waitOrKill`).
 *
 * Man pages: none (Node's AbortSignal, AbortSignal.timeout).
 */
import { CtError } from './errors.js';

/** How long a wait may last. */
export interface WaitOptions {
  /** Stop waiting when it aborts: the promise rejects with its reason. */
  readonly signal?: AbortSignal;
  /** Stop waiting after this many milliseconds: the promise rejects with a CtError 'ETIMEDOUT'. */
  readonly timeout?: number;
}

/** The `signal` and `timeout` of `options` alone (a caller's options object holds more). */
export function waitLimits(options: WaitOptions): WaitOptions {
  return { ...(options.signal === undefined ? {} : { signal: options.signal }), ...(options.timeout === undefined ? {} : { timeout: options.timeout }) };
}

/** Throw what a wait with `options` would reject with at once: a bad timeout (CtError EINVAL), an aborted signal's reason. */
export function checkWaitOptions(what: string, options: WaitOptions = {}): void {
  const { signal, timeout } = options;
  if (timeout !== undefined && (!Number.isFinite(timeout) || timeout < 0)) {
    throw new CtError('EINVAL', `${what}: timeout: not a number of milliseconds: ${timeout}`);
  }
  signal?.throwIfAborted();
}

/** `promise`, or a rejection when `options` says to stop waiting first. */
export function limitWait<T>(promise: Promise<T>, what: string, options: WaitOptions = {}): Promise<T> {
  const { signal, timeout } = options;
  if (signal === undefined && timeout === undefined) return promise;
  try {
    checkWaitOptions(what, { ...(timeout === undefined ? {} : { timeout }) });
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(signal?.reason);
    };
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined) {
      timer = setTimeout(() => {
        done();
        reject(new CtError('ETIMEDOUT', `${what}: still running after ${timeout} ms`));
      }, timeout);
    }
    promise.then((v) => { done(); resolve(v); }, (e: unknown) => { done(); reject(e); });
  });
}

/**
 * Wait for a process the call owns (`waiting`, its wait): when `options` says to stop first, `kill` it and wait for it
 * to be reaped, then reject with the abort's reason or the ETIMEDOUT CtError; a wait that fails by itself is
 * rethrown as it is.
 */
export async function waitOrKill<T>(waiting: Promise<T>, kill: () => void, what: string, options: WaitOptions = {}): Promise<T> {
  let settled = false;
  const tracked = waiting.finally(() => { settled = true; });
  try {
    return await limitWait(tracked, what, options);
  } catch (error) {
    if (!settled) {
      kill();
      await tracked.catch(() => undefined);
    }
    throw error;
  }
}
