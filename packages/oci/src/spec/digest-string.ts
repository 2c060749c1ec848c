/**
 * Digest strings (`algorithm:encoded`, image-spec descriptor.md) checked before they are used anywhere, above all
 * before one becomes a path under `blobs/`: only the registered algorithms, lower-case hex of the exact length.
 */
import { SpecValidationError } from './spec-error.js';

/** Hash algorithms ct verifies. */
export type DigestAlgorithm = 'sha256' | 'sha512';

/** A digest split into its parts. */
export interface ParsedDigest {
  /** The hash algorithm named before the colon. */
  readonly algorithm: DigestAlgorithm;
  /** Lower-case hex, 64 (sha256) or 128 (sha512) characters. */
  readonly hex: string;
}

const HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha512: 128 };

/** True when `s` is a digest ct accepts. */
export function isDigest(s: string): boolean {
  const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(s);
  return m !== null && m[2]!.length === HEX_LENGTH[m[1] as DigestAlgorithm];
}

/**
 * Parse and check a digest string; `jsonPath` names where it came from and `what` the document (both in the message).
 * @throws SpecValidationError code 'OCI_BAD_DIGEST'.
 */
export function parseDigest(s: string, jsonPath = '$', what?: string): ParsedDigest {
  if (!isDigest(s)) {
    const shown = s.length > 200 ? `${s.slice(0, 200)}...` : s;
    const where = `${what !== undefined ? `${what}: ` : ''}${jsonPath !== '$' ? `${jsonPath}: ` : ''}`;
    throw new SpecValidationError('OCI_BAD_DIGEST', jsonPath, `parse digest: ${where}${JSON.stringify(shown)}: not sha256 or sha512 followed by lower-case hex of the right length`);
  }
  const i = s.indexOf(':');
  return { algorithm: s.slice(0, i) as DigestAlgorithm, hex: s.slice(i + 1) };
}
