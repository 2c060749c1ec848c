import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeLoadError } from '../../src/errors.js';
import { loadNative, nativeCandidates } from '../../src/internal/native-loader.js';

describe('loadNative', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ct-native-loader-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('loadNative, a source build is tried before the prebuilt binary', () => {
    assert.deepEqual(nativeCandidates(root, 'x'), [
      join(root, 'build', 'Release', 'x.node'),
      join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'x.node'),
    ]);
  });

  it('loadNative, nothing built: ENATIVE naming each path as not found and the source build', () => {
    assert.throws(() => loadNative(root, 'x'), (e: unknown) => {
      assert.ok(e instanceof NativeLoadError);
      assert.equal(e.code, 'ENATIVE');
      assert.deepEqual(e.candidates.map((c) => c.reason), ['not found', 'not found']);
      assert.deepEqual(e.candidates.map((c) => c.path), nativeCandidates(root, 'x'));
      assert.match(e.message, /python3, make and g\+\+/);
      assert.ok(e.message.includes(join(root, 'scripts', 'gyp.mjs')));
      return true;
    });
  });

  it('loadNative, a binary that does not load: dlopen\'s reason kept, the next candidate tried', () => {
    const bad = nativeCandidates(root, 'x')[0]!;
    mkdirSync(join(root, 'build', 'Release'), { recursive: true });
    writeFileSync(bad, 'not an ELF file');
    assert.throws(() => loadNative(root, 'x'), (e: unknown) => {
      assert.ok(e instanceof NativeLoadError);
      assert.equal(e.candidates.length, 2);
      assert.notEqual(e.candidates[0]!.reason, 'not found');
      assert.equal(e.candidates[1]!.reason, 'not found');
      assert.ok(e.cause instanceof Error);
      return true;
    });
  });
});
