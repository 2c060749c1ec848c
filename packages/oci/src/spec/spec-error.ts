/** The validation error of `@ct/oci/spec`: names the JSON path of the offending value. */
import { CtError } from '../internal/ct-error.js';

/**
 * A document (image index, manifest, config, runtime config.json) failed to parse or validate.
 * `jsonPath` points at the value (`$.layers[2].digest`); `code` is e.g. 'OCI_SPEC_INVALID', 'OCI_JSON_SYNTAX'.
 */
export class SpecValidationError extends CtError {
  /** JSONPath of the offending value, `$` for the document. */
  readonly jsonPath: string;
  constructor(code: string, jsonPath: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'SpecValidationError';
    this.jsonPath = jsonPath;
  }
}
