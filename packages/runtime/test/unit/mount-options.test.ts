import { strict as assert } from 'node:assert';
import { MOUNT_ATTR, MS } from '@ct/syscalls';
import { parseMountOptions } from '../../src/config/mount-options.js';

describe('mount options', () => {
  it('parseMountOptions, rbind,ro becomes a recursive bind with MS_RDONLY', () => {
    const o = parseMountOptions(['rbind', 'ro']);
    assert.equal(o.bind, 'rbind');
    assert.equal(o.flags, MS.RDONLY);
  });
  it('parseMountOptions, later options override earlier ones (ro then rw)', () => {
    const o = parseMountOptions(['ro', 'nosuid', 'rw']);
    assert.equal(o.flags, MS.NOSUID);
    assert.equal(o.cleared & MS.RDONLY, MS.RDONLY);
  });
  it('parseMountOptions, propagation options keep their order and MS_REC for r*', () => {
    const o = parseMountOptions(['rprivate', 'shared']);
    assert.deepEqual(o.propagation, [MS.PRIVATE | MS.REC, MS.SHARED]);
  });
  it('parseMountOptions, rro and rnosuid are recursive mount_setattr attributes', () => {
    const o = parseMountOptions(['rbind', 'rro', 'rnosuid']);
    assert.equal(o.recursiveSet, MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID);
    assert.equal(o.flags, 0n);
  });
  it('parseMountOptions, tmpfs options stay file-system data', () => {
    const o = parseMountOptions(['nosuid', 'strictatime', 'mode=755', 'size=65536k']);
    assert.equal(o.flags, MS.NOSUID | MS.STRICTATIME);
    assert.deepEqual(o.data, ['mode=755', 'size=65536k']);
  });
  it('parseMountOptions, tmpcopyup and idmap are recognised', () => {
    assert.equal(parseMountOptions(['tmpcopyup']).tmpcopyup, true);
    assert.equal(parseMountOptions(['ridmap']).idmap, 'ridmap');
  });
});
