// Writes build-info.json: the git commit ct is built from (`ct --version`'s "commit:" line, as runc's Makefile
// records its COMMIT), with "-dirty" when tracked files differ from it. A turbo task of its own that is never
// cached (apps/ct/turbo.json): a cached build would keep the commit it was first made at. Outside a git checkout
// (a copy of the tree, an installed package) a file already there is kept, else the commit is "unknown".
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const file = join(root, 'build-info.json');
const git = (/** @type {string[]} */ ...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
let commit;
try {
  commit = git('rev-parse', 'HEAD');
  if (git('status', '--porcelain', '--untracked-files=no') !== '') commit += '-dirty';
} catch {
  if (existsSync(file)) process.exit(0);
  commit = 'unknown';
}
writeFileSync(file, JSON.stringify({ commit }) + '\n');
