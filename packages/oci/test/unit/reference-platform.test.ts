import assert from 'node:assert/strict';
import { parseImageRef } from '../../src/reference.js';
import { hostPlatform, parsePlatform, selectPlatform } from '../../src/platform.js';
import type { Descriptor } from '../../src/spec/index.js';

const D = `sha256:${'b'.repeat(64)}`;

describe('parseImageRef', () => {
  const exists = (set: string[]) => (p: string) => set.includes(p);
  const cases: Array<[string, string[], object]> = [
    ['img', ['img'], { path: 'img' }],
    ['img:latest', ['img'], { path: 'img', tag: 'latest' }],
    ['dir/img.tar:busybox:1.36', ['dir/img.tar'], { path: 'dir/img.tar', tag: 'busybox:1.36' }],
    ['my:dir', ['my:dir'], { path: 'my:dir' }],
    ['my:dir:v1', ['my:dir'], { path: 'my:dir', tag: 'v1' }],
    [`img@${D}`, [], { path: 'img', digest: D }],
  ];
  for (const [ref, present, want] of cases) {
    it(`parseImageRef, ${ref}`, () => assert.deepEqual(parseImageRef(ref, exists(present)), want));
  }
  it('parseImageRef, a bad digest is refused', () => {
    assert.throws(() => parseImageRef('img@sha256:xyz', exists(['img'])), { code: 'OCI_REF_INVALID' });
  });
  it('parseImageRef, a bad tag is refused', () => {
    assert.throws(() => parseImageRef('img:-bad', exists(['img'])), { code: 'OCI_REF_INVALID' });
  });
  it('parseImageRef, nothing on disk', () => {
    assert.throws(() => parseImageRef('nope:tag', exists([])), { code: 'OCI_REF_INVALID' });
  });
});

describe('platform selection', () => {
  const m = (architecture: string, variant?: string): Descriptor => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D, size: 1n,
    platform: { os: 'linux', architecture, ...(variant !== undefined ? { variant } : {}) },
  });
  it('selectPlatform, picks the matching architecture', () => {
    const list = [m('arm64'), m('amd64')];
    assert.equal(selectPlatform(list, { os: 'linux', architecture: 'amd64' }), list[1]);
  });
  it('selectPlatform, arm64 without a variant matches v8', () => {
    const list = [m('arm64')];
    assert.equal(selectPlatform(list, { os: 'linux', architecture: 'arm64', variant: 'v8' }), list[0]);
  });
  it('selectPlatform, an exact arm variant beats an older one', () => {
    const list = [m('arm', 'v6'), m('arm', 'v7')];
    assert.equal(selectPlatform(list, { os: 'linux', architecture: 'arm', variant: 'v7' }), list[1]);
    assert.equal(selectPlatform([list[0]!], { os: 'linux', architecture: 'arm', variant: 'v7' }), list[0]);
  });
  it('selectPlatform, no match gives undefined', () => {
    assert.equal(selectPlatform([m('s390x')], { os: 'linux', architecture: 'amd64' }), undefined);
  });
  it('parsePlatform, os/arch/variant and malformed input', () => {
    assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
    assert.equal(parsePlatform('linux'), undefined);
  });
  it('hostPlatform, is linux with a Go architecture name', () => {
    const p = hostPlatform();
    assert.equal(p.os, 'linux');
    assert.notEqual(p.architecture, 'x64');
  });
});
