// Layer compression with fixed output for fixed input: gzip through node:zlib (RFC 1952 header with MTIME 0 and
// no file name; fixed level), or none, or zstd through the `zstd` command (zstd(1); same version, same bytes).

import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { ImageToolError } from './errors.mjs';

/** @typedef {'gzip'|'zstd'|'none'} Compression */

/** OCI media types of a layer by compression (image-spec media-types.md). */
export const LAYER_MEDIA_TYPES = Object.freeze({
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
});

/**
 * Compress a layer's tar bytes.
 * @param {Buffer} tar
 * @param {Compression} compression
 * @returns {Buffer}
 * @throws {ImageToolError} COMPRESSOR_MISSING when zstd is asked for and not installed; COMPRESSOR_FAILED
 */
export function compressLayer(tar, compression) {
  if (compression === 'none') return tar;
  // Node's gzip header carries MTIME 0 and OS 3 (unix): nothing varies between runs.
  if (compression === 'gzip') return gzipSync(tar, { level: 9 });
  if (compression === 'zstd') {
    const r = spawnSync('zstd', ['-q', '-c', '-19', '--no-progress'], { input: tar, maxBuffer: 1 << 30 });
    if (r.error) {
      const code = /** @type {NodeJS.ErrnoException} */ (r.error).code === 'ENOENT' ? 'COMPRESSOR_MISSING' : 'COMPRESSOR_FAILED';
      throw new ImageToolError(code, `compress layer: zstd: ${r.error.message}`, { cause: r.error });
    }
    if (r.status !== 0) {
      throw new ImageToolError('COMPRESSOR_FAILED', `compress layer: zstd: exit ${r.status}: ${r.stderr.toString().trim()}`);
    }
    return r.stdout;
  }
  throw new ImageToolError('ENTRY_INVALID', `compress layer: ${String(compression)}: unknown compression`);
}
