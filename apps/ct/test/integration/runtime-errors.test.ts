/**
 * ct's error output on set-up failures: the doctor's cause and fix (explainSetupError) appended to the message.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import { spawnSync } from 'node:child_process';
import { ciUser, ctBin, makeBundleDir, removeBundle, writeConfig } from './runtime-harness.js';
import { specTemplate } from '@ct/runtime';

describe('ct runtime set-up errors @root', () => {
  it('ct run, XDG_RUNTIME_DIR owned by root for ctci: the cause and the fix line', async function () {
    const user = ciUser();
    requireFeature(this, isRoot() && user !== undefined, 'needs root and the ctci user');
    const foreign = mkdtempSync('/tmp/ct-xdg-foreign-');
    chmodSync(foreign, 0o755);
    const bundle = await makeBundleDir('/tmp/ct-errors-bundles', user);
    try {
      writeConfig(bundle, ['true'], specTemplate({ rootless: true }) as unknown as Record<string, unknown>);
      chmodSync(join(bundle, 'config.json'), 0o644);
      // no --root: the state root comes from XDG_RUNTIME_DIR, which ctci cannot write
      const r = spawnSync('runuser', ['-u', 'ctci', '--', 'env', `XDG_RUNTIME_DIR=${foreign}`, 'HOME=/tmp', 'TMPDIR=/tmp',
        process.execPath, ctBin, 'run', '--bundle', bundle, 'xdg1'], { encoding: 'utf8', cwd: '/' });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /create state root: .*permission denied/);
      assert.match(r.stderr, /runtime-dir-foreign/);
      assert.match(r.stderr, /fix: export XDG_RUNTIME_DIR=\/run\/user\/\d+/);
    } finally {
      removeBundle(bundle);
      rmSync(foreign, { recursive: true, force: true });
    }
  });
});
