import assert from 'node:assert/strict';
import {
  parseDigest, parseJson, SpecValidationError, validateImageConfig, validateImageIndex, validateImageManifest,
  validateRuntimeSpec,
} from '../../src/spec/index.js';

const D = `sha256:${'a'.repeat(64)}`;
const desc = (extra: Record<string, unknown> = {}) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: D, size: 3, ...extra });
const manifest = (extra: Record<string, unknown> = {}) => JSON.stringify({ schemaVersion: 2, config: desc({ mediaType: 'application/vnd.oci.image.config.v1+json' }), layers: [desc()], ...extra });

function fails(fn: () => unknown, jsonPath: string, code = 'OCI_SPEC_INVALID'): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SpecValidationError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.jsonPath, jsonPath);
    return true;
  });
}

describe('image-spec validation', () => {
  it('validateImageManifest, sizes are bigint and exact', () => {
    const text = manifest({ layers: [desc({ size: 1234 })] }).replace('1234', '9007199254740993');
    const m = validateImageManifest(parseJson(text, 'm'), 'm');
    assert.equal(m.layers[0]!.size, 9007199254740993n);
  });

  const cases: Array<[string, string, string, string?]> = [
    ['schemaVersion 1', manifest({ schemaVersion: 1 }), '$.schemaVersion'],
    ['layers not an array', manifest({ layers: {} }), '$.layers'],
    ['negative size', manifest({ layers: [desc({ size: -1 })] }), '$.layers[0].size'],
    ['fractional size', manifest({ layers: [desc(), desc({ size: 1.5 })] }), '$.layers[1].size'],
    ['size over int64', manifest({ layers: [desc({ size: 9223372036854775808 })] }), '$.layers[0].size'],
    ['bad digest', manifest({ layers: [desc({ digest: 'sha256:../../etc/passwd' })] }), '$.layers[0].digest', 'OCI_BAD_DIGEST'],
    ['upper-case digest', manifest({ layers: [desc({ digest: `sha256:${'A'.repeat(64)}` })] }), '$.layers[0].digest', 'OCI_BAD_DIGEST'],
    ['unknown algorithm', manifest({ config: desc({ digest: `md5:${'a'.repeat(32)}` }) }), '$.config.digest', 'OCI_BAD_DIGEST'],
    ['annotation not a string', manifest({ annotations: { a: 1 } }), '$.annotations.a'],
    ['mediaType missing', manifest({ layers: [{ digest: D, size: 1 }] }), '$.layers[0].mediaType'],
  ];
  for (const [name, text, path, code] of cases) {
    it(`validateImageManifest, ${name} names ${path}`, () => fails(() => validateImageManifest(parseJson(text, 'm'), 'm'), path, code));
  }

  it('validateImageIndex, platform fields are read', () => {
    const i = validateImageIndex(parseJson(JSON.stringify({ schemaVersion: 2, manifests: [desc({ platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } })] }), 'i'), 'i');
    assert.deepEqual(i.manifests[0]!.platform, { architecture: 'arm64', os: 'linux', variant: 'v8' });
  });

  it('validateImageIndex, a platform without os names it', () => {
    fails(() => validateImageIndex(parseJson(JSON.stringify({ schemaVersion: 2, manifests: [desc({ platform: { architecture: 'amd64' } })] }), 'i'), 'i'), '$.manifests[0].platform.os');
  });

  it('validateImageConfig, diff_ids must be digests', () => {
    fails(() => validateImageConfig(parseJson(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [D, 'nope'] } }), 'c'), 'c'), '$.rootfs.diff_ids[1]', 'OCI_BAD_DIGEST');
  });

  it('validateImageConfig, Env must be strings', () => {
    fails(() => validateImageConfig(parseJson(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: ['A=1', 2] }, rootfs: { type: 'layers', diff_ids: [] } }), 'c'), 'c'), '$.config.Env[1]');
  });

  it('parseDigest, sha512 needs 128 hex digits', () => {
    assert.equal(parseDigest(`sha512:${'0'.repeat(128)}`).algorithm, 'sha512');
    assert.throws(() => parseDigest(`sha512:${'0'.repeat(64)}`), { code: 'OCI_BAD_DIGEST' });
  });
});

describe('runtime-spec validation', () => {
  const base = { ociVersion: '1.0.2', process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['sh'] }, root: { path: 'rootfs' } };
  it('validateRuntimeSpec, rlimits keep 64-bit values', () => {
    // eslint-disable-next-line no-loss-of-precision -- the literal is JSON.stringify's input; the replace below restores its digits
    const s = validateRuntimeSpec(parseJson(JSON.stringify({ ...base, process: { ...base.process, rlimits: [{ type: 'RLIMIT_NOFILE', hard: 18446744073709551615, soft: 1 }] } }).replace('18446744073709552000', '18446744073709551615'), 'c'));
    assert.equal(s.process!.rlimits![0]!.hard, 18446744073709551615n);
  });
  const cases: Array<[string, unknown, string]> = [
    ['relative cwd', { ...base, process: { ...base.process, cwd: 'x' } }, '$.process.cwd'],
    ['uid too large', { ...base, process: { ...base.process, user: { uid: 4294967296, gid: 0 } } }, '$.process.user.uid'],
    ['empty args', { ...base, process: { ...base.process, args: [] } }, '$.process.args'],
    ['unknown namespace', { ...base, linux: { namespaces: [{ type: 'pid' }, { type: 'bogus' }] } }, '$.linux.namespaces[1].type'],
    ['mount without destination', { ...base, mounts: [{ type: 'proc' }] }, '$.mounts[0].destination'],
    ['ociVersion missing', { root: { path: 'r' } }, '$.ociVersion'],
  ];
  for (const [name, doc, path] of cases) {
    it(`validateRuntimeSpec, ${name} names ${path}`, () => fails(() => validateRuntimeSpec(parseJson(JSON.stringify(doc), 'c')), path));
  }
});
