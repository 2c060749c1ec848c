import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';

describe('README', () => {
  it('README, the Usage block is the typechecked fixture', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const fixture = readFileSync(new URL('../fixtures/readme-usage.ts', import.meta.url), 'utf8');
    const m = /## Usage\n\n```ts\n([\s\S]*?)```/.exec(readme);
    assert.ok(m, 'README has a ts Usage block');
    assert.equal(m[1], fixture);
  });
});
