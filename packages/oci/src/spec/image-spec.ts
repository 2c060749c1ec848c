/**
 * OCI image-spec v1.1 documents (descriptor, index, manifest, image config) as TypeScript types, validated from
 * parsed JSON with errors naming the JSON path. Docker schema 2 documents have the same shape for what ct reads.
 * Sizes are bigint (int64 in the spec). See image-spec: descriptor.md, image-index.md, manifest.md, config.md.
 */
import { parseDigest } from './digest-string.js';
import {
  asArray, asInteger, asObject, asString, field, INT64_MAX, invalid, optString, optStringArray, optStringMap,
  reqString, type JsonObject,
} from './json-reader.js';
import type { JsonValue } from './lossless-json.js';

/** Where an image runs (image-index.md `platform`). */
export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly osVersion?: string;
  readonly osFeatures?: readonly string[];
}

/** A content descriptor. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: bigint;
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: Platform;
  readonly artifactType?: string;
}

/** An image index (or Docker manifest list). */
export interface ImageIndex {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly manifests: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/** An image manifest (OCI or Docker schema 2). */
export interface ImageManifest {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The execution parameters of an image config (config.md `config`). */
export interface ImageExecConfig {
  readonly User?: string;
  readonly ExposedPorts?: Readonly<Record<string, unknown>>;
  readonly Env?: readonly string[];
  readonly Entrypoint?: readonly string[];
  readonly Cmd?: readonly string[];
  readonly Volumes?: Readonly<Record<string, unknown>>;
  readonly WorkingDir?: string;
  readonly Labels?: Readonly<Record<string, string>>;
  readonly StopSignal?: string;
}

/** An image config. */
export interface ImageConfig {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly created?: string;
  readonly author?: string;
  readonly config?: ImageExecConfig;
  readonly rootfs: { readonly type: 'layers'; readonly diff_ids: readonly string[] };
}

function optPlatform(o: JsonObject, what: string, path: string): Platform | undefined {
  const v = field(o, 'platform');
  if (v === undefined) return undefined;
  const p = asObject(v, what, `${path}.platform`);
  const pp = `${path}.platform`;
  const variant = optString(p, 'variant', what, pp);
  const osVersion = optString(p, 'os.version', what, pp);
  const osFeatures = optStringArray(p, 'os.features', what, pp);
  return {
    architecture: reqString(p, 'architecture', what, pp),
    os: reqString(p, 'os', what, pp),
    ...(variant !== undefined ? { variant } : {}),
    ...(osVersion !== undefined ? { osVersion } : {}),
    ...(osFeatures !== undefined ? { osFeatures } : {}),
  };
}

/** Validate a descriptor at `path` of document `what`. */
export function validateDescriptor(v: JsonValue | undefined, what: string, path: string): Descriptor {
  const o = asObject(v, what, path);
  const mediaType = reqString(o, 'mediaType', what, path);
  const digest = reqString(o, 'digest', what, path);
  parseDigest(digest, `${path}.digest`);
  const size = asInteger(field(o, 'size'), what, `${path}.size`, 0n, INT64_MAX);
  const urls = optStringArray(o, 'urls', what, path);
  const annotations = optStringMap(o, 'annotations', what, path);
  const platform = optPlatform(o, what, path);
  const artifactType = optString(o, 'artifactType', what, path);
  return {
    mediaType, digest, size,
    ...(urls !== undefined ? { urls } : {}),
    ...(annotations !== undefined ? { annotations } : {}),
    ...(platform !== undefined ? { platform } : {}),
    ...(artifactType !== undefined ? { artifactType } : {}),
  };
}

function schemaVersion2(o: JsonObject, what: string): 2 {
  const n = asInteger(field(o, 'schemaVersion'), what, '$.schemaVersion', 0n, INT64_MAX);
  if (n !== 2n) invalid(what, '$.schemaVersion', `must be 2, found ${n}`);
  return 2;
}

/** Validate an image index document. */
export function validateImageIndex(v: JsonValue, what: string): ImageIndex {
  const o = asObject(v, what, '$');
  const schemaVersion = schemaVersion2(o, what);
  const mediaType = optString(o, 'mediaType', what, '$');
  const manifests = asArray(field(o, 'manifests'), what, '$.manifests')
    .map((d, i) => validateDescriptor(d, what, `$.manifests[${i}]`));
  const annotations = optStringMap(o, 'annotations', what, '$');
  return {
    schemaVersion, manifests,
    ...(mediaType !== undefined ? { mediaType } : {}),
    ...(annotations !== undefined ? { annotations } : {}),
  };
}

/** Validate an image manifest document. */
export function validateImageManifest(v: JsonValue, what: string): ImageManifest {
  const o = asObject(v, what, '$');
  const schemaVersion = schemaVersion2(o, what);
  const mediaType = optString(o, 'mediaType', what, '$');
  const config = validateDescriptor(field(o, 'config'), what, '$.config');
  const layers = asArray(field(o, 'layers'), what, '$.layers').map((d, i) => validateDescriptor(d, what, `$.layers[${i}]`));
  const annotations = optStringMap(o, 'annotations', what, '$');
  return {
    schemaVersion, config, layers,
    ...(mediaType !== undefined ? { mediaType } : {}),
    ...(annotations !== undefined ? { annotations } : {}),
  };
}

function validateExecConfig(v: JsonValue | undefined, what: string): ImageExecConfig | undefined {
  if (v === undefined) return undefined;
  const p = '$.config';
  const o = asObject(v, what, p);
  const out: Record<string, unknown> = {};
  for (const k of ['User', 'WorkingDir', 'StopSignal'] as const) {
    const s = optString(o, k, what, p);
    if (s !== undefined) out[k] = s;
  }
  for (const k of ['Env', 'Entrypoint', 'Cmd'] as const) {
    const a = optStringArray(o, k, what, p);
    if (a !== undefined) out[k] = a;
  }
  const labels = optStringMap(o, 'Labels', what, p);
  if (labels !== undefined) out.Labels = labels;
  for (const k of ['ExposedPorts', 'Volumes'] as const) {
    const m = field(o, k);
    if (m !== undefined) out[k] = asObject(m, what, `${p}.${k}`);
  }
  return out as ImageExecConfig;
}

/** Validate an image config document (the diff_ids are checked as digests). */
export function validateImageConfig(v: JsonValue, what: string): ImageConfig {
  const o = asObject(v, what, '$');
  const rootfs = asObject(field(o, 'rootfs'), what, '$.rootfs');
  const type = reqString(rootfs, 'type', what, '$.rootfs');
  if (type !== 'layers') invalid(what, '$.rootfs.type', `must be "layers", found ${JSON.stringify(type)}`);
  const diffIds = asArray(field(rootfs, 'diff_ids'), what, '$.rootfs.diff_ids').map((d, i) => {
    const s = asString(d, what, `$.rootfs.diff_ids[${i}]`);
    parseDigest(s, `$.rootfs.diff_ids[${i}]`);
    return s;
  });
  const config = validateExecConfig(field(o, 'config'), what);
  const out: Record<string, unknown> = {
    architecture: reqString(o, 'architecture', what, '$'),
    os: reqString(o, 'os', what, '$'),
    rootfs: { type: 'layers', diff_ids: diffIds },
  };
  for (const k of ['variant', 'created', 'author'] as const) {
    const s = optString(o, k, what, '$');
    if (s !== undefined) out[k] = s;
  }
  if (config !== undefined) out.config = config;
  return out as unknown as ImageConfig;
}
