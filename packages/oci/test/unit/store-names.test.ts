/** Store naming: chain ids, default names, finding an image by name or digest prefix, the default store root. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chainIds, defaultImageName, defaultStorageRoot, matchImage, type ImageRecord } from '../../src/index.js';
import { normalizeImageName, withEffectiveNames } from '../../src/store/image-names.js';

const rec = (hex: string, names: string[], imported = ''): ImageRecord => ({
  digest: `sha256:${hex.padEnd(64, '0')}`, names, configDigest: 'sha256:00', layers: [], diffIds: [], platform: 'linux/amd64', imported, size: 0,
});

describe('store names', function () {
  it('chainIds, the first is the diff id, the next hashes "parent diffid"', () => {
    const a = `sha256:${'a'.repeat(64)}`;
    const b = `sha256:${'b'.repeat(64)}`;
    const [c0, c1] = chainIds([a, b]);
    assert.equal(c0, a);
    assert.equal(c1, `sha256:${createHash('sha256').update(`${a} ${b}`).digest('hex')}`);
  });
  it('matchImage, a bare name means :latest; a tag must match exactly', () => {
    const records = [rec('aa', ['busybox:latest']), rec('bb', ['busybox:1'])];
    assert.equal(matchImage(records, 'busybox')?.digest, records[0]!.digest);
    assert.equal(matchImage(records, 'busybox:1')?.digest, records[1]!.digest);
    assert.equal(matchImage(records, 'busybox:2'), undefined);
  });
  it('matchImage, Docker Hub\'s implied docker.io/ and library/ do not matter; a registry port is not a tag', () => {
    const records = [rec('aa', ['docker.io/example/bb:1.0']), rec('bb', ['docker.io/library/alpine:latest']), rec('cc', ['localhost:5000/app:latest'])];
    assert.equal(matchImage(records, 'example/bb:1.0')?.digest, records[0]!.digest);
    assert.equal(matchImage(records, 'alpine')?.digest, records[1]!.digest);
    assert.equal(matchImage(records, 'localhost:5000/app')?.digest, records[2]!.digest);
  });
  it('matchImage, a digest or a hex prefix of 4 or more; an ambiguous prefix is an error', () => {
    const records = [rec('abcd1', ['x']), rec('abcd2', ['y'])];
    assert.equal(matchImage(records, 'abcd1')?.names[0], 'x');
    assert.equal(matchImage(records, records[1]!.digest)?.names[0], 'y');
    assert.equal(matchImage(records, 'abc'), undefined, 'shorter than 4 digits is not a prefix');
    assert.throws(() => matchImage(records, 'abcd'), { code: 'STORE_IMAGE_AMBIGUOUS' });
  });
  it('defaultImageName, file name and tag; a tag that is a full reference as it is', () => {
    const exists = (p: string): boolean => ['/x/busybox', '/x/img.tar'].includes(p);
    assert.equal(defaultImageName('/x/busybox', exists), 'busybox:latest');
    assert.equal(defaultImageName('/x/busybox:1.36', exists), 'busybox:1.36');
    assert.equal(defaultImageName('/x/img.tar:docker.io/library/alpine:3', exists), 'docker.io/library/alpine:3');
    assert.equal(defaultImageName('/x/img.tar:my/app', exists), 'my/app:latest');
  });
  it('defaultStorageRoot, root, XDG_DATA_HOME, then HOME', () => {
    assert.equal(defaultStorageRoot({}, 0), '/var/lib/ct/storage');
    assert.equal(defaultStorageRoot({ XDG_DATA_HOME: '/x' }, 1000), '/x/ct/storage');
    assert.equal(defaultStorageRoot({ HOME: '/home/u' }, 1000), '/home/u/.local/share/ct/storage');
  });
  const normal: Array<[string, string]> = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/user/app', 'docker.io/user/app:latest'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['quay.io/a/b/c:v_1.0-x', 'quay.io/a/b/c:v_1.0-x'],
    [`app@sha256:${'a'.repeat(64)}`, `docker.io/library/app@sha256:${'a'.repeat(64)}`],
  ];
  for (const [name, want] of normal) it(`normalizeImageName, ${name} is ${want}`, () => assert.equal(normalizeImageName(name), want));
  const bad: Array<[string, RegExp]> = [
    ['', /repository name is empty/], ['Bad Name', /"Bad Name" is not valid/], ['../../etc/x', /"\.\." is not a valid registry host/],
    ['a'.repeat(300), /longer than 255/], ['-dash', /"-dash" is not valid/], ['UPPER', /"UPPER" is not valid/],
    ['x:', /"" is not a valid tag/], [`x:${'t'.repeat(129)}`, /is not a valid tag/], ['a//b', /component "" is not valid/],
  ];
  for (const [name, why] of bad) {
    it(`normalizeImageName, ${JSON.stringify(name.slice(0, 20))} is refused saying why`, () => {
      assert.throws(() => normalizeImageName(name), (e: Error & { code?: string }) => e.code === 'STORE_NAME_INVALID' && why.test(e.message));
    });
  }
  it('withEffectiveNames, a name held by two images (a store from before normalisation) stays with the newest import', () => {
    const records = [rec('aa', ['busybox:latest', 'x'], '2024-01-02'), rec('bb', ['docker.io/library/busybox:latest'], '2024-01-03')];
    assert.deepEqual(withEffectiveNames(records).map((r) => r.names), [['docker.io/library/x:latest'], ['docker.io/library/busybox:latest']]);
    assert.equal(matchImage(records, 'busybox')?.digest, records[1]!.digest);
  });
});
