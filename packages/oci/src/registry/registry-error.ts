/**
 * Errors of the registry client (distribution-spec): a reference that does not parse, an HTTP exchange that failed
 * or was refused, credentials that are missing or wrong. Blob verification failures stay OciLayoutError
 * (OCI_DIGEST_MISMATCH, OCI_SIZE_MISMATCH) from the DigestVerifier, naming the blob.
 */
import { CtError } from '../internal/ct-error.js';

/**
 * A registry operation failed. `url` names the request when there is one, `status` the HTTP status.
 * Codes: REGISTRY_REF_INVALID, REGISTRY_HTTP (unexpected status), REGISTRY_NOT_FOUND (404 manifest or blob),
 * REGISTRY_UNAUTHORIZED (401/403 after authenticating), REGISTRY_AUTH_FAILED (token service refused or answered
 * badly), REGISTRY_NETWORK (connection, TLS or premature end), REGISTRY_INSECURE (plain HTTP to a non-loopback host
 * without --insecure-http), REGISTRY_REDIRECT (too many or bad redirects), REGISTRY_MANIFEST_INVALID,
 * REGISTRY_AUTH_FILE_INVALID, REGISTRY_CRED_HELPER_MISSING (a credential helper not on PATH),
 * REGISTRY_CRED_HELPER_FAILED (it failed or answered badly).
 */
export class RegistryError extends CtError {
  /** The URL concerned, when there is one. */
  readonly url?: string;
  /** The HTTP status, when one came. */
  readonly status?: number;
  constructor(code: string, message: string, where: { url?: string; status?: number } = {}, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'RegistryError';
    if (where.url !== undefined) this.url = where.url;
    if (where.status !== undefined) this.status = where.status;
  }
}
