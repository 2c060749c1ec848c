/** The caller's tty bound on /dev/console (Guix binds ttyname(stdin)); the test makes its own pty with script(1). */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireFeature } from '@ct/test-utils';
import { guardContainers } from './helpers.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('containers, console', function () {
  before(function () {
    guardContainers(this);
    requireFeature(this, existsSync('/usr/bin/script'), 'script(1) (util-linux) to allocate a pty');
  });

  it('callWithContainer, the caller tty is /dev/console', async () => {
    const fixture = join(pkg, 'test', 'fixtures', 'console.mts');
    const out = await new Promise<string>((resolve, reject) => {
      execFile('/usr/bin/script', ['-qec', `${process.execPath} --import tsx ${fixture}`, '/dev/null'],
        { cwd: pkg, timeout: 30000 }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)));
    });
    assert.match(out.replace(/\r/g, ''), /character special file \d+\n\/dev\/console\nstatus 0\n/);
  });
});
