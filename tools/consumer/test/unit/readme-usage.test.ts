import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ct/test-utils';
import { EXAMPLES } from '../../src/examples.js';
import { publishedPackages } from '../../src/pack.js';
import { extractUsage } from '../../src/readme-usage.js';

describe('extractUsage', () => {
  it('extractUsage, the first block under ## Usage, with its language', () => {
    const md = '# x\n\n```ts\nnot this\n```\n\n## Usage\n\nText.\n\n```ts\nconst a = 1;\n\nconsole.log(a);\n```\n\n```sh\nnor this\n```\n';
    assert.deepEqual(extractUsage(md, 'R'), { lang: 'ts', code: 'const a = 1;\n\nconsole.log(a);\n' });
  });

  it('extractUsage, a block of the next section is not the Usage block', () => {
    assert.throws(() => extractUsage('## Usage\n\ntext\n\n## API\n\n```ts\nx\n```\n', 'R'), /R: no fenced block under "## Usage"/);
  });

  it('extractUsage, no Usage section, an unclosed block, another language: errors naming the README', () => {
    assert.throws(() => extractUsage('# x\n', 'R'), /^Error: R: no "## Usage" section$/);
    assert.throws(() => extractUsage('## Usage\n```ts\nx\n', 'R'), /R: the block opened at line 2 is not closed/);
    assert.throws(() => extractUsage('## Usage\n```js\nx\n```\n', 'R'), /R: the Usage block is ```js, not ts or sh/);
  });

  it('extractUsage, every published package README has a runnable Usage block and an example case', () => {
    for (const pkg of publishedPackages(repoRoot())) {
      const usage = extractUsage(readFileSync(join(pkg.dir, 'README.md'), 'utf8'), pkg.name);
      assert.ok(usage.code.trim().length > 0, pkg.name);
      assert.ok(EXAMPLES[pkg.name] !== undefined, `${pkg.name}: no case in src/examples.ts`);
    }
  });
});
