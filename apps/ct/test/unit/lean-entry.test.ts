import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

/** Every module specifier imported (statically or dynamically) by the compiled files reachable from `entry`. */
function importGraph(entry: string): { files: Set<string>; bare: Set<string> } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)) {
      const spec = m[1] ?? '';
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else bare.add(spec);
    }
  };
  visit(entry);
  return { files, bare };
}

describe('lean entry', () => {
  before(function () {
    if (!existsSync(`${dist}engine/lean.js`)) this.skip();
  });
  it('lean entry, nothing reachable from dist/engine/lean.js imports @oclif/core', () => {
    const { files, bare } = importGraph(`${dist}engine/lean.js`);
    assert.ok(files.size >= 3, [...files].join(' '));
    assert.ok(bare.has('@ct/runtime/verbs'));
    assert.ok(![...bare].some((s) => s.startsWith('@oclif/')), [...bare].join(' '));
  });
  it('lean entry, bin/ct.js imports oclif only on the fall-through path', () => {
    const bin = readFileSync(fileURLToPath(new URL('../../bin/ct.js', import.meta.url)), 'utf8');
    assert.doesNotMatch(bin, /^import .*@oclif/m);
    assert.match(bin, /await import\('@oclif\/core'\)/);
  });
});
