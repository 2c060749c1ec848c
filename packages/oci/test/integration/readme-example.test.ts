/**
 * The README's Usage example (test/fixtures/readme-usage.ts, kept equal to the README by test/unit/readme.test.ts)
 * runs as written, from a directory holding the busybox test image as ./busybox, and leaves nothing behind.
 * As root and unprivileged (the example's unpack then runs in a user namespace).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot, requireFeature, testImage } from '@ct/test-utils';
import { tempDir } from '../helpers/fixtures.js';

describe('README example @rootless', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir>;
  before(function () {
    requireFeature(this, existsSync(join(testImage('busybox'), 'index.json')), 'tools/images has not built the busybox image');
    tmp = tempDir('ct-readme-');
    cpSync(testImage('busybox'), join(tmp.dir, 'busybox'), { recursive: true });
  });
  after(() => tmp?.cleanup());

  it('README, the Usage example runs to its end and removes what it made', () => {
    const example = join(repoRoot(), 'packages/oci/test/fixtures/readme-usage.ts');
    // tsx's loader by URL: the example runs from the image's directory, where a bare 'tsx' would not resolve
    const tsx = pathToFileURL(createRequire(join(repoRoot(), 'packages/oci/package.json')).resolve('tsx')).href;
    const r = spawnSync(process.execPath, ['--import', tsx, example], { cwd: tmp.dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^sha256:[0-9a-f]{64} (root|userns|rootless) 0$/);
    assert.match(lines[1]!, /^\[ 'sh' \] \[\n?/);
    assert.deepEqual(readdirSync(tmp.dir), ['busybox']);
  });
});
