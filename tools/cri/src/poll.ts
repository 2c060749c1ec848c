/** Polling without blocking the event loop (gRPC calls and child processes go on meanwhile). */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Call `done` every `intervalMs` until it returns true or `ms` have passed; returns its last answer.
 * A `done` that throws counts as false.
 */
export async function poll(done: () => boolean | Promise<boolean>, ms: number, intervalMs = 100): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    let ok: boolean;
    try {
      ok = await done();
    } catch {
      ok = false;
    }
    if (ok || Date.now() >= end) return ok;
    await sleep(intervalMs);
  }
}
