/**
 * The light entries stay light: `@ct/oci/unpack` loads no registry client (node:http, node:https, node:tls) nor
 * credential helper spawner (node:child_process), checked in a fresh Node process on the built dist/ (what
 * `ct image unpack` and the bench load). (node:net comes with @ct/syscalls' socket wrappers either way.)
 * The pure entries (`@ct/oci/spec`: types and validation; `@ct/oci/config`: container configs) load without the
 * native addon (issue 20: a user who only wants the types must not need a compiler): their import graph names no
 * package that loads it, and they import and work in a Node whose process.dlopen throws.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { repoRoot } from '@ct/test-utils';

const dist = join(repoRoot(), 'packages/oci/dist');

/** The builtins a fresh Node process loads while it imports `entry`. */
function builtinsLoadedBy(entry: string): string[] {
  const script = `const before = new Set(process.moduleLoadList); await import(${JSON.stringify(entry)});
    console.log(JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith('NativeModule ')).map((m) => m.slice(13))));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[];
}

describe('light entries', () => {
  it('@ct/oci/unpack, loads no http, tls or child_process', () => {
    const loaded = builtinsLoadedBy(join(dist, 'unpack-entry.js'));
    for (const m of ['https', 'http', 'tls', 'child_process']) assert.equal(loaded.includes(m), false, m);
    assert.ok(loaded.includes('zlib'), 'the unpack path itself is loaded');
  });

  it('@ct/oci, the main entry loads the registry transport only when a pull makes a request', () => {
    const loaded = builtinsLoadedBy(join(dist, 'index.js'));
    for (const m of ['https', 'tls', 'child_process']) assert.equal(loaded.includes(m), false, m);
  });

  const pure = ['spec/index.js', 'config-entry.js'];

  /** Every bare specifier the modules reachable from `entry` import (relative ones are followed). */
  function bareImports(entry: string): Set<string> {
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      // Comments left out: a doc comment's @example imports what it shows, not what the module loads.
      const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
        else bare.add(spec);
      }
    };
    visit(join(dist, entry));
    return bare;
  }

  for (const entry of pure) {
    it(`${entry}, imports nothing that loads the addon (only node: builtins and @ct/syscalls/errors)`, () => {
      const imported = [...bareImports(entry)];
      assert.deepEqual(imported.filter((s) => !s.startsWith('node:') && s !== '@ct/syscalls/errors'), []);
    });
  }

  it('the pure entries load and work with the addon made unloadable; the main entry does not (the check bites)', () => {
    const noAddon = `data:text/javascript,process.dlopen = () => { throw new Error('addon made unloadable'); };`;
    const script = `const spec = await import(${JSON.stringify(join(dist, 'spec/index.js'))});
      const config = await import(${JSON.stringify(join(dist, 'config-entry.js'))});
      spec.validateRuntimeSpec(spec.parseJson('{"ociVersion":"1.0.2"}', 'x'));
      const c = config.buildRuntimeConfig({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }, { uid: 0, gid: 0, additionalGids: [], home: '/' });
      console.log(c.linux.seccomp.defaultAction);
      try { await import(${JSON.stringify(join(dist, 'index.js'))}); console.log('main loaded'); } catch (e) { console.log('main refused:', (e.cause ?? e).message); }`;
    const r = spawnSync(process.execPath, ['--import', noAddon, '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'SCMP_ACT_ERRNO\nmain refused: addon made unloadable\n');
  });
});
