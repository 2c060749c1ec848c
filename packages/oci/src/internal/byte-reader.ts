/**
 * Reading a byte stream in pieces of known length: a length-prefixed header, then sub-streams of exact sizes (the
 * layer blobs the unpack worker receives back to back on one socket).
 */
import { Readable } from 'node:stream';

/** Sequential exact-length reads over an async iterable of chunks. */
export class ByteReader {
  private readonly it: AsyncIterator<Buffer>;
  private rest: Buffer = Buffer.alloc(0);

  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async next(what: string): Promise<Buffer> {
    if (this.rest.length > 0) {
      const b = this.rest;
      this.rest = Buffer.alloc(0);
      return b;
    }
    const r = await this.it.next();
    if (r.done === true) throw new Error(`read ${what}: the stream ended early`);
    return r.value;
  }

  /** Exactly `n` bytes. */
  async read(n: number, what: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const b = await this.next(what);
      const take = Math.min(n - have, b.length);
      parts.push(b.subarray(0, take));
      if (take < b.length) this.rest = b.subarray(take);
      have += take;
    }
    return Buffer.concat(parts, n);
  }

  /** A stream of the next `n` bytes; read it to its end before asking for anything else. */
  take(n: number, what: string): Readable {
    let left = n;
    const self = this;
    return Readable.from((async function* () {
      while (left > 0) {
        const b = await self.next(what);
        const take = Math.min(left, b.length);
        if (take < b.length) self.rest = b.subarray(take);
        left -= take;
        yield b.subarray(0, take);
      }
    })(), { objectMode: false });
  }
}
