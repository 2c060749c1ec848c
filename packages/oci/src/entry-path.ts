/**
 * Tar entry names as paths inside the root: split into byte components, `.` and empty components dropped, a
 * leading `/` ignored (GNU tar strips it too), `..` applied lexically (as umoci's filepath.Clean), and a name that
 * climbs above the root refused. Components stay Buffers so non-UTF-8 names are kept byte-exact.
 */

const SLASH = 0x2f;

/** The components of a cleaned entry path, or 'climbs' when `..` would leave the root. */
export function cleanEntryPath(name: Uint8Array): Buffer[] | 'climbs' {
  const out: Buffer[] = [];
  const b = Buffer.from(name.buffer, name.byteOffset, name.byteLength);
  let start = 0;
  for (let i = 0; i <= b.length; i++) {
    if (i < b.length && b[i] !== SLASH) continue;
    const c = b.subarray(start, i);
    start = i + 1;
    if (c.length === 0 || (c.length === 1 && c[0] === 0x2e)) continue;
    if (c.length === 2 && c[0] === 0x2e && c[1] === 0x2e) {
      if (out.pop() === undefined) return 'climbs';
      continue;
    }
    out.push(Buffer.from(c));
  }
  return out;
}

/** Join components with `/` (empty for the root). */
export function joinComponents(comps: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  comps.forEach((c, i) => {
    if (i > 0) parts.push(Buffer.from('/'));
    parts.push(c);
  });
  return Buffer.concat(parts);
}

/** A map key for a path (latin1 keeps every byte distinct): the latin1 text of {@link joinComponents}, made without it. */
export function pathKey(comps: readonly Buffer[]): string {
  let key = '';
  for (let i = 0; i < comps.length; i++) key += (i > 0 ? '/' : '') + comps[i]!.toString('latin1');
  return key;
}
