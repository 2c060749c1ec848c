/**
 * Waiting with a limit: `signal` (an AbortSignal) and `timeout` (ms) on the calls that wait for a process
 * (ContainerHandle.wait, EnteredProcess.wait). Giving up the wait leaves the process alone: the caller decides
 * whether to kill it.
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

/** `promise`, or a rejection when `options` says to stop waiting first. */
export function limitWait<T>(promise: Promise<T>, what: string, options: WaitOptions = {}): Promise<T> {
  const { signal, timeout } = options;
  if (signal === undefined && timeout === undefined) return promise;
  if (timeout !== undefined && (!Number.isFinite(timeout) || timeout < 0)) {
    return Promise.reject(new CtError('EINVAL', `${what}: timeout: not a number of milliseconds: ${timeout}`));
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
