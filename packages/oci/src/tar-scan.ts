/**
 * A pass-through that walks the tar structure in front of tar-stream, for three reasons:
 * - size limits: a PAX, global PAX or GNU long-name/long-link header larger than {@link MAX_LONG_HEADER} is refused
 *   from its ustar header, before any of it is buffered (tar-stream would buffer up to 4 MiB);
 * - byte-exact metadata: tar-stream decodes PAX values as UTF-8 (binary xattrs and `hdrcharset=BINARY` names would be
 *   mangled) and ignores PAX uid/gid/mtime; this scanner keeps raw bytes and the full PAX record set;
 * - no parser differential: the scanner mirrors tar-stream's framing rules exactly (which headers carry data, the
 *   trailing-slash directory rule, PAX size, local-only PAX application), and the consumer checks each tar-stream
 *   entry against the scanner's record (type and size) so both always agree on where an entry starts.
 * See tar(5) (ustar, GNU and pax formats) and pax(1) "pax Header Block".
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Largest PAX or GNU long header accepted (1 MiB). */
export const MAX_LONG_HEADER = 1024 * 1024;

/** One archive member as the scanner saw it, with raw bytes where tar-stream would decode. */
export interface RawEntry {
  /** The effective name: PAX path, else GNU long name, else ustar prefix/name; raw bytes. */
  readonly name: Buffer;
  /** The effective link target (raw bytes), or null. */
  readonly linkname: Buffer | null;
  /** The type flag byte after the trailing-slash rule ('0' becomes '5' for `dir/`); 0 for NUL. */
  readonly typeflag: number;
  /** Data size in bytes (PAX `size` when given). */
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Modification time: seconds and nanoseconds (PAX `mtime` keeps the fraction). */
  readonly mtimeSec: bigint;
  readonly mtimeNsec: number;
  readonly devmajor: number;
  readonly devminor: number;
  /** PAX records (local merged over global) with raw values; empty without a local PAX header. */
  readonly pax: ReadonlyMap<string, Buffer>;
}

/** Thrown (as a stream error) for a malformed archive or an oversized header. */
export class TarScanError extends Error {
  constructor(readonly code: 'OCI_TAR_HEADER_TOO_LARGE' | 'OCI_TAR_INVALID', message: string) {
    super(message);
  }
}

const USTAR = Buffer.from('ustar\0', 'latin1');
const GNU = Buffer.from('ustar ', 'latin1');
const GNU_VER = Buffer.from(' \0', 'latin1');
const LONG_TYPES = new Set([0x78 /* x */, 0x67 /* g */, 0x4c /* L */, 0x4b /* K */]);

function cstr(b: Buffer, off: number, len: number): Buffer {
  const end = b.indexOf(0, off);
  return Buffer.from(b.subarray(off, end === -1 || end > off + len ? off + len : end));
}

/** tar-stream's decodeOct, but exact: base-256 as bigint, octal with the same space/NUL tolerance. */
function numField(b: Buffer, off: number, len: number): bigint {
  const v = b.subarray(off, off + len);
  if ((v[0]! & 0x80) !== 0) {
    if (v[0] !== 0x80 && v[0] !== 0xff) throw new TarScanError('OCI_TAR_INVALID', 'read tar header: bad base-256 number');
    let n = 0n;
    for (let i = 1; i < v.length; i++) n = (n << 8n) | BigInt(v[0] === 0xff ? 0xff - v[i]! : v[i]!);
    return v[0] === 0xff ? -n : n;
  }
  let i = 0;
  while (i < v.length && v[i] === 0x20) i++;
  let end = v.indexOf(0x20, i);
  if (end === -1) end = v.length;
  while (i < end && v[i] === 0) i++;
  const digits = v.subarray(i, end).toString('latin1').replace(/\0.*$/s, '');
  if (digits === '') return 0n;
  if (!/^[0-7]+$/.test(digits)) throw new TarScanError('OCI_TAR_INVALID', `read tar header: bad octal number ${JSON.stringify(digits)}`);
  return BigInt(`0o${digits}`);
}

function toSafe(n: bigint, what: string): number {
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new TarScanError('OCI_TAR_INVALID', `read tar header: ${what} ${n} out of range`);
  return Number(n);
}

function checksumOk(b: Buffer): boolean | null {
  let sum = 8 * 32;
  for (let i = 0; i < 148; i++) sum += b[i]!;
  for (let i = 156; i < 512; i++) sum += b[i]!;
  if (sum === 8 * 32) return null; // an all-zero block
  return BigInt(sum) === numField(b, 148, 8);
}

/** PAX records with raw values, parsed as tar-stream's decodePax frames them. */
function parsePax(buf: Buffer, into: Map<string, Buffer>): void {
  while (buf.length > 0) {
    const sp = buf.indexOf(0x20);
    const len = parseInt(buf.subarray(0, sp === -1 ? buf.length : sp).toString('latin1'), 10);
    if (!len || sp === -1) return;
    const rec = buf.subarray(sp + 1, len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq === -1) return;
    into.set(rec.subarray(0, eq).toString('utf8'), Buffer.from(rec.subarray(eq + 1)));
    buf = buf.subarray(len);
  }
}

function paxTime(v: Buffer): { sec: bigint; nsec: number } | undefined {
  const m = /^(-?[0-9]+)(?:\.([0-9]+))?$/.exec(v.toString('latin1'));
  if (m === null) return undefined;
  return { sec: BigInt(m[1]!), nsec: Number((m[2] ?? '').padEnd(9, '0').slice(0, 9)) };
}

/**
 * The scanner: pipe a tar byte stream through it into tar-stream's extract; it calls `onEntry` for every member
 * before passing the member's header on, in archive order.
 */
export class TarScanner extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes to collect (header or long-header data) or to skip (member data and padding). */
  private mode: 'header' | 'long' | 'skip' = 'header';
  private need = 512;
  private longType = 0;
  private paxGlobal = new Map<string, Buffer>();
  private paxLocal: Map<string, Buffer> | null = null;
  private gnuName: Buffer | null = null;
  private gnuLink: Buffer | null = null;

  constructor(private readonly onEntry: (e: RawEntry) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      let off = 0;
      while (off < chunk.length) {
        const take = Math.min(this.need, chunk.length - off);
        if (this.mode !== 'skip') {
          this.pending.push(chunk.subarray(off, off + take));
          this.pendingBytes += take;
        }
        off += take;
        this.need -= take;
        if (this.need === 0) this.advance();
      }
      cb(null, chunk);
    } catch (err) {
      cb(err as Error);
    }
  }

  private collected(): Buffer {
    const b = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return b;
  }

  private advance(): void {
    if (this.mode === 'skip') {
      this.mode = 'header';
      this.need = 512;
      return;
    }
    if (this.mode === 'long') {
      this.consumeLong(this.collected());
      return;
    }
    this.consumeHeader(this.collected());
  }

  private consumeLong(all: Buffer): void {
    const data = all.subarray(0, all.length); // padding was not collected (see consumeHeader)
    if (this.longType === 0x4c) this.gnuName = cstr(data, 0, data.length);
    else if (this.longType === 0x4b) this.gnuLink = cstr(data, 0, data.length);
    else if (this.longType === 0x67) parsePax(data, this.paxGlobal);
    else {
      this.paxLocal = new Map(this.paxGlobal);
      parsePax(data, this.paxLocal);
    }
    this.mode = 'header';
    this.need = 512;
    const pad = (512 - (data.length % 512)) % 512;
    if (pad > 0) { this.mode = 'skip'; this.need = pad; }
  }

  private consumeHeader(h: Buffer): void {
    const ok = checksumOk(h);
    if (ok === null) { this.need = 512; return; } // zero block: tar-stream skips it too
    if (!ok) throw new TarScanError('OCI_TAR_INVALID', 'read tar header: bad checksum');
    const isUstar = h.subarray(257, 263).equals(USTAR);
    const isGnu = h.subarray(257, 263).equals(GNU) && h.subarray(263, 265).equals(GNU_VER);
    if (!isUstar && !isGnu) throw new TarScanError('OCI_TAR_INVALID', 'read tar header: unknown format (neither ustar nor gnu)');
    let typeflag = h[156]!;
    const headerSize = numField(h, 124, 12);
    if (LONG_TYPES.has(typeflag)) {
      if (headerSize > BigInt(MAX_LONG_HEADER)) {
        throw new TarScanError('OCI_TAR_HEADER_TOO_LARGE', `read tar header: ${String.fromCharCode(typeflag)} header of ${headerSize} bytes exceeds the limit of ${MAX_LONG_HEADER}`);
      }
      this.longType = typeflag;
      this.mode = 'long';
      this.need = Number(headerSize);
      if (this.need === 0) this.consumeLong(Buffer.alloc(0));
      return;
    }
    let name = cstr(h, 0, 100);
    if (isUstar && h[345] !== 0) name = Buffer.concat([cstr(h, 345, 155), Buffer.from('/'), name]);
    if ((typeflag === 0x30 || typeflag === 0) && name.length > 0 && name[name.length - 1] === 0x2f) typeflag = 0x35;
    let linkname = h[157] === 0 ? null : cstr(h, 157, 100);
    let size = toSafe(headerSize, 'size');
    let uid = toSafe(numField(h, 108, 8), 'uid');
    let gid = toSafe(numField(h, 116, 8), 'gid');
    let mtimeSec = numField(h, 136, 12);
    let mtimeNsec = 0;
    if (this.gnuName !== null) { name = this.gnuName; this.gnuName = null; }
    if (this.gnuLink !== null) { linkname = this.gnuLink; this.gnuLink = null; }
    const pax = this.paxLocal ?? new Map<string, Buffer>();
    this.paxLocal = null;
    const p = pax.get('path');
    if (p !== undefined && p.length > 0) name = p;
    const lp = pax.get('linkpath');
    if (lp !== undefined && lp.length > 0) linkname = lp;
    const ps = pax.get('size');
    if (ps !== undefined && ps.length > 0) {
      const n = parseInt(ps.toString('latin1'), 10);
      if (!(n >= 0) || !Number.isSafeInteger(n)) throw new TarScanError('OCI_TAR_INVALID', 'read tar header: bad pax size');
      size = n;
    }
    const num = (k: string): number | undefined => {
      const v = pax.get(k);
      if (v === undefined) return undefined;
      const s = v.toString('latin1');
      if (!/^[0-9]+$/.test(s)) throw new TarScanError('OCI_TAR_INVALID', `read tar header: bad pax ${k}`);
      return toSafe(BigInt(s), k);
    };
    uid = num('uid') ?? uid;
    gid = num('gid') ?? gid;
    const pm = pax.get('mtime');
    if (pm !== undefined) {
      const t = paxTime(pm);
      if (t !== undefined) { mtimeSec = t.sec; mtimeNsec = t.nsec; }
    }
    this.onEntry({
      name, linkname, typeflag, size, uid, gid, mtimeSec, mtimeNsec, pax,
      mode: Number(numField(h, 100, 8)),
      devmajor: Number(numField(h, 329, 8)),
      devminor: Number(numField(h, 337, 8)),
    });
    // tar-stream reads no data for directories, whatever the size says; mirror it.
    const skip = typeflag === 0x35 ? 0 : size + ((512 - (size % 512)) % 512);
    if (skip > 0) { this.mode = 'skip'; this.need = skip; }
    else { this.mode = 'header'; this.need = 512; }
  }
}
