// Builds native/init.c into build/bin/ct-init (static, so it runs in any container root; stripped, as it ships).
// Skips the compile when the binary is newer than its source.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(top, 'native', 'init.c');
const out = join(top, 'build', 'bin', 'ct-init');
const mtime = (/** @type {string} */ f) => { try { return statSync(f).mtimeMs; } catch { return -1; } };
if (mtime(out) < mtime(src)) {
  mkdirSync(dirname(out), { recursive: true });
  execFileSync(process.env.CC ?? 'gcc', ['-static', '-s', '-O2', '-Wall', '-Wextra', '-Werror', '-o', out, src], { stdio: 'inherit' });
}
