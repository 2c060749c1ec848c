import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { requireFeature } from '@ct/test-utils';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

/**
 * The compiled files reachable from `entry` (static imports and relative dynamic ones), and the packages they
 * import statically, i.e. load as soon as they are evaluated. A dynamic `import('@oclif/core')` behind a condition
 * (plugin hooks when user plugins are installed) is allowed; an eager one is not.
 */
function importGraph(entry: string): { files: Set<string>; bare: Set<string>; lazy: Set<string> } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const lazy = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|^import\s+)['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]/gm)) {
      const spec = m[1] ?? m[2] ?? '';
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else if (m[1] !== undefined) bare.add(spec);
      else lazy.add(spec);
    }
  };
  visit(entry);
  return { files, bare, lazy };
}

describe('lean entry', () => {
  before(function () {
    requireFeature(this, existsSync(`${dist}engine/lean.js`), 'apps/ct is built (dist/engine/lean.js)');
  });
  it('lean entry, nothing reachable from dist/engine/lean.js loads @oclif/core eagerly', () => {
    const { files, bare, lazy } = importGraph(`${dist}engine/lean.js`);
    assert.ok(files.size >= 3, [...files].join(' '));
    assert.ok(lazy.has('@ct/runtime/verbs'));
    assert.ok(![...bare].some((s) => s.startsWith('@oclif/')), [...bare].join(' '));
  });
  it('lean entry, bin/ct.js imports oclif only on the fall-through path', () => {
    const bin = readFileSync(fileURLToPath(new URL('../../bin/ct.js', import.meta.url)), 'utf8');
    assert.doesNotMatch(bin, /^import .*@oclif/m);
    // the fall-through imports ct's oclif runner (its error style), which imports oclif
    assert.match(bin, /await import\('\.\.\/dist\/engine\/oclif-main\.js'\)/);
    assert.ok(importGraph(`${dist}engine/oclif-main.js`).lazy.has('@oclif/core'));
  });
});
