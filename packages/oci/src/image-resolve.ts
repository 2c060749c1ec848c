/**
 * From a reference to the image to unpack: find the descriptor (by tag annotation or digest), descend through
 * nested indexes choosing the platform, read and validate the manifest and config, and check media types at each
 * step: an unknown media type is refused, and a document whose own `mediaType` contradicts its descriptor is
 * refused (image-spec manifest.md, image-index.md; Docker's manifest v2 schema 2).
 */
import { OciLayoutError } from './errors.js';
import type { ImageSource } from './image-source.js';
import { checkImagePlatform, formatPlatform, hostPlatform, selectPlatform } from './platform.js';
import type { ImageRef } from './reference.js';
import {
  validateImageConfig, validateImageIndex, validateImageManifest,
  type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest, type Platform,
} from './spec/image-spec.js';
import type { JsonValue } from './spec/lossless-json.js';
import { ANNOTATION_REF_NAME, layerCompression, mediaKind, type LayerCompression, type MediaKind } from './spec/media-types.js';

/** One layer to apply: its blob, compression and the uncompressed digest it must have. */
export interface ResolvedLayer {
  /** The layer's descriptor in the manifest (its blob digest, size and media type). */
  readonly descriptor: Descriptor;
  /** How the blob is compressed, from its media type. */
  readonly compression: LayerCompression;
  /** The digest the uncompressed tar must have (the config's `rootfs.diff_ids` entry at the same index). */
  readonly diffId: string;
}

/** An image ready to unpack. */
export interface ResolvedImage {
  /** Where the blobs are read from. */
  readonly source: ImageSource;
  /** The descriptor of the chosen manifest (after descending through any index). */
  readonly manifestDescriptor: Descriptor;
  /** The validated manifest. */
  readonly manifest: ImageManifest;
  /** The validated image config. */
  readonly config: ImageConfig;
  /** The layers, base first, one per manifest layer. */
  readonly layers: readonly ResolvedLayer[];
}

const MAX_INDEX_DEPTH = 8;

function bodyMediaType(v: JsonValue): string | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || typeof v === 'bigint') return undefined;
  const m = v.mediaType;
  return typeof m === 'string' ? m : undefined;
}

/** Read a JSON blob of the expected kind, refusing unknown or contradicting media types. */
function readDocument(source: ImageSource, desc: Descriptor, want: readonly MediaKind[]): JsonValue {
  const kind = mediaKind(desc.mediaType);
  if (kind === undefined) {
    throw new OciLayoutError('OCI_MEDIA_TYPE_UNKNOWN', `resolve image: ${desc.digest}: unknown media type ${JSON.stringify(desc.mediaType)}`, { digest: desc.digest, mediaType: desc.mediaType });
  }
  if (!want.includes(kind)) {
    throw new OciLayoutError('OCI_MEDIA_TYPE_MISMATCH', `resolve image: ${desc.digest}: ${desc.mediaType} where ${want.join(' or ')} was expected`, { digest: desc.digest, mediaType: desc.mediaType });
  }
  const doc = source.readJsonBlob(desc);
  const own = bodyMediaType(doc);
  if (own !== undefined ? own !== desc.mediaType : kind !== 'config' && desc.mediaType.startsWith('application/vnd.docker.')) {
    throw new OciLayoutError('OCI_MEDIA_TYPE_MISMATCH', `resolve image: ${desc.digest}: descriptor says ${desc.mediaType} but the document says ${own ?? 'nothing'}`, { digest: desc.digest, mediaType: desc.mediaType });
  }
  return doc;
}

function tagMatches(source: ImageSource, d: Descriptor, tag: string): boolean {
  const name = d.annotations?.[ANNOTATION_REF_NAME];
  if (name === undefined) return false;
  if (name === tag) return true;
  // docker save names images "repo:tag"; let `archive.tar:tag` pick them when unambiguous.
  return source.format === 'docker-archive' && !tag.includes(':') && name.endsWith(`:${tag}`);
}

/**
 * Look for `digest` in `index` and the indexes it nests. Each nested index is read once (`seen`): an index listing
 * the next one thousands of times, nested deep, would otherwise be read thousands^depth times.
 */
function findByDigest(source: ImageSource, index: ImageIndex, digest: string, depth: number, seen = new Set<string>()): Descriptor | undefined {
  const direct = index.manifests.find((d) => d.digest === digest);
  if (direct !== undefined || depth >= MAX_INDEX_DEPTH) return direct;
  for (const d of index.manifests) {
    if (mediaKind(d.mediaType) !== 'index' || seen.has(d.digest) || !source.hasBlob(d)) continue;
    seen.add(d.digest);
    const nested = validateImageIndex(readDocument(source, d, ['index']), d.digest);
    const found = findByDigest(source, nested, digest, depth + 1, seen);
    if (found !== undefined) return found;
  }
  return undefined;
}

function chooseTop(source: ImageSource, ref: ImageRef, platform: Platform): Descriptor {
  const all = source.index.manifests;
  const where = source.location;
  if (ref.digest !== undefined) {
    const d = findByDigest(source, source.index, ref.digest, 0);
    if (d === undefined) throw new OciLayoutError('OCI_REF_NOT_FOUND', `resolve image: ${where}@${ref.digest}: no such manifest or index`, { digest: ref.digest });
    return d;
  }
  let candidates: readonly Descriptor[];
  if (ref.tag !== undefined) {
    const tag = ref.tag;
    candidates = all.filter((d) => tagMatches(source, d, tag));
    if (candidates.length === 0) throw new OciLayoutError('OCI_REF_NOT_FOUND', `resolve image: ${where}:${tag}: no index.json entry has this ${ANNOTATION_REF_NAME}`);
  } else if (all.length === 1) {
    candidates = all;
  } else {
    candidates = all.filter((d) => tagMatches(source, d, 'latest'));
    if (candidates.length === 0) throw new OciLayoutError('OCI_REF_AMBIGUOUS', `resolve image: ${where}: index.json has ${all.length} entries and none is tagged latest: give a tag or digest`);
  }
  if (new Set(candidates.map((d) => d.digest)).size === 1) return candidates[0]!;
  const best = selectPlatform(candidates, platform);
  if (best === undefined) throw new OciLayoutError('OCI_REF_AMBIGUOUS', `resolve image: ${where}: ${candidates.length} entries match and none is for ${formatPlatform(platform)}`);
  return best;
}

/**
 * Resolve `ref` in `source` for `wanted` (default: the host's, and then an image of one other platform is taken
 * as it is, as podman runs it). A platform asked for explicitly must be the image's: a single-platform image of
 * another one is refused, naming both.
 * @throws OciLayoutError (OCI_REF_NOT_FOUND, OCI_REF_AMBIGUOUS, OCI_NO_MATCHING_PLATFORM, OCI_MEDIA_TYPE_*,
 *   OCI_BLOB_MISSING, OCI_DIGEST_MISMATCH, OCI_SIZE_MISMATCH, OCI_DIFF_IDS_COUNT) or SpecValidationError.
 */
export function resolveImage(source: ImageSource, ref: ImageRef, wanted?: Platform): ResolvedImage {
  const platform = wanted ?? hostPlatform();
  let desc = chooseTop(source, ref, platform);
  for (let depth = 0; mediaKind(desc.mediaType) === 'index'; depth++) {
    if (depth >= MAX_INDEX_DEPTH) throw new OciLayoutError('OCI_LAYOUT_INVALID', `resolve image: ${desc.digest}: indexes nested deeper than ${MAX_INDEX_DEPTH}`, { digest: desc.digest });
    const index = validateImageIndex(readDocument(source, desc, ['index']), desc.digest);
    const usable = index.manifests.filter((d) => mediaKind(d.mediaType) === 'manifest' || mediaKind(d.mediaType) === 'index');
    const next = usable.length === 1 && usable[0]!.platform === undefined ? usable[0] : selectPlatform(usable, platform);
    if (next === undefined) {
      throw new OciLayoutError('OCI_NO_MATCHING_PLATFORM', `resolve image: ${desc.digest}: no manifest for ${formatPlatform(platform)}`, { digest: desc.digest, mediaType: desc.mediaType });
    }
    desc = next;
  }
  const manifest = validateImageManifest(readDocument(source, desc, ['manifest']), desc.digest);
  const config = validateImageConfig(readDocument(source, manifest.config, ['config']), manifest.config.digest);
  if (wanted !== undefined) checkImagePlatform(config, wanted, `resolve image: ${desc.digest}`, desc.digest);
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new OciLayoutError('OCI_DIFF_IDS_COUNT', `resolve image: ${desc.digest}: ${manifest.layers.length} layers but ${config.rootfs.diff_ids.length} diff_ids in config ${manifest.config.digest}`, { digest: desc.digest });
  }
  const layers = manifest.layers.map((d, i): ResolvedLayer => {
    const compression = layerCompression(d.mediaType);
    if (compression === undefined) {
      const code = mediaKind(d.mediaType) === undefined ? 'OCI_MEDIA_TYPE_UNKNOWN' : 'OCI_MEDIA_TYPE_MISMATCH';
      throw new OciLayoutError(code, `resolve image: layer ${d.digest}: cannot apply media type ${JSON.stringify(d.mediaType)}`, { digest: d.digest, mediaType: d.mediaType });
    }
    return { descriptor: d, compression, diffId: config.rootfs.diff_ids[i]! };
  });
  return { source, manifestDescriptor: desc, manifest, config, layers };
}
