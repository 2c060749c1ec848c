import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unpackImage } from '../../src/index.js';
import { imagesLib, tempDir, type ImagesLib } from '../helpers/fixtures.js';

const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

describe('Docker schema 2 and sha512 in a layout', () => {
  let lib: ImagesLib;
  let tmp: { dir: string; cleanup: () => void };
  before(async () => { lib = await imagesLib(); });
  beforeEach(() => { tmp = tempDir(); });
  afterEach(() => tmp.cleanup());

  function layout(layerAlg: 'sha256' | 'sha512'): string {
    const dir = join(tmp.dir, `layout-${layerAlg}`);
    mkdirSync(join(dir, 'blobs', layerAlg), { recursive: true });
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    const layer = lib.createLayer([{ type: 'file', path: 'hello', content: `from ${layerAlg}\n` }], { compression: 'gzip' });
    const layerDigest = `${layerAlg}:${createHash(layerAlg).update(layer.blob).digest('hex')}`;
    writeFileSync(join(dir, 'blobs', layerAlg, layerDigest.slice(layerAlg.length + 1)), layer.blob);
    const config = lib.writeBlob(dir, JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.diffId] } }));
    const manifest = lib.writeBlob(dir, JSON.stringify({
      schemaVersion: 2, mediaType: DOCKER_MANIFEST,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: layerDigest, size: layer.size }],
    }));
    const list = lib.writeBlob(dir, JSON.stringify({
      schemaVersion: 2, mediaType: DOCKER_LIST,
      manifests: [{ mediaType: DOCKER_MANIFEST, ...manifest, platform: { architecture: 'amd64', os: 'linux' } }],
    }));
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: DOCKER_LIST, ...list, annotations: { 'org.opencontainers.image.ref.name': 'v2s2' } }] }));
    return dir;
  }

  it('unpackImage, a Docker manifest list, manifest, config and gzip layer', async () => {
    await unpackImage(`${layout('sha256')}:v2s2`, join(tmp.dir, 'b'), { platform: { os: 'linux', architecture: 'amd64' } });
    assert.equal(readFileSync(join(tmp.dir, 'b/rootfs/hello'), 'utf8'), 'from sha256\n');
  });

  it('unpackImage, a layer blob addressed by sha512', async () => {
    await unpackImage(`${layout('sha512')}:v2s2`, join(tmp.dir, 'b'), { platform: { os: 'linux', architecture: 'amd64' } });
    assert.equal(readFileSync(join(tmp.dir, 'b/rootfs/hello'), 'utf8'), 'from sha512\n');
  });

  it('unpackImage, a Docker manifest without its mediaType field contradicts its descriptor', async () => {
    const dir = layout('sha256');
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const list = JSON.parse(readFileSync(join(dir, 'blobs/sha256', index.manifests[0]!.digest.slice(7)), 'utf8')) as { manifests: Array<{ digest: string }> };
    const mPath = join(dir, 'blobs/sha256', list.manifests[0]!.digest.slice(7));
    const m = JSON.parse(readFileSync(mPath, 'utf8')) as Record<string, unknown>;
    delete m.mediaType;
    const blob = lib.writeBlob(dir, JSON.stringify(m));
    const newList = lib.writeBlob(dir, JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_LIST, manifests: [{ mediaType: DOCKER_MANIFEST, ...blob, platform: { architecture: 'amd64', os: 'linux' } }] }));
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: DOCKER_LIST, ...newList, annotations: { 'org.opencontainers.image.ref.name': 'v2s2' } }] }));
    await assert.rejects(unpackImage(`${dir}:v2s2`, join(tmp.dir, 'b'), { platform: { os: 'linux', architecture: 'amd64' } }), { code: 'OCI_MEDIA_TYPE_MISMATCH' });
  });
});
