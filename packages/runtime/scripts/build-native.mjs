// Builds build/bin/ct-exec-fifo (native/exec-fifo.c) as a static program (stripped, as it ships), when missing or
// older than its source.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const src = join(root, 'native', 'exec-fifo.c');
const out = join(root, 'build', 'bin', 'ct-exec-fifo');
if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
  mkdirSync(dirname(out), { recursive: true });
  const cc = process.env.CC ?? 'cc';
  execFileSync(cc, ['-static', '-s', '-O2', '-Wall', '-Wextra', '-Werror', '-o', out, src], { stdio: 'inherit' });
}
