/**
 * The base error of ct as @ct/oci sees it.
 *
 * STYLE.md: `CtError extends Error` with a stable `code` and ES2022 `cause`. The class belongs in @ct/syscalls; it is
 * re-declared here with the same shape until @ct/syscalls exports it from a subpath that does not load the addon
 * (see NEEDS-FROM-SYSCALLS.md), because `@ct/oci/spec` must stay light.
 */

/** A ct error: programs branch on `code`, never on the message ("step: object: cause", lower case). */
export class CtError extends Error {
  /** Stable machine-readable code, e.g. 'OCI_DIGEST_MISMATCH'. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
