import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ct/test-utils';

describe('README', () => {
  it('README, the Usage block is the typechecked test/fixtures/readme-usage.ts', () => {
    const dir = join(repoRoot(), 'packages/oci');
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    const block = /## Usage\n\n```ts\n([\s\S]*?)```/.exec(readme);
    assert.ok(block, 'README has a ts Usage block');
    assert.equal(block[1], readFileSync(join(dir, 'test/fixtures/readme-usage.ts'), 'utf8'));
  });
});
