import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ct/test-utils';
import { EXAMPLES } from '../../src/examples.js';
import { publishedPackages } from '../../src/pack.js';
import { extractInstallCommands, extractUsage } from '../../src/readme-usage.js';

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

describe('extractInstallCommands', () => {
  it('extractInstallCommands, npm install and pnpm add with their packages, flags and comment punctuation left out', () => {
    const md = '## Install\n\n```sh\nnpm install -g @ct/cli   # or, in a project: npm install @ct/cli, then npx ct\nnpm install a b  # or: pnpm add a\n```\n';
    assert.deepEqual(extractInstallCommands(md, 'R'), [
      { manager: 'npm', packages: ['@ct/cli'] }, { manager: 'npm', packages: ['@ct/cli'] },
      { manager: 'npm', packages: ['a', 'b'] }, { manager: 'pnpm', packages: ['a'] },
    ]);
  });

  it('extractInstallCommands, an Install block that is not sh is an error naming the README', () => {
    assert.throws(() => extractInstallCommands('## Install\n```ts\nx\n```\n', 'R'), /^Error: R: the Install block is ts, not sh$/);
  });

  it('README Install blocks, the root one installs every published package by name and nothing else', () => {
    const root = repoRoot();
    const commands = extractInstallCommands(readFileSync(join(root, 'README.md'), 'utf8'), 'README.md');
    const named = new Set(commands.filter((c) => c.manager === 'npm').flatMap((c) => c.packages));
    assert.deepEqual([...named].sort(), publishedPackages(root).map((p) => p.name));
  });

  it("README Install blocks, each package's README installs that package, with npm (and pnpm where it gives the form)", () => {
    for (const pkg of publishedPackages(repoRoot())) {
      const commands = extractInstallCommands(readFileSync(join(pkg.dir, 'README.md'), 'utf8'), pkg.name);
      assert.ok(commands.some((c) => c.manager === 'npm'), `${pkg.name}: no npm install in its Install block`);
      for (const c of commands) assert.deepEqual(c.packages, [pkg.name], `${pkg.name}: ${c.manager} installs ${c.packages.join(' ')}`);
    }
  });
});
