import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { testImage, requireFeature } from '@ct/test-utils';
import { OciLayoutError, RegistryError, pullImage, pullToLayout, listImages, inspectImage } from '../../src/index.js';
import { helperCalls, writeCredentialHelper } from '../fixtures/registry/cred-helper.js';
import { startFakeRegistry } from '../fixtures/registry/fake-registry.js';
import { makePki, registryToolsPresent, skopeoPush, startDistribution, startTokenService, type Distribution, type TestPki } from '../fixtures/registry/distribution.js';
import { imagesLib, tempDir } from '../helpers/fixtures.js';

const BUSYBOX = testImage('busybox');
const MULTI = join(testImage('oci-fixtures'), 'multi-platform');
const busyboxIndex = (): { manifests: { digest: string }[] } => JSON.parse(readFileSync(join(BUSYBOX, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
const busyboxManifest = (): { config: { digest: string }; layers: { digest: string; size: number }[] } =>
  JSON.parse(readFileSync(join(BUSYBOX, 'blobs', 'sha256', busyboxIndex().manifests[0]!.digest.slice(7)), 'utf8')) as { config: { digest: string }; layers: { digest: string; size: number }[] };
const blobFile = (layout: string, digest: string): string => join(layout, 'blobs', ...digest.split(':'));
const isCode = (code: string) => (e: unknown): boolean => (e instanceof RegistryError || e instanceof OciLayoutError) && e.code === code;

describe('registry pull, Debian docker-registry on loopback', () => {
  let tmp: { dir: string; cleanup: () => void };
  let plain: Distribution;
  const extra: Distribution[] = [];
  let pki: TestPki;

  before(async function () {
    requireFeature(this, registryToolsPresent(), 'docker-registry, openssl and skopeo are needed (apt-get install docker-registry openssl skopeo)');
    requireFeature(this, existsSync(join(BUSYBOX, 'index.json')) && existsSync(join(MULTI, 'index.json')), 'test images: run node tools/images/build.mjs');
    this.timeout(120_000);
    tmp = tempDir('ct-registry-');
    plain = await startDistribution(join(tmp.dir, 'plain'), { storage: join(tmp.dir, 'storage') });
    skopeoPush(BUSYBOX, `${plain.host}/busybox:latest`);
    skopeoPush(`${MULTI}:multi`, `${plain.host}/multi:latest`, ['--all']);
    pki = makePki(join(tmp.dir, 'pki'));
  });
  after(async () => {
    await Promise.all([plain?.stop(), ...extra.map((d) => d.stop())]);
    tmp?.cleanup();
  });

  it('pullToLayout, plain http on loopback: every blob verified and the manifest recorded under the full name', async () => {
    const layout = join(tmp.dir, 'out-plain');
    const pulled = await pullToLayout(`${plain.host}/busybox`, layout);
    assert.equal(pulled.manifest.digest, busyboxIndex().manifests[0]!.digest);
    const m = busyboxManifest();
    for (const d of [m.config.digest, ...m.layers.map((l) => l.digest)]) {
      assert.deepEqual(readFileSync(blobFile(layout, d)), readFileSync(blobFile(BUSYBOX, d)), d);
    }
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { annotations: Record<string, string> }[] };
    assert.equal(index.manifests[0]!.annotations['org.opencontainers.image.ref.name'], `${plain.host}/busybox:latest`);
    assert.deepEqual(readdirSync(join(layout, 'blobs', 'sha256')).filter((f) => f.includes('.')), []);
  });

  it('pullImage, into the image store under the full reference', async () => {
    const storageRoot = join(tmp.dir, 'store');
    const events: bigint[] = [];
    const result = await pullImage(`${plain.host}/busybox:latest`, { storageRoot, onProgress: (p) => events.push(p.bytes) });
    assert.equal(result.image.digest, busyboxIndex().manifests[0]!.digest);
    const listed = await listImages({ storageRoot });
    assert.ok(listed.some((r) => r.names.includes(`${plain.host}/busybox:latest`)));
    assert.ok(events.length > 0 && events.at(-1)! > 0n);
  });

  it('pullImage, two pulls of one image at once share the downloads and both land', async () => {
    const storageRoot = join(tmp.dir, 'store-twice');
    const [a, b] = await Promise.all([pullImage(`${plain.host}/busybox`, { storageRoot }), pullImage(`${plain.host}/busybox`, { storageRoot, name: 'other:1' })]);
    assert.equal(a.image.digest, b.image.digest);
    const names = (await listImages({ storageRoot })).flatMap((r) => r.names).sort();
    assert.deepEqual(names, [`${plain.host}/busybox:latest`, 'docker.io/library/other:1'].sort());
  });

  it('pullImage, by digest: named by the digest reference and found by it', async () => {
    const storageRoot = join(tmp.dir, 'store-digest');
    const digest = busyboxIndex().manifests[0]!.digest;
    const result = await pullImage(`${plain.host}/busybox@${digest}`, { storageRoot });
    assert.deepEqual(result.image.names, [`${plain.host}/busybox@${digest}`]);
    assert.equal((await inspectImage(`${plain.host}/busybox@${digest}`, { storageRoot })).digest, digest);
  });

  it('pullToLayout, a multi-arch index: the wanted platform is chosen', async () => {
    const arm = await pullToLayout(`${plain.host}/multi`, join(tmp.dir, 'out-arm'), { platform: { os: 'linux', architecture: 'arm64' } });
    assert.equal(arm.manifest.digest, 'sha256:3a731ef9f623d714ce9975b0b522cf622f7f1d8ecab7c93b345c0c516aa05fc4');
    assert.equal(arm.indexDigest, 'sha256:f60c6fa5dc1b21b7a3541221128970c8476344559dc4f3ba4c326e58154913e2');
    const amd = await pullToLayout(`${plain.host}/multi`, join(tmp.dir, 'out-amd'), { platform: { os: 'linux', architecture: 'amd64' } });
    assert.equal(amd.manifest.digest, 'sha256:9e06383838f55a2d97c343082f94b220f84be891612086e21406c413755343e4');
    await assert.rejects(pullToLayout(`${plain.host}/multi`, join(tmp.dir, 'out-none'), { platform: { os: 'linux', architecture: 's390x' } }), isCode('OCI_NO_MATCHING_PLATFORM'));
  });

  it('pullToLayout, a single-platform image asked for another platform is refused naming both, before its layers', async () => {
    const out = join(tmp.dir, 'out-wrong-platform');
    await assert.rejects(pullToLayout(`${plain.host}/busybox`, out, { platform: { os: 'linux', architecture: 'arm64' } }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'OCI_NO_MATCHING_PLATFORM');
      assert.match(e.message, /the image is for linux\/amd64, not linux\/arm64/);
      return true;
    });
    for (const l of busyboxManifest().layers) assert.equal(existsSync(join(out, 'blobs', 'sha256', l.digest.slice(7))), false, 'no layer downloaded');
  });

  it('pullImage, a Docker schema 2 manifest (skopeo --format v2s2) is pulled and imported', async () => {
    skopeoPush(BUSYBOX, `${plain.host}/busybox-v2s2:latest`, ['--format', 'v2s2']);
    const pulled = await pullToLayout(`${plain.host}/busybox-v2s2`, join(tmp.dir, 'out-v2s2'));
    assert.equal(pulled.manifest.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    const result = await pullImage(`${plain.host}/busybox-v2s2`, { storageRoot: join(tmp.dir, 'store-v2s2') });
    assert.equal(result.image.digest, pulled.manifest.digest);
    assert.equal(result.image.layers.length, 1);
  });

  it('pullToLayout, by digest; a missing tag is not found', async () => {
    const digest = busyboxIndex().manifests[0]!.digest;
    const pulled = await pullToLayout(`${plain.host}/busybox@${digest}`, join(tmp.dir, 'out-digest'));
    assert.equal(pulled.manifest.digest, digest);
    await assert.rejects(pullToLayout(`${plain.host}/busybox:nope`, join(tmp.dir, 'out-nope')), isCode('REGISTRY_NOT_FOUND'));
  });

  it('pullToLayout, TLS with a CA made by openssl: trusted with --ca-file, refused without', async () => {
    const tls = await startDistribution(join(tmp.dir, 'tls'), { storage: join(tmp.dir, 'storage'), tls: pki });
    extra.push(tls);
    const pulled = await pullToLayout(`${tls.host}/busybox`, join(tmp.dir, 'out-tls'), { caFile: pki.caCert });
    assert.equal(pulled.manifest.digest, busyboxIndex().manifests[0]!.digest);
    await assert.rejects(pullToLayout(`${tls.host}/busybox`, join(tmp.dir, 'out-tls-untrusted')), isCode('REGISTRY_NETWORK'));
  });

  it('pullToLayout, token auth with credentials from a credential helper, and an identity token as OAuth2 refresh token', async () => {
    const service = 'ct-test-registry';
    const tokens = await startTokenService({ key: join(tmp.dir, 'pki', 'ca.key'), cert: pki.caCert }, 'ct-test-issuer', service, 'carol:pw', 'refresh-xyz');
    try {
      const reg = await startDistribution(join(tmp.dir, 'token-helper'), { storage: join(tmp.dir, 'storage'), token: { realm: tokens.realm, service, issuer: 'ct-test-issuer', rootCert: pki.caCert } });
      extra.push(reg);
      const bin = join(tmp.dir, 'helper-bin');
      mkdirSync(bin, { recursive: true });
      const env = { PATH: `${bin}:/usr/bin:/bin`, HOME: join(tmp.dir, 'helper-home') };
      const authFile = join(tmp.dir, 'helper-auth.json');
      writeFileSync(authFile, JSON.stringify({ credHelpers: { [reg.host]: 'pw' } }));
      writeCredentialHelper(bin, 'pw', { answers: { [reg.host]: { username: 'carol', secret: 'pw' } } });
      const pulled = await pullToLayout(`${reg.host}/busybox`, join(tmp.dir, 'out-helper'), { authFile, env });
      assert.equal(pulled.manifest.digest, busyboxIndex().manifests[0]!.digest);
      assert.deepEqual(helperCalls(bin, 'pw'), [reg.host]);
      assert.ok(tokens.requests.some((r) => r.method === 'GET' && r.authorization === `Basic ${Buffer.from('carol:pw').toString('base64')}`));

      writeFileSync(authFile, JSON.stringify({ credsStore: 'tok' }));
      writeCredentialHelper(bin, 'tok', { answers: { [reg.host]: { username: '<token>', secret: 'refresh-xyz' } } });
      tokens.requests.length = 0;
      await pullToLayout(`${reg.host}/busybox`, join(tmp.dir, 'out-identity'), { authFile, env });
      const posted = tokens.requests.filter((r) => r.method === 'POST');
      assert.equal(posted.length > 0 && posted.every((r) => r.query.get('grant_type') === 'refresh_token' && r.query.get('refresh_token') === 'refresh-xyz'
        && r.query.get('service') === service && r.query.get('scope') === 'repository:busybox:pull' && r.authorization === undefined), true);
      assert.equal(tokens.requests.some((r) => r.method === 'GET'), false, 'no password flow with an identity token');

      writeCredentialHelper(bin, 'tok', { answers: { [reg.host]: { username: '<token>', secret: 'revoked' } } });
      await assert.rejects(pullToLayout(`${reg.host}/busybox`, join(tmp.dir, 'out-revoked'), { authFile, env }), isCode('REGISTRY_UNAUTHORIZED'));
      writeFileSync(authFile, JSON.stringify({ credsStore: 'absent' }));
      await assert.rejects(pullToLayout(`${reg.host}/busybox`, join(tmp.dir, 'out-absent'), { authFile, env }), isCode('REGISTRY_CRED_HELPER_MISSING'));
    } finally {
      await tokens.close();
    }
  });

  it('pullToLayout, token auth: the challenge is answered with a pull-scoped token from the auth file credentials', async () => {
    const service = 'ct-test-registry';
    const tokens = await startTokenService({ key: join(tmp.dir, 'pki', 'ca.key'), cert: pki.caCert }, 'ct-test-issuer', service, 'alice:secret');
    try {
      const reg = await startDistribution(join(tmp.dir, 'token'), { storage: join(tmp.dir, 'storage'), token: { realm: tokens.realm, service, issuer: 'ct-test-issuer', rootCert: pki.caCert } });
      extra.push(reg);
      const authFile = join(tmp.dir, 'auth.json');
      writeFileSync(authFile, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('alice:secret').toString('base64') } } }));
      const pulled = await pullToLayout(`${reg.host}/busybox`, join(tmp.dir, 'out-token'), { authFile });
      assert.equal(pulled.manifest.digest, busyboxIndex().manifests[0]!.digest);
      assert.ok(tokens.requests.some((r) => r.query.get('scope') === 'repository:busybox:pull' && r.query.get('service') === service));
      writeFileSync(authFile, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('alice:wrong').toString('base64') } } }));
      await assert.rejects(pullToLayout(`${reg.host}/busybox`, join(tmp.dir, 'out-token-bad'), { authFile }), isCode('REGISTRY_UNAUTHORIZED'));
    } finally {
      await tokens.close();
    }
  });
});

describe('registry pull, misbehaving servers on loopback', () => {
  let tmp: { dir: string; cleanup: () => void };
  beforeEach(function () {
    requireFeature(this, existsSync(join(BUSYBOX, 'index.json')), 'test images: run node tools/images/build.mjs');
    tmp = tempDir('ct-registry-');
  });
  afterEach(() => tmp.cleanup());

  it('pullImage, a layer already in the store is not downloaded again', async () => {
    const lib = await imagesLib();
    const base = lib.createLayer([{ type: 'file', path: 'base', content: 'x'.repeat(5000) }]);
    const topA = lib.createLayer([{ type: 'file', path: 'a', content: 'A' }]);
    const topB = lib.createLayer([{ type: 'file', path: 'b', content: 'B' }]);
    const layout = join(tmp.dir, 'images');
    lib.writeImage(layout, { layers: [base, topA], refName: 'a' });
    lib.writeImage(layout, { layers: [base, topB], refName: 'b' });
    const reg = await startFakeRegistry(layout);
    const storageRoot = join(tmp.dir, 'store');
    const fetched = (): string[] => reg.requests.filter((r) => r.url.includes('/blobs/')).map((r) => r.url.slice(r.url.lastIndexOf('/') + 1));
    const layerBlobs = [base.digest, topA.digest, topB.digest];
    try {
      await pullImage(`${reg.host}/img:a`, { storageRoot });
      assert.deepEqual(fetched().filter((d) => layerBlobs.includes(d)).sort(), [base.digest, topA.digest].sort());
      reg.requests.length = 0;
      const b = await pullImage(`${reg.host}/img:b`, { storageRoot });
      assert.deepEqual(fetched().filter((d) => layerBlobs.includes(d)), [topB.digest], 'the shared base is not downloaded');
      assert.deepEqual(b.pulled.skippedLayers, [base.digest]);
      assert.deepEqual(b.reusedLayers, [b.image.layers[0]]);
      reg.requests.length = 0;
      const again = await pullImage(`${reg.host}/img:a`, { storageRoot, name: 'again:1' });
      assert.deepEqual(fetched().filter((d) => layerBlobs.includes(d)), [], 'no layer of a stored image is downloaded');
      assert.equal(again.reusedLayers.length, 2);
    } finally {
      await reg.close();
    }
  });

  it('pullToLayout, basic auth with credentials from the credsStore helper', async () => {
    const reg = await startFakeRegistry(BUSYBOX, { basicAuth: 'dave:pw2' });
    try {
      const bin = join(tmp.dir, 'bin');
      mkdirSync(bin);
      writeCredentialHelper(bin, 'store', { answers: { [reg.host]: { username: 'dave', secret: 'pw2' } } });
      const authFile = join(tmp.dir, 'auth.json');
      writeFileSync(authFile, JSON.stringify({ credsStore: 'store' }));
      const pulled = await pullToLayout(`${reg.host}/busybox`, join(tmp.dir, 'out'), { authFile, env: { PATH: `${bin}:/usr/bin:/bin` } });
      assert.equal(pulled.manifest.digest, busyboxIndex().manifests[0]!.digest);
      assert.deepEqual(helperCalls(bin, 'store'), [reg.host], 'asked once per pull');
    } finally {
      await reg.close();
    }
  });

  it('pullToLayout, a blob redirect to another host does not carry the Authorization header', async () => {
    const reg = await startFakeRegistry(BUSYBOX, { basicAuth: 'bob:pw', redirectBlobs: true });
    try {
      await pullToLayout(`${reg.host}/busybox`, join(tmp.dir, 'out'), { credentials: { username: 'bob', password: 'pw' } });
      const atBlobs = reg.requests.filter((r) => r.server === 'blobs');
      assert.equal(atBlobs.length, 2);
      for (const r of atBlobs) assert.equal(r.headers.authorization, undefined, r.url);
      assert.ok(reg.requests.some((r) => r.server === 'registry' && r.url.includes('/blobs/') && r.headers.authorization?.startsWith('Basic ') === true));
    } finally {
      await reg.close();
    }
  });

  it('pullToLayout, a tampered layer is refused naming the blob and nothing of it is kept', async () => {
    const layer = busyboxManifest().layers[0]!.digest;
    const reg = await startFakeRegistry(BUSYBOX, { tamper: layer });
    const layout = join(tmp.dir, 'out');
    try {
      await assert.rejects(pullToLayout(`${reg.host}/busybox`, layout), (e: unknown) => e instanceof OciLayoutError && e.code === 'OCI_DIGEST_MISMATCH' && e.digest === layer);
      assert.equal(existsSync(blobFile(layout, layer)), false);
      assert.equal(existsSync(`${blobFile(layout, layer)}.partial`), false);
    } finally {
      await reg.close();
    }
  });

  it('pullToLayout, a manifest that differs from its announced or requested digest is refused', async () => {
    const digest = busyboxIndex().manifests[0]!.digest;
    const reg = await startFakeRegistry(BUSYBOX, { tamper: digest });
    try {
      await assert.rejects(pullToLayout(`${reg.host}/busybox:latest`, join(tmp.dir, 'by-tag')), isCode('REGISTRY_MANIFEST_INVALID'));
      await assert.rejects(pullToLayout(`${reg.host}/busybox@${digest}`, join(tmp.dir, 'by-digest')), isCode('REGISTRY_MANIFEST_INVALID'));
    } finally {
      await reg.close();
    }
  });

  it('pullToLayout, a blob longer than its descriptor is refused as a size mismatch naming the blob', async () => {
    const config = busyboxManifest().config.digest;
    const reg = await startFakeRegistry(BUSYBOX, { pad: { digest: config, bytes: 10 } });
    try {
      await assert.rejects(pullToLayout(`${reg.host}/busybox`, join(tmp.dir, 'out')), (e: unknown) => e instanceof OciLayoutError && e.code === 'OCI_SIZE_MISMATCH' && e.digest === config);
    } finally {
      await reg.close();
    }
  });

  it('pullToLayout, a token realm over plain http to a non-loopback host is refused', async () => {
    const reg = await startFakeRegistry(BUSYBOX, { bearerRealm: 'http://192.0.2.200:9/token' });
    try {
      await assert.rejects(pullToLayout(`${reg.host}/busybox`, join(tmp.dir, 'out')), isCode('REGISTRY_INSECURE'));
    } finally {
      await reg.close();
    }
  });

  it('pullToLayout, a connection cut midway is resumed with a Range request', async () => {
    const layer = busyboxManifest().layers[0]!;
    const reg = await startFakeRegistry(BUSYBOX, { cut: { digest: layer.digest, after: 300_000 } });
    const layout = join(tmp.dir, 'out');
    try {
      await pullToLayout(`${reg.host}/busybox`, layout);
      const ranged = reg.requests.filter((r) => r.url.endsWith(layer.digest) && r.headers.range !== undefined);
      assert.equal(ranged.length, 1);
      const from = Number(/^bytes=([0-9]+)-$/.exec(ranged[0]!.headers.range!)?.[1]);
      assert.ok(from > 0 && from <= 300_000, String(from));
      assert.deepEqual(readFileSync(blobFile(layout, layer.digest)), readFileSync(blobFile(BUSYBOX, layer.digest)));
    } finally {
      await reg.close();
    }
  });

  it('pullToLayout, a pull killed midway keeps its partial blob and the next pull resumes it', async () => {
    const layer = busyboxManifest().layers[0]!;
    const reg = await startFakeRegistry(BUSYBOX, { cut: { digest: layer.digest, after: 500_000 } });
    const layout = join(tmp.dir, 'out');
    try {
      await assert.rejects(pullToLayout(`${reg.host}/busybox`, layout, { retries: 0 }), isCode('REGISTRY_NETWORK'));
      const kept = statSync(`${blobFile(layout, layer.digest)}.partial`).size;
      assert.ok(kept > 0 && kept <= 500_000, String(kept));
      await pullToLayout(`${reg.host}/busybox`, layout);
      const ranged = reg.requests.filter((r) => r.url.endsWith(layer.digest) && r.headers.range !== undefined);
      assert.deepEqual(ranged.map((r) => r.headers.range), [`bytes=${kept}-`]);
      assert.deepEqual(readFileSync(blobFile(layout, layer.digest)), readFileSync(blobFile(BUSYBOX, layer.digest)));
      assert.equal(existsSync(`${blobFile(layout, layer.digest)}.partial`), false);
    } finally {
      await reg.close();
    }
  });

  it('pullToLayout, a corrupt partial blob costs no failed pull: the resumed blob fails to verify and is fetched again from byte 0', async () => {
    const layer = busyboxManifest().layers[0]!;
    const reg = await startFakeRegistry(BUSYBOX);
    const layout = join(tmp.dir, 'out-corrupt-partial');
    mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(`${blobFile(layout, layer.digest)}.partial`, Buffer.alloc(100_000, 0xaa));
    try {
      await pullToLayout(`${reg.host}/busybox`, layout, { retries: 0 });
      const gets = reg.requests.filter((r) => r.url.endsWith(layer.digest));
      assert.deepEqual(gets.map((r) => r.headers.range ?? 'whole'), ['bytes=100000-', 'whole']);
      assert.deepEqual(readFileSync(blobFile(layout, layer.digest)), readFileSync(blobFile(BUSYBOX, layer.digest)));
      assert.equal(existsSync(`${blobFile(layout, layer.digest)}.partial`), false);
    } finally {
      await reg.close();
    }
  });

  it('pullToLayout, plain http to a non-loopback host only with --insecure-http', async function () {
    const address = Object.values(networkInterfaces()).flat().find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
    requireFeature(this, address !== undefined, 'a non-loopback IPv4 address on this machine');
    const reg = await startFakeRegistry(BUSYBOX, { address: address! });
    try {
      // HTTPS is tried and fails (the server speaks plain HTTP); no fallback to plain HTTP for this host.
      await assert.rejects(pullToLayout(`${reg.host}/busybox`, join(tmp.dir, 'refused')), isCode('REGISTRY_NETWORK'));
      assert.equal(reg.requests.length, 0);
      const pulled = await pullToLayout(`${reg.host}/busybox`, join(tmp.dir, 'out'), { insecureHttp: true });
      assert.equal(pulled.manifest.digest, busyboxIndex().manifests[0]!.digest);
    } finally {
      await reg.close();
    }
  });
});
