import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TarScanner, MAX_LONG_HEADER, type RawEntry } from '../../src/tar-scan.js';
import { imagesLib } from '../helpers/fixtures.js';

async function scan(tar: Buffer, chunk = 100): Promise<{ entries: RawEntry[]; passed: number; error?: Error }> {
  const entries: RawEntry[] = [];
  let passed = 0;
  const chunks: Buffer[] = [];
  for (let i = 0; i < tar.length; i += chunk) chunks.push(tar.subarray(i, i + chunk));
  try {
    await pipeline(Readable.from(chunks), new TarScanner((e) => entries.push(e)), new Writable({ write(c: Buffer, _e, cb) { passed += c.length; cb(); } }));
    return { entries, passed };
  } catch (error) {
    return { entries, passed, error: error as Error };
  }
}

describe('TarScanner', () => {
  it('TarScanner, names are raw bytes (non-UTF-8 kept)', async () => {
    const lib = await imagesLib();
    const { entries } = await scan(lib.writeTar([{ type: 'file', path: Buffer.from([0x66, 0xff, 0xfe]), content: 'x' }]));
    assert.deepEqual(entries[0]!.name, Buffer.from([0x66, 0xff, 0xfe]));
  });

  it('TarScanner, pax path with binary bytes and xattr values are kept exactly', async () => {
    const lib = await imagesLib();
    const long = Buffer.concat([Buffer.from('d/'.repeat(60)), Buffer.from([0xe9, 0x80])]);
    const { entries } = await scan(lib.writeTar([{ type: 'file', path: long, content: 'x', xattrs: { 'user.b': Buffer.from([0, 0xff, 0x80]) } }]), 7);
    assert.deepEqual(entries[0]!.name, long);
    assert.deepEqual(entries[0]!.pax.get('SCHILY.xattr.user.b'), Buffer.from([0, 0xff, 0x80]));
  });

  it('TarScanner, pax uid/gid beyond octal fields and fractional mtime', async () => {
    const lib = await imagesLib();
    const { entries } = await scan(lib.writeTar([{ type: 'file', path: 'f', content: '', uid: 3000000, gid: 4000000, pax: { mtime: '1700000000.123456789' } }]));
    assert.equal(entries[0]!.uid, 3000000);
    assert.equal(entries[0]!.gid, 4000000);
    assert.equal(entries[0]!.mtimeSec, 1700000000n);
    assert.equal(entries[0]!.mtimeNsec, 123456789);
  });

  it('TarScanner, entry types and sizes in order, data skipped', async () => {
    const lib = await imagesLib();
    const { entries } = await scan(lib.writeTar([
      { type: 'dir', path: 'd' }, { type: 'file', path: 'd/f', content: 'x'.repeat(1000) }, { type: 'symlink', path: 'l', target: 'd/f' },
      { type: 'hardlink', path: 'h', target: 'd/f' }, { type: 'fifo', path: 'p' },
    ]), 333);
    assert.deepEqual(entries.map((e) => [String.fromCharCode(e.typeflag), e.name.toString(), e.size]),
      [['5', 'd', 0], ['0', 'd/f', 1000], ['2', 'l', 0], ['1', 'h', 0], ['6', 'p', 0]]);
    assert.equal(entries[2]!.linkname!.toString(), 'd/f');
  });

  it('TarScanner, an oversized pax header is refused before its data passes', async () => {
    const lib = await imagesLib();
    const tar = lib.writeTar([{ type: 'file', path: 'f', content: 'x', pax: { comment: Buffer.alloc(MAX_LONG_HEADER + 1, 0x61) } }]);
    const r = await scan(tar, 512);
    assert.equal((r.error as { code?: string } | undefined)?.code, 'OCI_TAR_HEADER_TOO_LARGE');
    assert.equal(r.passed, 0);
    assert.equal(r.entries.length, 0);
  });

  it('TarScanner, an oversized GNU long name is refused', async () => {
    const header = Buffer.alloc(512);
    header.write('././@LongLink', 0, 'latin1');
    header.write('0000644\0', 100, 'latin1');
    header.write('0000000\0', 108, 'latin1');
    header.write('0000000\0', 116, 'latin1');
    header.write(`${(2 * MAX_LONG_HEADER).toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    header.write('00000000000\0', 136, 'latin1');
    header[156] = 0x4c;
    header.write('ustar  \0', 257, 'latin1');
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const r = await scan(Buffer.concat([header, Buffer.alloc(1024)]));
    assert.equal((r.error as { code?: string } | undefined)?.code, 'OCI_TAR_HEADER_TOO_LARGE');
  });

  it('TarScanner, a bad checksum is refused', async () => {
    const lib = await imagesLib();
    const tar = lib.writeTar([{ type: 'file', path: 'f', content: 'x' }]);
    tar[0] = 0x67;
    const r = await scan(tar);
    assert.equal((r.error as { code?: string } | undefined)?.code, 'OCI_TAR_INVALID');
  });
});
