/**
 * The `user.rootlesscontainers` xattr (https://rootlesscontaine.rs/, umoci's pkg/rootlesscontainers-proto): where an
 * unprivileged unpack that cannot chown records a file's owner as the container should see it. The value is the
 * protobuf message `Resource { uint32 uid = 1; uint32 gid = 2; }`; as umoci writes it, an id of 0 is stored as
 * 0xFFFFFFFF ("unchanged": the file already belongs to the caller, who is 0 inside), and owner 0:0 gets no xattr.
 * Man pages: xattr(7); https://protobuf.dev/programming-guides/encoding/ (varints).
 */

/** The xattr name umoci and the rootless-containers tools use. */
export const ROOTLESS_XATTR = 'user.rootlesscontainers';

/** "Leave this id unchanged" in a Resource message. */
export const NOOP_ID = 0xffffffff;

function varint(n: number, out: number[]): void {
  let v = n >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

/** The xattr value recording owner `uid`:`gid`, or undefined for 0:0 (which needs none). */
export function encodeRootlessOwner(uid: number, gid: number): Buffer | undefined {
  if (uid === 0 && gid === 0) return undefined;
  const out: number[] = [];
  out.push(0x08);
  varint(uid === 0 ? NOOP_ID : uid, out);
  out.push(0x10);
  varint(gid === 0 ? NOOP_ID : gid, out);
  return Buffer.from(out);
}

/**
 * The owner a `user.rootlesscontainers` value records (NOOP_ID and absent fields read as 0, the caller).
 * @throws RangeError for a value that is not such a message.
 */
export function decodeRootlessOwner(value: Uint8Array): {
  /** The recorded uid, 0 when absent or NOOP_ID. */
  uid: number;
  /** The recorded gid, 0 when absent or NOOP_ID. */
  gid: number;
} {
  const ids = { uid: 0, gid: 0 };
  let i = 0;
  while (i < value.length) {
    const key = value[i++]!;
    if ((key & 7) !== 0) throw new RangeError('user.rootlesscontainers: not a varint field');
    let v = 0;
    let shift = 0;
    for (;;) {
      if (i >= value.length || shift > 28) throw new RangeError('user.rootlesscontainers: truncated varint');
      const b = value[i++]!;
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    const id = v === NOOP_ID ? 0 : v;
    if (key >> 3 === 1) ids.uid = id;
    else if (key >> 3 === 2) ids.gid = id;
  }
  return ids;
}
