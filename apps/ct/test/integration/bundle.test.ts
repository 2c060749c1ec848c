/**
 * The lean entry's bundle (scripts/bundle.mjs, issue 21): bin/ct.js runs dist/bundle/lean.body.cjs with V8's code
 * cache, and it behaves as the ES modules in dist/ do (CT_NO_BUNDLE=1): the same output and status for a verb
 * that succeeds and one that fails, and files found through import.meta.url (build-info.json) found from it.
 * Each worker a command spawns (run monitor, copy-root worker, keep-id shift worker, rootless unpack worker and owner worker) has its bundle and stub.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '@ct/test-utils';
import { removeTree } from '@ct/oci';

const bin = fileURLToPath(new URL('../../bin/ct.js', import.meta.url));
const bundleDir = fileURLToPath(new URL('../../dist/bundle/', import.meta.url));

function ct(args: readonly string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('ct bundle', () => {
  it('ct bundle, --version runs from the bundle with its code cache, and prints what the ES modules print', () => {
    const bundled = ct(['--version'], { CT_BUNDLE_DEBUG: '1' });
    const modules = ct(['--version'], { CT_NO_BUNDLE: '1' });
    assert.equal(bundled.status, 0, bundled.stderr);
    assert.match(bundled.stderr, /^ct-bundle: lean: code cache used$/m);
    assert.equal(modules.status, 0, modules.stderr);
    assert.equal(bundled.stdout, modules.stdout);
    // build-info.json is read through the module's import.meta.url: the commit is found from the bundle too
    assert.doesNotMatch(bundled.stdout, /commit: unknown/);
  });

  it('ct bundle, a failing verb (state of a missing container) gives the same status and message as the ES modules', async () => {
    const root = tempDir('ct-bundle-');
    try {
      const bundled = ct(['--root', root, 'state', 'no-such-ctr'], {});
      const modules = ct(['--root', root, 'state', 'no-such-ctr'], { CT_NO_BUNDLE: '1' });
      assert.equal(bundled.status, 1);
      assert.equal(modules.status, 1);
      const message = (s: string): string => s.replace(/time="[^"]*"/g, 'time=T');
      assert.equal(message(bundled.stderr), message(modules.stderr));
      assert.match(bundled.stderr, /container no-such-ctr does not exist/);
    } finally {
      await removeTree(root);
    }
  });

  it('ct bundle, each spawned worker has a stub, a body naming its hash and a code cache of that hash', () => {
    for (const name of ['monitor-main', 'image-run-copy-worker', 'userns-shift-worker', 'unpack-worker', 'owner-fix-worker']) {
      assert.ok(existsSync(join(bundleDir, `${name}.cjs`)), `${name}.cjs`);
      const hash = /^\/\/ ct-bundle ([0-9a-f]{16})\n/.exec(readFileSync(join(bundleDir, `${name}.body.cjs`), 'utf8'))?.[1];
      assert.ok(hash !== undefined, `${name}.body.cjs names its hash`);
      assert.ok(existsSync(join(bundleDir, `${name}.${hash}.cache`)), `${name}.${hash}.cache`);
    }
    // the lean bundle spawns them through their stubs, not dist/'s modules
    const lean = readFileSync(join(bundleDir, 'lean.body.cjs'), 'utf8');
    for (const stub of ['monitor-main.cjs', 'image-run-copy-worker.cjs', 'userns-shift-worker.cjs', 'unpack-worker.cjs', 'owner-fix-worker.cjs']) assert.ok(lean.includes(`__ctBundleUrl("${stub}")`), stub);
  });
});
