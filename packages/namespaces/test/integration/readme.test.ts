/** The README's Usage example, run as written (with the package name pointed at the sources). */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { guardContainers } from './helpers.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('README', function () {
  before(function () { guardContainers(this); });

  it('README, the Usage example runs', async () => {
    const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
    const block = /## Usage\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(block, 'no ts block under ## Usage');
    const file = join(pkg, 'test', `readme-example-${process.pid}.mts`);
    writeFileSync(file, block.replace("'@ct/namespaces'", JSON.stringify(pathToFileURL(join(pkg, 'src', 'index.ts')).href)));
    try {
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ['--import', 'tsx', file], { cwd: pkg, timeout: 30000 }, (error, out, err) => {
          if (error) reject(new Error(`${error.message}\n${err}`));
          else resolve(out);
        });
      });
      assert.match(stdout, /^status 42\npid \d+ ready\nbox\nexit 0\nrefused\n256\nexit 0\n$/);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
