/**
 * zstd decompression as a Node Transform, over fzstd (pure JavaScript, streaming; Node 20 has no zstd in zlib and
 * the native bindings need a compiler or a download at install time). RFC 8878.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { Decompress } from 'fzstd';

/** A Transform that decompresses a zstd stream (one or more frames). */
export class ZstdDecompressStream extends Transform {
  private readonly decoder: Decompress;
  private sawInput = false;

  constructor() {
    super();
    this.decoder = new Decompress((chunk) => {
      // fzstd may reuse its window buffer: copy before handing the bytes on.
      this.push(Buffer.from(chunk));
    });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      if (chunk.length > 0) this.sawInput = true;
      this.decoder.push(chunk);
      cb();
    } catch (err) {
      cb(err instanceof Error ? err : new Error(String(err)));
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      if (!this.sawInput) throw new Error('zstd: empty input');
      this.decoder.push(new Uint8Array(0), true);
      cb();
    } catch (err) {
      cb(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
