/**
 * Image references as `ct image unpack` takes them: `PATH`, `PATH:TAG` (an index.json entry's
 * org.opencontainers.image.ref.name annotation, umoci's `--image DIR:TAG`) or `PATH@sha256:HEX`. PATH may itself
 * hold ':' (a file `img.tar` with the tag `busybox:latest` is `img.tar:busybox:latest`): the longest prefix that
 * exists on disk is the path.
 */
import { existsSync } from 'node:fs';
import { OciLayoutError } from './errors.js';
import { isDigest } from './spec/digest-string.js';

/** A parsed reference. */
export interface ImageRef {
  /** The layout directory or archive file. */
  readonly path: string;
  /** The tag (ref-name annotation), when given. */
  readonly tag?: string;
  /** The manifest or index digest, when given. */
  readonly digest?: string;
}

/** Tags as ref.name annotations hold them (image-spec annotations.md: a reference's tag or a full reference). */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._:/@+-]{0,255}$/;

/**
 * Parse `PATH[:TAG|@DIGEST]`. `exists` is injectable for tests.
 * @throws OciLayoutError code OCI_REF_INVALID (bad digest or tag, or no part of it exists).
 */
export function parseImageRef(ref: string, exists: (p: string) => boolean = existsSync): ImageRef {
  const at = ref.lastIndexOf('@');
  if (at > 0 && ref.slice(at + 1).includes(':') && !ref.slice(at + 1).includes('/')) {
    const digest = ref.slice(at + 1);
    if (!isDigest(digest)) throw new OciLayoutError('OCI_REF_INVALID', `parse reference: ${ref}: ${JSON.stringify(digest)} is not a valid digest`);
    return { path: ref.slice(0, at), digest };
  }
  if (exists(ref)) return { path: ref };
  for (let i = ref.lastIndexOf(':'); i > 0; i = ref.lastIndexOf(':', i - 1)) {
    const path = ref.slice(0, i);
    if (!exists(path)) continue;
    const tag = ref.slice(i + 1);
    if (!TAG.test(tag)) throw new OciLayoutError('OCI_REF_INVALID', `parse reference: ${ref}: ${JSON.stringify(tag)} is not a valid tag`);
    return { path, tag };
  }
  throw new OciLayoutError('OCI_REF_INVALID', `parse reference: ${ref}: no such image layout or archive`);
}
