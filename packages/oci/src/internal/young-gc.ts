/**
 * Keeping the unpack's memory flat: every chunk that streams through (file reads, gunzip output, tar data) is a
 * fresh Buffer whose memory lives outside the V8 heap and is freed only when a garbage collection finds it dead.
 * V8 starts one after tens of MB of such external memory, which made the peak RSS of a large unpack grow by about
 * 40 MB over Node's own. A young-generation collection every few MB of data frees those buffers at once (a scavenge
 * of a small young generation: well under a millisecond). Uses the `gc` function V8 exposes with --expose-gc,
 * enabled at run time (v8.setFlagsFromString) and fetched from a fresh context.
 * Man pages: none (V8: ArrayBuffer backing stores are released by the scavenger).
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
