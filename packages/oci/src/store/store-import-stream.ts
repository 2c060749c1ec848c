/**
 * `image import -`: an image archive (oci-archive or docker save) read from a stream, stdin. Archives are read by
 * seeking (image-source.ts), so the stream is first written to a staging file of the store (guarded by its held
 * lock, as import's staging dirs: a concurrent import's clean-up leaves it alone) and imported from there.
 * Man pages: flock(2).
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ensureStore, withStagingDir } from './store-lock.js';
import { storePaths } from './store-paths.js';
import { importImage, type ImportOptions, type ImportResult } from './store-import.js';

/**
 * Import the archive `input` streams. Without `options.name` the archive must name its image (a docker archive's
 * RepoTags, an oci-archive's ref.name annotation with a registry or tag): else it is refused, asking for a name.
 * @throws as importImage; CtError STORE_NAME_INVALID when nothing names the image.
 */
export async function importImageStream(input: Readable, options: ImportOptions = {}): Promise<ImportResult> {
  const paths = storePaths(options);
  ensureStore(paths);
  return withStagingDir(paths, 'stdin', async (dir) => {
    // named `-`: an unnamed image's default name is then "-:latest", which import refuses asking for --name
    const file = join(dir, '-');
    await pipeline(input, createWriteStream(file, { mode: 0o600 }));
    return importImage(file, options);
  });
}
