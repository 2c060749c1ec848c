/**
 * Opening an image from a path: an OCI layout directory, an `oci-archive` tarball, or a `docker save` tarball
 * (whose manifest.json is turned into an equivalent OCI layout in memory: Docker schema 2 manifests built from
 * the archive's config and layer files, with their digests computed while reading the archive). See image-spec
 * image-layout.md and Docker's image/spec/v1.2.md ("docker save" format).
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { readArchive, type ArchiveContents } from './archive-read.js';
import { digestOf } from './digest.js';
import { OciLayoutError } from './errors.js';
import { directoryFiles, extractedFiles, ImageSource, MAX_JSON_BYTES } from './image-source.js';
import { asArray, asObject, asString, field, optStringArray } from './spec/json-reader.js';
import { parseJson, stringifyJson } from './spec/lossless-json.js';
import {
  ANNOTATION_REF_NAME, DOCKER_CONFIG, DOCKER_LAYER_GZIP, DOCKER_LAYER_TAR, DOCKER_MANIFEST, OCI_LAYER_ZSTD,
} from './spec/media-types.js';

/** Options of {@link openImage}. */
export interface OpenImageOptions {
  /** Where archives are read into (default os.tmpdir()). */
  readonly tmpDir?: string;
}

/**
 * Open the image at `path` (a layout directory or an archive file). Close the result when done.
 * @throws OciLayoutError (OCI_LAYOUT_INVALID, OCI_ARCHIVE_INVALID, OCI_REF_INVALID) or SpecValidationError.
 */
export async function openImage(path: string, options: OpenImageOptions = {}): Promise<ImageSource> {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (cause) {
    throw new OciLayoutError('OCI_REF_INVALID', `open image: ${path}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, {}, { cause });
  }
  if (isDir) return new ImageSource(path, 'oci-layout', directoryFiles(path));
  const archive = await readArchive(path, options.tmpDir);
  try {
    if (archive.lookup('oci-layout') !== undefined && archive.lookup('index.json') !== undefined) {
      return new ImageSource(path, 'oci-archive', { lookup: (rel) => archive.lookup(rel)?.path, dispose: () => rm(archive.tmpDir, { recursive: true, force: true }) });
    }
    if (archive.lookup('manifest.json') !== undefined) return new ImageSource(path, 'docker-archive', extractedFiles(dockerLayout(path, archive), archive.tmpDir));
    throw new OciLayoutError('OCI_ARCHIVE_INVALID', `open image: ${path}: neither an oci-archive (oci-layout, index.json) nor a docker save archive (manifest.json)`);
  } catch (err) {
    await rm(archive.tmpDir, { recursive: true, force: true });
    throw err;
  }
}

function layerMediaType(file: string): string {
  const fd = openSync(file, 'r');
  const magic = Buffer.alloc(4);
  try {
    readSync(fd, magic, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (magic[0] === 0x1f && magic[1] === 0x8b) return DOCKER_LAYER_GZIP;
  if (magic.readUInt32LE(0) === 0xfd2fb528) return OCI_LAYER_ZSTD;
  return DOCKER_LAYER_TAR;
}

/** The files of an OCI layout equivalent to a docker save archive. */
function dockerLayout(path: string, archive: ArchiveContents): Map<string, string | Buffer> {
  const what = `${path}/manifest.json`;
  const mf = archive.lookup('manifest.json')!;
  if (mf.size > MAX_JSON_BYTES) throw new OciLayoutError('OCI_ARCHIVE_INVALID', `open image: ${what}: ${mf.size} bytes exceeds the limit of ${MAX_JSON_BYTES}`);
  const doc = parseJson(readFileSync(mf.path), what);
  const out = new Map<string, string | Buffer>();
  const blob = (digest: string, at: string | Buffer): void => { out.set(`blobs/${digest.replace(':', '/')}`, at); };
  const member = (name: string, jsonPath: string) => {
    const f = archive.lookup(name);
    if (f === undefined) throw new OciLayoutError('OCI_ARCHIVE_INVALID', `open image: ${what}: ${jsonPath}: ${name} is not in the archive`);
    return f;
  };
  const manifests: unknown[] = [];
  asArray(doc, what, '$').forEach((e, i) => {
    const o = asObject(e, what, `$[${i}]`);
    const cfg = member(asString(field(o, 'Config'), what, `$[${i}].Config`), `$[${i}].Config`);
    blob(cfg.digest, cfg.path);
    const layers = asArray(field(o, 'Layers'), what, `$[${i}].Layers`).map((l, j) => {
      const f = member(asString(l, what, `$[${i}].Layers[${j}]`), `$[${i}].Layers[${j}]`);
      blob(f.digest, f.path);
      return { mediaType: layerMediaType(f.path), digest: f.digest, size: BigInt(f.size) };
    });
    const manifest = Buffer.from(stringifyJson({
      schemaVersion: 2, mediaType: DOCKER_MANIFEST,
      config: { mediaType: DOCKER_CONFIG, digest: cfg.digest, size: BigInt(cfg.size) }, layers,
    }));
    const digest = digestOf(manifest);
    blob(digest, manifest);
    const tags = optStringArray(o, 'RepoTags', what, `$[${i}]`) ?? [];
    const desc = { mediaType: DOCKER_MANIFEST, digest, size: BigInt(manifest.length) };
    if (tags.length === 0) manifests.push(desc);
    for (const t of tags) manifests.push({ ...desc, annotations: { [ANNOTATION_REF_NAME]: t } });
  });
  out.set('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  out.set('index.json', Buffer.from(stringifyJson({ schemaVersion: 2, manifests })));
  return out;
}
