import assert from 'node:assert/strict';
import { SyscallError } from '@ct/syscalls/errors';
import { decodeRootlessOwner, encodeRootlessOwner, LayerUnpackError, OciLayoutError } from '../../src/index.js';
import { reviveError, serializeError } from '../../src/internal/worker-protocol.js';

describe('user.rootlesscontainers', () => {
  it('encodeRootlessOwner, writes umoci\'s protobuf (field 1 uid, field 2 gid, varints)', () => {
    assert.deepEqual([...encodeRootlessOwner(1000, 1000)!], [0x08, 0xe8, 0x07, 0x10, 0xe8, 0x07]);
  });
  it('encodeRootlessOwner, an id of 0 is written as 0xFFFFFFFF (unchanged) as umoci does', () => {
    assert.deepEqual([...encodeRootlessOwner(0, 5)!], [0x08, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x10, 0x05]);
  });
  it('encodeRootlessOwner, owner 0:0 needs no xattr', () => {
    assert.equal(encodeRootlessOwner(0, 0), undefined);
  });
  it('decodeRootlessOwner, round-trips and reads 0xFFFFFFFF as 0', () => {
    for (const [u, g] of [[1000, 1000], [0, 5], [70000, 0], [4294967294, 1]] as const) {
      assert.deepEqual(decodeRootlessOwner(encodeRootlessOwner(u, g)!), { uid: u, gid: g });
    }
  });
  it('decodeRootlessOwner, a truncated varint is refused', () => {
    assert.throws(() => decodeRootlessOwner(Buffer.from([0x08, 0xff])), RangeError);
  });
});

describe('unpack worker protocol', () => {
  it('reviveError, a LayerUnpackError keeps its class, code, layer, entry bytes and SyscallError cause', () => {
    const cause = new SyscallError('openat', 13, { path: 'x' });
    const e = new LayerUnpackError('OCI_ENTRY_FAILED', 'sha256:ab', Buffer.from([0x66, 0xff]), 'openat: EACCES', { cause });
    const back = reviveError(JSON.parse(JSON.stringify(serializeError(e))));
    assert.ok(back instanceof LayerUnpackError);
    assert.deepEqual([back.code, back.layerDigest, back.entryPathBytes, back.message], [e.code, e.layerDigest, e.entryPathBytes, e.message]);
    assert.ok(back.cause instanceof SyscallError);
    assert.deepEqual([(back.cause as SyscallError).errno, (back.cause as SyscallError).syscall], [13, 'openat']);
  });
  it('reviveError, an OciLayoutError keeps its digest', () => {
    const back = reviveError(serializeError(new OciLayoutError('OCI_DIGEST_MISMATCH', 'verify blob: d: x', { digest: 'sha256:cd' })));
    assert.ok(back instanceof OciLayoutError);
    assert.deepEqual([back.code, back.digest], ['OCI_DIGEST_MISMATCH', 'sha256:cd']);
  });
});
