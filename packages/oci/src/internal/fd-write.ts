/** Writing a whole buffer to a numeric fd (write(2) may write less than asked). */
import { writeSync } from 'node:fs';

/** Write all of `b` to `fd`. */
export function writeAll(fd: number, b: Uint8Array): void {
  for (let off = 0; off < b.length;) off += writeSync(fd, b, off);
}
