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
  /** CPU architecture as Go's GOARCH names it (`amd64`, `arm64`, ...). */
  readonly architecture: string;
  /** Operating system as Go's GOOS names it (`linux`). */
  readonly os: string;
  /** CPU variant (`v7`, `v8`, ...). */
  readonly variant?: string;
  /** The OS version (JSON `os.version`; Windows images use it). */
  readonly osVersion?: string;
  /** Required OS features (JSON `os.features`). */
  readonly osFeatures?: readonly string[];
}

/** A content descriptor. */
export interface Descriptor {
  /** Media type of the content it points at (see the `OCI_*`/`DOCKER_*` constants). */
  readonly mediaType: string;
  /** Digest of the content, `algorithm:hex` (checked as a digest by validation). */
  readonly digest: string;
  /** Size of the content in bytes (0 to 2^63-1). */
  readonly size: bigint;
  /** Other places the content may be downloaded from. */
  readonly urls?: readonly string[];
  /** Free-form string metadata. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** In an index: the platform of the manifest it points at. */
  readonly platform?: Platform;
  /** The artifact's type, for a manifest that is not an image. */
  readonly artifactType?: string;
}

/** An image index (or Docker manifest list). */
export interface ImageIndex {
  /** Always 2 (validation refuses other values). */
  readonly schemaVersion: 2;
  /** The index's own media type, when the document states it. */
  readonly mediaType?: string;
  /** The manifests (or nested indexes) it lists. */
  readonly manifests: readonly Descriptor[];
  /** Free-form string metadata. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** An image manifest (OCI or Docker schema 2). */
export interface ImageManifest {
  /** Always 2 (validation refuses other values). */
  readonly schemaVersion: 2;
  /** The manifest's own media type, when the document states it. */
  readonly mediaType?: string;
  /** The image config blob. */
  readonly config: Descriptor;
  /** The layer blobs, base layer first. */
  readonly layers: readonly Descriptor[];
  /** Free-form string metadata. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The execution parameters of an image config (config.md `config`). */
export interface ImageExecConfig {
  /** The user to run as: `user`, `uid`, `user:group`, `uid:gid` (and mixes), resolved in the image's /etc/passwd and /etc/group. */
  readonly User?: string;
  /** Ports to expose, as keys `port/tcp` or `port/udp` (values are empty objects). */
  readonly ExposedPorts?: Readonly<Record<string, unknown>>;
  /** Environment, as `NAME=value` strings. */
  readonly Env?: readonly string[];
  /** The program and its first arguments; the run's arguments (or `Cmd`) follow it. */
  readonly Entrypoint?: readonly string[];
  /** Default arguments (after `Entrypoint`), or the default command when there is no entrypoint. */
  readonly Cmd?: readonly string[];
  /** Directories meant to be volumes, as keys (values are empty objects). */
  readonly Volumes?: Readonly<Record<string, unknown>>;
  /** The working directory of the process. */
  readonly WorkingDir?: string;
  /** Free-form string metadata. */
  readonly Labels?: Readonly<Record<string, string>>;
  /** The signal that stops the container (`SIGTERM`, `15`, ...). */
  readonly StopSignal?: string;
}

/** An image config. */
export interface ImageConfig {
  /** CPU architecture (GOARCH name). */
  readonly architecture: string;
  /** Operating system (GOOS name). */
  readonly os: string;
  /** CPU variant. */
  readonly variant?: string;
  /** Creation time, an RFC 3339 string as the image states it (not parsed). */
  readonly created?: string;
  /** Who made the image. */
  readonly author?: string;
  /** How to run it. */
  readonly config?: ImageExecConfig;
  /** The layers' uncompressed digests, base first. */
  readonly rootfs: {
    /** Always `layers`. */
    readonly type: 'layers';
    /** The digest of each layer's uncompressed tar (DiffID), in the manifest's layer order. */
    readonly diff_ids: readonly string[];
  };
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
  parseDigest(digest, `${path}.digest`, what);
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

/** An ExposedPorts key: a port or range, optionally with a protocol (Docker's nat.ParsePortSpec forms). */
const EXPOSED_PORT = /^[0-9]{1,5}(-[0-9]{1,5})?(\/(tcp|udp|sctp))?$/i;

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
    if (m === undefined) continue;
    const set = asObject(m, what, `${p}.${k}`);
    // a set: each value is an empty object or null in Go's struct{} (umoci and podman refuse other values)
    for (const key of Object.keys(set)) if (set[key] !== null) asObject(set[key], what, `${p}.${k}[${JSON.stringify(key)}]`);
    out[k] = set;
  }
  const ports = out.ExposedPorts as Record<string, unknown> | undefined;
  for (const key of Object.keys(ports ?? {})) {
    if (!EXPOSED_PORT.test(key)) invalid(what, `${p}.ExposedPorts`, `${JSON.stringify(key)} is not PORT[-PORT][/tcp|udp|sctp]`);
  }
  const env = out.Env as string[] | undefined;
  env?.forEach((e, i) => {
    // runc refuses these at start, umoci at unpack: refused here naming the entry
    const eq = e.indexOf('=');
    if (eq <= 0) invalid(what, `${p}.Env[${i}]`, `${JSON.stringify(e.length > 200 ? `${e.slice(0, 200)}...` : e)} is not NAME=value${eq === 0 ? ' (empty name)' : ''}`);
  });
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
    parseDigest(s, `$.rootfs.diff_ids[${i}]`, what);
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
