/**
 * The light entries stay light: `@ct/oci/unpack` loads no registry client (node:http, node:https, node:tls) nor
 * credential helper spawner (node:child_process), checked in a fresh Node process on the built dist/ (what
 * `ct image unpack` and the bench load). (node:net comes with @ct/syscalls' socket wrappers either way.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
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
});
