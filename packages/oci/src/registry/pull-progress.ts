/**
 * Progress of a pull for a terminal: per-blob events folded into one line with a bar
 * (`[#########-----------] 1.2 MB / 2.8 MB, 1/3 blobs`). Rendering text only; a CLI writes it to stderr when
 * stderr is a terminal and stays quiet in pipes.
 */
import type { BlobProgress } from './registry-blob.js';

function size(n: bigint): string {
  const v = Number(n);
  if (v < 1000) return `${v} B`;
  if (v < 1e6) return `${(v / 1e3).toFixed(1)} kB`;
  if (v < 1e9) return `${(v / 1e6).toFixed(1)} MB`;
  return `${(v / 1e9).toFixed(2)} GB`;
}

/** Folds {@link BlobProgress} events into one status line. */
export class PullProgressLine {
  private readonly blobs = new Map<string, { bytes: bigint; total: bigint }>();

  /** Record an event; returns the line to show. */
  update(p: BlobProgress, width = 20): string {
    this.blobs.set(p.digest, { bytes: p.bytes, total: p.total });
    let bytes = 0n;
    let total = 0n;
    let done = 0;
    for (const b of this.blobs.values()) {
      bytes += b.bytes;
      total += b.total;
      if (b.bytes === b.total) done++;
    }
    const filled = total === 0n ? width : Number((bytes * BigInt(width)) / total);
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${size(bytes)} / ${size(total)}, ${done}/${this.blobs.size} blobs`;
  }
}
