/**
 * The package's two entries: `@ct/namespaces/engine` (what a runtime needs, without the Guix wrappers and the
 * doctor) and the index (all of it). The engine's module graph must not reach the doctor's modules.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as engine from '../../src/engine.js';
import * as index from '../../src/index.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Every src module reachable from `entry` through relative imports. */
function graph(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const text = readFileSync(join(SRC, entry), 'utf8');
  for (const m of text.matchAll(/^(?:import|export)\s[^'"]*from\s+'(\.[^']+)\.js';/gm)) {
    const spec = m[1];
    if (spec !== undefined) graph(join(dirname(entry), `${spec}.ts`), seen);
  }
  return seen;
}

describe('package entries', () => {
  it('engine, exports the runtime\'s functions; the index re-exports them and adds the Guix wrappers and doctor', () => {
    for (const name of ['runContainer', 'withDefaults', 'buildChildPlan', 'createContainerCgroup', 'freezeCgroup', 'compileSeccomp', 'unprivilegedUserNamespaceSupported']) {
      assert.equal(typeof (engine as Record<string, unknown>)[name], 'function', name);
      assert.equal((index as Record<string, unknown>)[name], (engine as Record<string, unknown>)[name], name);
    }
    for (const name of ['callWithContainer', 'evalInContainer', 'containerExcursion', 'runDoctor']) {
      assert.equal((engine as Record<string, unknown>)[name], undefined, name);
      assert.equal(typeof (index as Record<string, unknown>)[name], 'function', name);
    }
  });

  it('engine, its module graph leaves out doctor/ and the Guix wrappers', () => {
    const modules = [...graph('engine.ts')];
    const left = ['doctor/', 'call-with-container.ts', 'eval-in-container.ts', 'excursion.ts'];
    assert.deepEqual(modules.filter((m) => left.some((l) => m.startsWith(l))), []);
    assert.ok(graph('index.ts').size > modules.length);
  });
});
