/**
 * Keeping the unpack's memory flat. Every chunk that streams through (file reads, gunzip output, tar data) is a
 * fresh Buffer whose memory lives outside the V8 heap and is freed only when a garbage collection finds it dead:
 * - V8 starts one after tens of MB of such external memory, and glibc keeps most of what the dead chunks are then
 *   freed from, so the peak RSS of a large unpack grew by 20-40 MB over Node's own. A young-generation collection
 *   every few MB of data frees those buffers at once (a scavenge of a small young generation: well under a
 *   millisecond). Uses the `gc` function V8 exposes with --expose-gc, enabled at run time (v8.setFlagsFromString)
 *   and fetched from a fresh context.
 * - Each scavenge keeps what is live then (the stream stages, the entry records), and V8 doubles its young
 *   generation whenever that adds up to its size: from 1-2 MB semi-spaces at start to 8-16 MB over a few hundred
 *   MB of data, all of it touched by the chunks' short-lived wrappers (16-32 MB of RSS). The unpack holds it at
 *   its size (V8's `--semi-space-growth-factor`, read each time it would grow, set to 1 while held; V8 refuses 1
 *   on the command line, so nothing but a hold sets it).
 * Measured on tools/bench's large image: see the bench README (unpack rows).
 * Man pages: none (V8: ArrayBuffer backing stores are released by the scavenger; Heap::ResizeNewSpace).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options: { type: 'minor' | 'major' }) => void;
let gc: GcFunction | null | undefined;

/** Run a young-generation collection (no-op when V8 refuses to expose `gc`). */
export function collectYoungGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as GcFunction;
    } catch {
      gc = null;
    }
  }
  gc?.({ type: 'minor' });
}

let holds = 0;

/** The growth factor to restore: the command line's (V8's minimum is 2), else V8's default, 2. */
function growthFactor(): string {
  const given = process.execArgv.map((a) => /^--semi[-_]space[-_]growth[-_]factor=(\d+)$/.exec(a)?.[1]).findLast((v) => v !== undefined);
  return given ?? '2';
}

/**
 * Keep V8's young generation at its present size until the returned function is called (holds nest: the last
 * release lets it grow again). Process-wide while held, as every V8 flag is.
 */
export function holdYoungGeneration(): () => void {
  if (holds++ === 0) setFlagsFromString('--semi-space-growth-factor=1');
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holds === 0) setFlagsFromString(`--semi-space-growth-factor=${growthFactor()}`);
  };
}
