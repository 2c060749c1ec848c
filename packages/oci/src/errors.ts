/**
 * Domain errors of @ct/oci (STYLE.md "Errors"): each wraps its cause and says where it happened.
 * Messages read "step: object: cause" in lower case.
 */
import { CtError } from './internal/ct-error.js';

/**
 * An image layout, archive or blob is unusable: missing, malformed, of an unknown or contradicting media type, or
 * failing size/digest verification. `digest` names the blob when there is one.
 * Codes: OCI_LAYOUT_INVALID, OCI_BLOB_MISSING, OCI_SIZE_MISMATCH, OCI_DIGEST_MISMATCH, OCI_DIFF_ID_MISMATCH,
 * OCI_MEDIA_TYPE_UNKNOWN, OCI_MEDIA_TYPE_MISMATCH, OCI_REF_NOT_FOUND, OCI_REF_AMBIGUOUS, OCI_REF_INVALID,
 * OCI_NO_MATCHING_PLATFORM, OCI_ARCHIVE_INVALID,
 * OCI_ARCHIVE_COMPRESSION (an archive compressed in a way that is not read), OCI_BUNDLE_EXISTS.
 */
export class OciLayoutError extends CtError {
  /** The blob concerned, when there is one. */
  readonly digest?: string;
  /** Its media type, when known. */
  readonly mediaType?: string;
  constructor(code: string, message: string, where: { digest?: string; mediaType?: string } = {}, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'OciLayoutError';
    if (where.digest !== undefined) this.digest = where.digest;
    if (where.mediaType !== undefined) this.mediaType = where.mediaType;
  }
}

/**
 * Applying a layer failed or was refused. `entryPath` is the tar entry's name as bytes decoded for display
 * (latin1 for non-UTF-8 names); `entryPathBytes` keeps the exact bytes.
 * Codes: OCI_ENTRY_UNSAFE (a name or link that climbs out of the root, a changed root type), OCI_ENTRY_INVALID
 * (unsupported type, bad header), OCI_TAR_HEADER_TOO_LARGE, OCI_TAR_INVALID, OCI_ENTRY_FAILED (a syscall failed:
 * see `cause`).
 */
export class LayerUnpackError extends CtError {
  /** Digest of the layer blob being applied. */
  readonly layerDigest: string;
  /** The entry's path for display, when the failure concerns one entry. */
  readonly entryPath?: string;
  /** The entry's path, byte-exact. */
  readonly entryPathBytes?: Buffer;
  constructor(code: string, layerDigest: string, entry: Buffer | undefined, why: string, options?: { cause?: unknown }) {
    const shown = entry === undefined ? undefined : displayName(entry);
    // a hostile name can be 64 KiB (PAX): the message shows its start and length, `entryPath` keeps it whole
    const brief = shown !== undefined && shown.length > 256 ? `${shown.slice(0, 200)}...(${entry!.length} bytes)` : shown;
    super(code, `unpack layer ${layerDigest}: ${brief === undefined ? '' : `${brief}: `}${why}`, options);
    this.name = 'LayerUnpackError';
    this.layerDigest = layerDigest;
    if (entry !== undefined && shown !== undefined) {
      this.entryPath = shown;
      this.entryPathBytes = entry;
    }
  }
}

/** A name for messages: UTF-8 when it is valid UTF-8, else latin1 (one char per byte, nothing lost). */
export function displayName(name: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(name);
  } catch {
    return name.toString('latin1');
  }
}
