// Deterministic tar writer: turns a list of layer entries into the bytes of a POSIX (pax) tar archive, the
// format of an OCI layer (image-spec layer.md). Relies on: tar(5) / POSIX.1-2001 pax "ustar" headers, pax extended
// headers (typeflag 'x') for long or non-ASCII names, big ids and SCHILY.xattr.* records, and the OCI whiteout names
// (".wh.NAME", ".wh..wh..opq").
//
// Why not tar-stream's pack(): it encodes names as UTF-8 strings, so it cannot write the raw-byte names, odd
// typeflags and exact headers that hostile fixtures need. tar-stream reads these archives back in the tests.
// Nothing here reads the clock, the environment or the host's users: the same entries always give the same bytes.

/**
 * One tar entry. `path` is written as given (no normalisation, so `../x` or `/abs` are possible on purpose); a
 * Buffer path is written byte for byte. Directories get no trailing slash unless the path has one.
 * @typedef {object} LayerEntry
 * @property {'file'|'dir'|'symlink'|'hardlink'|'char'|'block'|'fifo'|'whiteout'|'opaque'} type
 *   'whiteout' writes an empty file named `.wh.<basename of path>`; 'opaque' writes `<path>/.wh..wh..opq`.
 * @property {string|Buffer} path entry name inside the layer, e.g. "bin/sh" or Buffer.from([0x66, 0xff])
 * @property {string|Buffer} [content] file content ('file' only)
 * @property {string|Buffer} [target] link target ('symlink', 'hardlink')
 * @property {number} [mode] permission bits incl. setuid/setgid/sticky; default 0o644 files and hardlinks, 0o755 dirs, 0o777 symlinks
 * @property {number} [uid] default 0
 * @property {number} [gid] default 0
 * @property {string} [uname] default "" (OCI unpackers use the numeric ids)
 * @property {string} [gname] default ""
 * @property {number} [mtime] seconds since the epoch; default the writer's `mtime` option (0)
 * @property {number} [devmajor] 'char'/'block' only
 * @property {number} [devminor] 'char'/'block' only
 * @property {Record<string, string|Buffer>} [xattrs] written as pax "SCHILY.xattr.<name>" records
 * @property {Record<string, string|Buffer>} [pax] extra pax records, written after the generated ones
 * @property {string} [typeflag] override the header's typeflag byte (for hostile fixtures)
 */

/**
 * @typedef {object} TarOptions
 * @property {number} [mtime] default mtime for entries without one (seconds; default 0)
 */

import { ImageToolError } from './errors.mjs';

const BLOCK = 512;
/** @type {Record<LayerEntry['type'], string>} */
const TYPEFLAGS = {
  file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6', whiteout: '0', opaque: '0',
};
const MAX_OCTAL_ID = 0o7777777; // 7 octal digits fit the 8-byte uid/gid fields

/**
 * Encode entries, in the order given, as one tar archive (with the two zero end blocks).
 * @param {readonly LayerEntry[]} entries
 * @param {TarOptions} [options]
 * @returns {Buffer}
 */
export function writeTar(entries, options = {}) {
  /** @type {Buffer[]} */
  const chunks = [];
  for (const entry of entries) chunks.push(...encodeEntry(entry, options.mtime ?? 0));
  chunks.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(chunks);
}

/**
 * @param {LayerEntry} e
 * @param {number} defaultMtime
 * @returns {Buffer[]}
 */
function encodeEntry(e, defaultMtime) {
  const name = entryName(e);
  const content = e.type === 'file' ? toBuffer(e.content ?? '') : Buffer.alloc(0);
  const linkname = e.target === undefined ? Buffer.alloc(0) : toBuffer(e.target);
  const uid = e.uid ?? 0;
  const gid = e.gid ?? 0;
  const mtime = e.mtime ?? defaultMtime;

  /** @type {Array<[string, Buffer]>} */
  const pax = [];
  // Names up to 100 bytes go in the ustar field as raw bytes (so non-UTF-8 names survive); longer ones in pax.
  if (name.length > 100) pax.push(['path', name]);
  if (linkname.length > 100) pax.push(['linkpath', linkname]);
  if (uid > MAX_OCTAL_ID) pax.push(['uid', Buffer.from(String(uid))]);
  if (gid > MAX_OCTAL_ID) pax.push(['gid', Buffer.from(String(gid))]);
  for (const k of Object.keys(e.xattrs ?? {}).sort()) pax.push([`SCHILY.xattr.${k}`, toBuffer(e.xattrs?.[k] ?? '')]);
  for (const [k, v] of Object.entries(e.pax ?? {})) pax.push([k, toBuffer(v)]);

  /** @type {Buffer[]} */
  const out = [];
  if (pax.length > 0) {
    const body = encodePaxRecords(pax);
    out.push(encodeHeader({
      name: Buffer.concat([Buffer.from('PaxHeaders/'), name.subarray(0, 88)]),
      mode: 0o644, uid: 0, gid: 0, size: body.length, mtime, typeflag: 'x',
      linkname: Buffer.alloc(0), uname: '', gname: '', devmajor: 0, devminor: 0,
    }), padToBlock(body));
  }
  out.push(encodeHeader({
    name: name.subarray(0, 100),
    mode: e.mode ?? defaultMode(e.type),
    uid: Math.min(uid, MAX_OCTAL_ID),
    gid: Math.min(gid, MAX_OCTAL_ID),
    size: content.length,
    mtime,
    typeflag: e.typeflag ?? TYPEFLAGS[e.type],
    linkname: linkname.subarray(0, 100),
    uname: e.uname ?? '',
    gname: e.gname ?? '',
    devmajor: e.devmajor ?? 0,
    devminor: e.devminor ?? 0,
  }));
  if (content.length > 0) out.push(padToBlock(content));
  return out;
}

/**
 * The name written for an entry: whiteouts and opaque markers get their OCI names.
 * @param {LayerEntry} e
 * @returns {Buffer}
 */
function entryName(e) {
  const path = toBuffer(e.path);
  if (e.type === 'whiteout') {
    const slash = path.lastIndexOf(0x2f);
    return Buffer.concat([path.subarray(0, slash + 1), Buffer.from('.wh.'), path.subarray(slash + 1)]);
  }
  if (e.type === 'opaque') {
    const dir = path.length > 0 && path[path.length - 1] !== 0x2f ? Buffer.concat([path, Buffer.from('/')]) : path;
    return Buffer.concat([dir, Buffer.from('.wh..wh..opq')]);
  }
  return path;
}

/**
 * @param {LayerEntry['type']} type
 * @returns {number}
 */
function defaultMode(type) {
  if (type === 'dir') return 0o755;
  if (type === 'symlink') return 0o777;
  return 0o644;
}

/**
 * pax records: "<len> <key>=<value>\n", where len counts the whole record including its own digits.
 * @param {Array<[string, Buffer]>} records
 * @returns {Buffer}
 */
function encodePaxRecords(records) {
  return Buffer.concat(records.map(([key, value]) => {
    const rest = Buffer.byteLength(key) + value.length + 3; // ' ', '=', '\n'
    let len = rest + String(rest).length;
    if (String(len).length !== String(rest).length) len = rest + String(len).length;
    return Buffer.concat([Buffer.from(`${len} ${key}=`), value, Buffer.from('\n')]);
  }));
}

/**
 * @typedef {object} RawHeader
 * @property {Buffer} name
 * @property {number} mode
 * @property {number} uid
 * @property {number} gid
 * @property {number} size
 * @property {number} mtime
 * @property {string} typeflag
 * @property {Buffer} linkname
 * @property {string} uname
 * @property {string} gname
 * @property {number} devmajor
 * @property {number} devminor
 */

/**
 * One 512-byte ustar header block.
 * @param {RawHeader} h
 * @returns {Buffer}
 */
function encodeHeader(h) {
  const b = Buffer.alloc(BLOCK);
  h.name.copy(b, 0, 0, 100);
  writeOctal(b, 100, 8, h.mode, 'mode', h.name);
  writeOctal(b, 108, 8, h.uid, 'uid', h.name);
  writeOctal(b, 116, 8, h.gid, 'gid', h.name);
  writeOctal(b, 124, 12, h.size, 'size', h.name);
  writeOctal(b, 136, 12, h.mtime, 'mtime', h.name);
  b.write(h.typeflag.slice(0, 1), 156, 'latin1');
  h.linkname.copy(b, 157, 0, 100);
  b.write('ustar\u000000', 257, 'latin1');
  b.write(h.uname.slice(0, 31), 265, 'utf8');
  b.write(h.gname.slice(0, 31), 297, 'utf8');
  writeOctal(b, 329, 8, h.devmajor, 'devmajor', h.name);
  writeOctal(b, 337, 8, h.devminor, 'devminor', h.name);
  b.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 'latin1');
  return b;
}

/**
 * Zero-padded octal digits followed by a NUL, as GNU tar and Go's archive/tar write them.
 * @param {Buffer} b
 * @param {number} offset
 * @param {number} width
 * @param {number} value
 * @param {string} field header field name, for the error
 * @param {Buffer} name entry name, for the error
 * @throws {ImageToolError} ENTRY_INVALID when the value does not fit
 */
function writeOctal(b, offset, width, value, field, name) {
  const digits = Math.max(0, Math.trunc(value)).toString(8);
  if (digits.length > width - 1) {
    throw new ImageToolError('ENTRY_INVALID', `tar header: ${name.toString('latin1')}: ${field} ${value} does not fit ${width - 1} octal digits`);
  }
  b.write(digits.padStart(width - 1, '0') + '\u0000', offset, 'latin1');
}

/**
 * @param {Buffer} data
 * @returns {Buffer}
 */
function padToBlock(data) {
  const rem = data.length % BLOCK;
  return rem === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rem)]);
}

/**
 * @param {string|Buffer} v
 * @returns {Buffer}
 */
function toBuffer(v) {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}
