/**
 * Streaming verification of blobs: a pass-through that hashes and counts, and fails as soon as more bytes than
 * the descriptor's size arrive, or at the end when the size or digest differ. Used for compressed blobs (descriptor
 * digest) and for uncompressed layers (rootfs.diff_ids). See image-spec descriptor.md "Digests".
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { parseDigest } from './spec/digest-string.js';
import { OciLayoutError } from './errors.js';

/** What a {@link DigestVerifier} checks. */
export interface VerifyTarget {
  /** Expected digest (`sha256:…` or `sha512:…`). */
  readonly digest: string;
  /** Expected byte count, when known (diff_ids carry no size). */
  readonly size?: bigint;
  /** Media type, for error messages. */
  readonly mediaType?: string;
  /** Error code on a digest mismatch (default OCI_DIGEST_MISMATCH; OCI_DIFF_ID_MISMATCH for diff_ids). */
  readonly mismatchCode?: string;
  /** What is verified, for messages ("blob", "layer diff_id"). */
  readonly what?: string;
}

/** A Transform that passes data through unchanged while verifying it against a {@link VerifyTarget}. */
export class DigestVerifier extends Transform {
  private readonly hash: Hash;
  private count = 0n;
  constructor(private readonly target: VerifyTarget) {
    super();
    this.hash = createHash(parseDigest(target.digest).algorithm);
  }

  /** Bytes seen so far. */
  get bytes(): bigint {
    return this.count;
  }

  /**
   * Stream hook (node:stream Transform): hashes and passes `chunk` on; fails the stream with OciLayoutError
   * OCI_SIZE_MISMATCH as soon as more bytes than the target's size have arrived.
   */
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.count += BigInt(chunk.length);
    const { size } = this.target;
    if (size !== undefined && this.count > size) {
      cb(this.error('OCI_SIZE_MISMATCH', `more than the expected ${size} bytes`));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  /**
   * Stream hook at the end of the input: fails the stream with OciLayoutError OCI_SIZE_MISMATCH when the byte count
   * differs from the target's size, or with the target's `mismatchCode` (default OCI_DIGEST_MISMATCH) when the
   * digest differs.
   */
  override _flush(cb: TransformCallback): void {
    const { size, digest } = this.target;
    if (size !== undefined && this.count !== size) {
      cb(this.error('OCI_SIZE_MISMATCH', `size ${this.count} differs from the expected ${size}`));
      return;
    }
    const actual = `${parseDigest(digest).algorithm}:${this.hash.digest('hex')}`;
    if (actual !== digest) {
      cb(this.error(this.target.mismatchCode ?? 'OCI_DIGEST_MISMATCH', `content has digest ${actual}`));
      return;
    }
    cb();
  }

  private error(code: string, why: string): OciLayoutError {
    const { digest, mediaType } = this.target;
    return new OciLayoutError(code, `verify ${this.target.what ?? 'blob'}: ${digest}: ${why}`,
      mediaType !== undefined ? { digest, mediaType } : { digest });
  }
}

/** The digest of a buffer with the given algorithm, as `alg:hex`. */
export function digestOf(data: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}
