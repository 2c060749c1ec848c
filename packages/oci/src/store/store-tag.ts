/**
 * `image tag`: more names for an image of the store. Names are normalised as import's (image-names.ts) and one
 * name belongs to one image, so a name another image holds moves to this one, as podman's tag moves it.
 * Man pages: podman-tag(1).
 */
import { withStoreLock } from './store-lock.js';
import { normalizeImageName, withEffectiveNames } from './image-names.js';
import { storePaths, type StoreOptions } from './store-paths.js';
import { findImageLocked } from './store-query.js';
import { imageRecordPath, readImageRecords, writeJsonAtomic, type ImageRecord } from './store-records.js';

/**
 * Give image `nameOrDigest` the names `names` (moved from any image that holds one). Returns its record.
 * @throws CtError STORE_NAME_INVALID (a bad name: nothing is changed), STORE_IMAGE_NOT_FOUND, STORE_IMAGE_AMBIGUOUS.
 */
export async function tagImage(nameOrDigest: string, names: readonly string[], options: StoreOptions = {}): Promise<ImageRecord> {
  const normal = names.map((n) => normalizeImageName(n));
  const paths = storePaths(options);
  return withStoreLock(paths, 'exclusive', () => {
    const image = findImageLocked(paths, nameOrDigest);
    for (const other of withEffectiveNames(readImageRecords(paths))) {
      if (other.digest === image.digest || !other.names.some((n) => normal.includes(n))) continue;
      writeJsonAtomic(imageRecordPath(paths, other.digest), { ...other, names: other.names.filter((n) => !normal.includes(n)) });
    }
    const record: ImageRecord = { ...image, names: [...new Set([...image.names, ...normal])] };
    writeJsonAtomic(imageRecordPath(paths, image.digest), record);
    return record;
  });
}
