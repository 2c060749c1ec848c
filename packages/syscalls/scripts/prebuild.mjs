#!/usr/bin/env node
// The package's `prepack`: brings the source build up to date (scripts/gyp.mjs build, when a source changed), then puts a stripped copy in
// prebuilds/<platform>-<arch>/syscalls.node, which the tarball ships so that an install needs no compiler and no
// install script. Only linux-x64 is built (package.json's os/cpu); the tarball must also carry dist/ (the build).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const target = `${process.platform}-${process.arch}`;
if (target !== 'linux-x64') {
  console.error(`@ct/syscalls: prebuild: ${target}: only linux-x64 is packed`);
  process.exit(1);
}
if (!existsSync(join(here, 'dist', 'index.js'))) {
  console.error('@ct/syscalls: prebuild: dist/index.js: not found (build the package first: pnpm exec turbo run build)');
  process.exit(1);
}
// Rebuilt only when a source is newer than the build (after a turbo cache hit native/build/ is absent, and a
// rebuild from nothing takes minutes).
const built = join(here, 'build', 'Release', 'syscalls.node');
const mtime = (/** @type {string} */ f) => (existsSync(f) ? statSync(f).mtimeMs : -1);
const sources = readdirSync(join(here, 'native')).filter((f) => /\.(cc|h|gyp)$/.test(f));
if (sources.some((f) => mtime(join(here, 'native', f)) > mtime(built))) {
  execFileSync(process.execPath, [join(here, 'scripts', 'gyp.mjs'), 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
const out = join(here, 'prebuilds', target, 'syscalls.node');
mkdirSync(dirname(out), { recursive: true });
copyFileSync(built, `${out}.tmp`);
// --strip-unneeded keeps the dynamic symbols dlopen needs (napi_register_module_v1) and drops debug info.
execFileSync('strip', ['--strip-unneeded', `${out}.tmp`], { stdio: 'inherit' });
renameSync(`${out}.tmp`, out);
createRequire(import.meta.url)(out); // the stripped copy still loads
// The fork server executable (src/fork-server.ts looks beside the addon that loaded).
const server = join(here, 'prebuilds', target, 'ct-forkserver');
copyFileSync(join(here, 'build', 'Release', 'ct-forkserver'), `${server}.tmp`);
execFileSync('strip', [`${server}.tmp`], { stdio: 'inherit' });
renameSync(`${server}.tmp`, server);
