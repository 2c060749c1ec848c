// The one error type of the image tools: a stable `code` to branch on and a "step: object: cause" message.

/**
 * Codes: 'ENTRY_INVALID' (a layer entry or source cannot be encoded), 'COMPRESSOR_MISSING' (zstd not installed),
 * 'COMPRESSOR_FAILED', 'RECIPE_INVALID' (a test-images recipe is wrong), 'BUILD_FAILED' (a build step failed).
 */
export class ImageToolError extends Error {
  /**
   * @param {string} code stable code (see the class comment)
   * @param {string} message "step: object: cause", lower case
   * @param {{cause?: unknown}} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'ImageToolError';
    /** @readonly */
    this.code = code;
  }
}
