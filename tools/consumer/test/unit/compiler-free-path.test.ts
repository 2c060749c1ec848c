import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_TOOL, makeCompilerFreePath } from '../../src/compiler-free-path.js';

describe('makeCompilerFreePath', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ct-compiler-free-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makeCompilerFreePath, compilers and make are left out with their versioned and triplet names', () => {
    for (const name of ['g++', 'gcc', 'cc', 'c++', 'cpp', 'make', 'g++-12', 'x86_64-linux-gnu-g++-12', 'x86_64-linux-gnu-gcc', 'clang-16', 'ld']) {
      assert.ok(BUILD_TOOL.test(name), name);
    }
    for (const name of ['node', 'npm', 'gccgo-ish', 'c++filt', 'ldd', 'makeinfo', 'pnpm', 'tar', 'python3']) {
      assert.ok(!BUILD_TOOL.test(name), name);
    }
  });

  it('makeCompilerFreePath, the first program of a name wins, as in a shell lookup', () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    for (const d of [a, b]) mkdirSync(d);
    for (const f of [join(a, 'tool'), join(b, 'tool'), join(b, 'other'), join(b, 'g++')]) writeFileSync(f, '');
    const out = makeCompilerFreePath(join(dir, 'out'), `${a}:${dir}/missing::${b}`);
    assert.deepEqual(readdirSync(out).sort(), ['other', 'tool']);
    assert.equal(readlinkSync(join(out, 'tool')), join(a, 'tool'));
  });
});
