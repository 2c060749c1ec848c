/**
 * Reading an OCI image layout (image-spec image-layout.md): the `oci-layout` marker, `index.json`, and blobs under
 * `blobs/<alg>/<hex>`, whether the layout is a directory or was read out of an archive. Every blob read is verified
 * (size and digest) and every document is size-limited and parsed losslessly; a digest is validated before it
 * becomes a path.
 */
import { closeSync, createReadStream, fstatSync, openSync, readFileSync, constants as fsc } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DigestVerifier, digestOf } from './digest.js';
import { OciLayoutError } from './errors.js';
import { parseDigest } from './spec/digest-string.js';
import type { Descriptor, ImageIndex } from './spec/image-spec.js';
import { validateImageIndex } from './spec/image-spec.js';
import { parseJson, type JsonValue } from './spec/lossless-json.js';

/** Largest JSON document (index, manifest, config) read from an image. */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;

/**
 * Open a file for reading only if it is a regular file: O_NONBLOCK so a FIFO planted as a blob cannot block the
 * open, and a device (/dev/zero) or FIFO is refused before anything is read from it.
 */
function openRegular(path: string): number {
  const fd = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOCTTY);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw Object.assign(new Error(`${path}: not a regular file`), { code: 'EINVAL' });
  }
  return fd;
}

/** Where the files of a layout are: a directory, or files extracted from an archive (plus synthesized documents). */
export interface LayoutFiles {
  /** The real path of a layout file (`index.json`, `blobs/sha256/…`), or a buffer, or undefined when absent. */
  lookup(rel: string): string | Buffer | undefined;
  /** Removes temporary files (archives). */
  dispose(): Promise<void>;
}

/** What an image was read from. */
export type ImageFormat = 'oci-layout' | 'oci-archive' | 'docker-archive';

/** Files of a layout directory. */
export function directoryFiles(dir: string): LayoutFiles {
  return { lookup: (rel) => join(dir, rel), dispose: async () => {} };
}

/** Files extracted to `tmpDir` (removed by dispose) and documents held in memory. */
export function extractedFiles(map: ReadonlyMap<string, string | Buffer>, tmpDir: string): LayoutFiles {
  return { lookup: (rel) => map.get(rel), dispose: () => rm(tmpDir, { recursive: true, force: true }) };
}

/** An opened image: its index and verified access to its blobs. Call {@link ImageSource.close} when done. */
export class ImageSource {
  /** The top-level index (index.json). */
  readonly index: ImageIndex;

  constructor(
    /** The path the image was opened from, for messages. */
    readonly location: string,
    /** The container format. */
    readonly format: ImageFormat,
    private readonly files: LayoutFiles,
  ) {
    this.checkLayoutMarker();
    const indexJson = this.readFile('index.json', MAX_JSON_BYTES);
    if (indexJson === undefined) throw new OciLayoutError('OCI_LAYOUT_INVALID', `open image: ${location}: index.json is missing`);
    this.index = validateImageIndex(parseJson(indexJson, `${location}/index.json`), `${location}/index.json`);
  }

  private checkLayoutMarker(): void {
    const raw = this.readFile('oci-layout', 64 * 1024);
    if (raw === undefined) throw new OciLayoutError('OCI_LAYOUT_INVALID', `open image: ${this.location}: oci-layout is missing`);
    const v = parseJson(raw, `${this.location}/oci-layout`);
    const version = v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v !== 'bigint' ? v.imageLayoutVersion : undefined;
    if (typeof version !== 'string' || !/^1\.[0-9]+\.[0-9]+$/.test(version)) {
      throw new OciLayoutError('OCI_LAYOUT_INVALID', `open image: ${this.location}/oci-layout: unsupported imageLayoutVersion ${JSON.stringify(version ?? null)}`);
    }
  }

  private readFile(rel: string, max: number): Buffer | undefined {
    const where = this.files.lookup(rel);
    if (where === undefined || Buffer.isBuffer(where)) return where;
    let fd: number;
    try {
      fd = openRegular(where);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new OciLayoutError('OCI_LAYOUT_INVALID', `open image: ${this.location}/${rel}: ${(cause as Error).message}`, {}, { cause });
    }
    try {
      const size = fstatSync(fd).size;
      if (size > max) throw new OciLayoutError('OCI_LAYOUT_INVALID', `open image: ${this.location}/${rel}: ${size} bytes exceeds the limit of ${max}`);
      return readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  private blobRel(desc: Descriptor): string {
    const { algorithm, hex } = parseDigest(desc.digest);
    return `blobs/${algorithm}/${hex}`;
  }

  private missing(desc: Descriptor): OciLayoutError {
    return new OciLayoutError('OCI_BLOB_MISSING', `read blob: ${desc.digest}: not in ${this.location}`, { digest: desc.digest, mediaType: desc.mediaType });
  }

  /** True when the blob of `desc` is present (not verified). */
  hasBlob(desc: Descriptor): boolean {
    const where = this.files.lookup(this.blobRel(desc));
    if (where === undefined) return false;
    if (Buffer.isBuffer(where)) return true;
    try {
      closeSync(openRegular(where));
      return true;
    } catch {
      return false;
    }
  }

  /** A stream of the blob that fails with an {@link OciLayoutError} naming it on a size or digest mismatch. */
  openBlob(desc: Descriptor): Readable {
    const where = this.files.lookup(this.blobRel(desc));
    if (where === undefined) throw this.missing(desc);
    const verifier = new DigestVerifier({ digest: desc.digest, size: desc.size, mediaType: desc.mediaType });
    let source: Readable;
    if (Buffer.isBuffer(where)) source = Readable.from([where]);
    else {
      let fd: number;
      try {
        fd = openRegular(where);
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw this.missing(desc);
        throw new OciLayoutError('OCI_BLOB_MISSING', `read blob: ${desc.digest}: ${(cause as Error).message}`, { digest: desc.digest }, { cause });
      }
      source = createReadStream('', { fd, highWaterMark: 256 * 1024 });
    }
    source.on('error', (e) => verifier.destroy(e));
    // When a later stage fails and the chain is torn down, close the file too.
    verifier.on('close', () => source.destroy());
    return source.pipe(verifier);
  }

  /** Read, verify and parse a JSON blob (at most `MAX_JSON_BYTES`, refused before reading when larger). */
  readJsonBlob(desc: Descriptor): JsonValue {
    if (desc.size > BigInt(MAX_JSON_BYTES)) {
      throw new OciLayoutError('OCI_LAYOUT_INVALID', `read blob: ${desc.digest}: ${desc.mediaType} of ${desc.size} bytes exceeds the limit of ${MAX_JSON_BYTES}`, { digest: desc.digest, mediaType: desc.mediaType });
    }
    const data = this.readFile(this.blobRel(desc), MAX_JSON_BYTES);
    if (data === undefined) throw this.missing(desc);
    if (BigInt(data.length) !== desc.size) {
      throw new OciLayoutError('OCI_SIZE_MISMATCH', `verify blob: ${desc.digest}: size ${data.length} differs from the expected ${desc.size}`, { digest: desc.digest, mediaType: desc.mediaType });
    }
    const actual = digestOf(data, parseDigest(desc.digest).algorithm);
    if (actual !== desc.digest) {
      throw new OciLayoutError('OCI_DIGEST_MISMATCH', `verify blob: ${desc.digest}: content has digest ${actual}`, { digest: desc.digest, mediaType: desc.mediaType });
    }
    return parseJson(data, desc.digest);
  }

  /** Remove temporary files made while opening an archive. */
  close(): Promise<void> {
    return this.files.dispose();
  }
}
