import { strict as assert } from 'node:assert';
import { linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyLayers, overlayRefusal, overlayRefusalCause } from '../../src/image-run-copy.js';

describe('copyLayers', () => {
  let base: string;
  const layer = (name: string): string => { const d = join(base, name); mkdirSync(d); return d; };
  beforeEach(() => { base = mkdtempSync(join(tmpdir(), 'ct-copy-')); });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('copyLayers, upper entries replace lower ones of another kind; an opaque dir hides what is below', () => {
    const lower = layer('lower');
    const upper = layer('upper');
    const merged = layer('merged');
    mkdirSync(join(lower, 'dir-to-file'));
    writeFileSync(join(lower, 'dir-to-file', 'child'), 'c');
    writeFileSync(join(lower, 'file-to-dir'), 'f');
    symlinkSync('/etc', join(lower, 'link-to-dir'));
    mkdirSync(join(lower, 'opq'));
    writeFileSync(join(lower, 'opq', 'old'), 'old');
    writeFileSync(join(upper, 'dir-to-file'), 'now a file');
    mkdirSync(join(upper, 'file-to-dir'));
    writeFileSync(join(upper, 'file-to-dir', 'inner'), 'inner');
    mkdirSync(join(upper, 'link-to-dir'));
    writeFileSync(join(upper, 'link-to-dir', 'in-layer'), 'x');
    mkdirSync(join(upper, 'opq'));
    writeFileSync(join(upper, 'opq', 'new'), 'new');
    const opaque = join(upper, 'opq');
    copyLayers([lower, upper], merged, (path, name) => {
      if (path.toString() === opaque && name === 'user.overlay.opaque') return Buffer.from('y');
      throw Object.assign(new Error('ENODATA'), { code: 'ENODATA' });
    });
    assert.equal(readFileSync(join(merged, 'dir-to-file'), 'utf8'), 'now a file');
    assert.equal(readFileSync(join(merged, 'file-to-dir', 'inner'), 'utf8'), 'inner');
    assert.ok(lstatSync(join(merged, 'link-to-dir')).isDirectory(), 'the lower symlink was replaced, not followed');
    assert.deepEqual(readdirSync(join(merged, 'opq')), ['new']);
  });
  it('copyLayers, a file of a lower layer with hard links is replaced, not written through', () => {
    const lower = layer('lower');
    const upper = layer('upper');
    const merged = layer('merged');
    writeFileSync(join(lower, 'a'), 'old');
    linkSync(join(lower, 'a'), join(lower, 'b'));
    writeFileSync(join(upper, 'a'), 'new');
    copyLayers([lower, upper], merged, () => { throw new Error('ENODATA'); });
    assert.equal(readFileSync(join(merged, 'a'), 'utf8'), 'new');
    assert.equal(readFileSync(join(merged, 'b'), 'utf8'), 'old');
    assert.equal(readFileSync(join(lower, 'a'), 'utf8'), 'old', 'the layer itself is untouched');
  });
  it('copyLayers, a failing cp is an ESETUP error naming the layer', () => {
    const lower = layer('lower');
    writeFileSync(join(lower, 'f'), 'f');
    const notADir = join(base, 'merged');
    writeFileSync(notADir, '');
    assert.throws(() => copyLayers([lower], notADir, () => Buffer.alloc(0)), (e: { code?: string; message?: string }) => e.code === 'ESETUP' && e.message!.includes(lower));
  });
});

describe('overlayRefusal', () => {
  const refused = (errno: string): Error => Object.assign(new Error('setup'), { cause: Object.assign(new Error('x'), { step: 'mount root overlay', cause: { code: errno } }) });
  it('overlayRefusal, EINVAL EPERM ENODEV of the overlay root\'s mount, anywhere in the cause chain', () => {
    for (const errno of ['EINVAL', 'EPERM', 'ENODEV']) assert.equal(overlayRefusal(refused(errno)), errno);
  });
  it('overlayRefusal, other errnos and other steps are not refusals', () => {
    assert.equal(overlayRefusal(refused('ENOENT')), undefined);
    assert.equal(overlayRefusal(Object.assign(new Error('x'), { step: 'mount proc', cause: { code: 'EPERM' } })), undefined);
    assert.equal(overlayRefusal(new Error('plain')), undefined);
  });
  it('overlayRefusalCause, what a monitor reports is recognised by its caller', () => {
    assert.equal(overlayRefusal(Object.assign(new Error('x'), { cause: overlayRefusalCause('EPERM') })), 'EPERM');
  });
});
