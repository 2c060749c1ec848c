import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ct/test-utils';

describe('README', function () {
  it('README, the Usage block is the typechecked test/fixtures/readme-usage.ts', function () {
    const dir = join(repoRoot(), 'tools/cri');
    const block = /## Usage\n\n```ts\n([\s\S]*?)```/.exec(readFileSync(join(dir, 'README.md'), 'utf8'));
    assert.ok(block, 'README has a ts Usage block');
    assert.equal(block[1], readFileSync(join(dir, 'test/fixtures/readme-usage.ts'), 'utf8'));
  });
});
