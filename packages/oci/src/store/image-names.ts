/**
 * Image names in the store, normalised once the way `docker pull` and podman's short names read them
 * (distribution/reference: a bare `busybox` is `docker.io/library/busybox:latest`, `user/app` is
 * `docker.io/user/app:latest`, `localhost:5000/app` is `localhost:5000/app:latest`), so that `busybox`,
 * `busybox:latest` and `docker.io/library/busybox` are one name for import, pull, lookup, listing and removal.
 * Names are validated as podman validates them (lower case components of letters, digits and separators, no
 * leading separator, at most 255 characters for the repository, 128 for the tag). One name belongs to one image:
 * an import or pull moves it; in a store written before names were normalised, the newest import holding a name
 * keeps it. (Podman itself names a locally tagged short name `localhost/NAME`; ct uses Docker Hub's rule for
 * both, so an imported `busybox` and a pulled one are the same name.)
 */
import { CtError } from '../internal/ct-error.js';
import { formatRegistryRef, parseRegistryRef } from '../registry/registry-reference.js';
import type { ImageRecord } from './store-records.js';

/**
 * The normal form of image name `name`.
 * @throws CtError STORE_NAME_INVALID naming the name and what is wrong with it.
 */
export function normalizeImageName(name: string): string {
  return formatRegistryRef(parseRegistryRef(name, (ref, why) => new CtError('STORE_NAME_INVALID', `image name ${JSON.stringify(ref)}: ${why}`)));
}

/** The normal form of `name`, or undefined when it is not a valid name (a path, a digest prefix, a typo). */
export function tryNormalizeImageName(name: string): string | undefined {
  try {
    return normalizeImageName(name);
  } catch {
    return undefined;
  }
}

/**
 * The records with their names normalised and each name kept only on the newest import holding it (a store from
 * before normalisation may hold `busybox:latest` and `docker.io/library/busybox:latest` on two images).
 */
export function withEffectiveNames(records: readonly ImageRecord[]): ImageRecord[] {
  const owner = new Map<string, ImageRecord>();
  for (const r of records) {
    for (const n of r.names) {
      const name = tryNormalizeImageName(n) ?? n;
      const held = owner.get(name);
      if (held === undefined || held.imported < r.imported) owner.set(name, r);
    }
  }
  return records.map((r) => {
    const names = [...new Set(r.names.map((n) => tryNormalizeImageName(n) ?? n))].filter((n) => owner.get(n) === r);
    return names.length === r.names.length && names.every((n, i) => n === r.names[i]) ? r : { ...r, names };
  });
}
