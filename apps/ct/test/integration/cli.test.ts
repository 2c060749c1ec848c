import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/ct.js', import.meta.url));

describe('ct binary', () => {
  it('ct binary, --help lists the commands', () => {
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /USAGE/);
    assert.match(r.stdout, /version/);
  });
  it('ct binary, version prints the package version', () => {
    const r = spawnSync(process.execPath, [bin, 'version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ct version 0\.1\.0$/m);
  });
});
