/**
 * Feeding a byte stream through Node transforms into tar-stream's (streamx) extract, with errors from any stage
 * surfacing in the extract's async iterator, and the extract's consumer able to stop the whole chain.
 */
import { pipeline, type Readable, type Transform } from 'node:stream';
import tar, { type Extract } from 'tar-stream';

/** A running feed: `done` settles when every Node stage has finished (verifiers flushed) or one failed. */
export interface TarFeed {
  readonly done: Promise<void>;
  /** Stop every stage (after the consumer failed). */
  abort(err: Error): void;
}

/** Pipe `source` through `stages` into `extract`. */
export function feedTar(source: Readable, stages: readonly Transform[], extract: Extract): TarFeed {
  const last = stages.at(-1);
  if (last === undefined) throw new TypeError('feedTar: at least one stage is needed');
  const done = new Promise<void>((resolve, reject) => {
    pipeline([source, ...stages], (err) => {
      if (err) {
        extract.destroy(err);
        reject(err);
      } else resolve();
    });
  });
  done.catch(() => {}); // observed by the consumer through the iterator or by awaiting `done`
  last.pipe(extract as unknown as NodeJS.WritableStream);
  return {
    done,
    abort: (err) => {
      source.destroy(err);
      for (const s of stages) s.destroy(err);
      extract.destroy(err);
    },
  };
}

/**
 * A tar-stream extract that keeps names as latin1 (one char per byte) so they convert back to the exact bytes;
 * the effective names come from the TarScanner anyway.
 */
export function newExtract(): Extract {
  return tar.extract({ filenameEncoding: 'latin1' } as Parameters<typeof tar.extract>[0]);
}
