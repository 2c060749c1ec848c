#!/usr/bin/env node
// Builds the addon from source with node-gyp: in the workspace (the package's `build`) and, after an install whose
// prebuilt binary does not load, in the installed package (`node node_modules/@ct/syscalls/scripts/gyp.mjs`).
// binding.gyp lives in native/ (not the package root: pnpm and npm give a package with a root binding.gyp an
// implicit `node-gyp rebuild` install script, which pnpm denies by default); the result is copied from
// native/build/Release to build/Release, where src/native.ts looks first.
// node-gyp comes from the workspace (a devDependency) or else from npm's bundled copy; it is pointed at this Node's
// own headers when they are installed (pnpm 12 does not pass .npmrc's nodedir to scripts, and node-gyp would
// otherwise download them). `build` turns into `rebuild` when unconfigured or when binding.gyp is newer.
// Usage: node scripts/gyp.mjs [build|rebuild]
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const gypDir = join(here, 'native');
const require = createRequire(import.meta.url);
let verb = process.argv[2] ?? 'rebuild';
if (verb !== 'build' && verb !== 'rebuild') fail(`unknown verb ${verb} (build or rebuild)`);

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(`@ct/syscalls: build from source: ${message}`);
  process.exit(1);
}

/** @param {string} program */
function onPath(program) {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, program)));
}

/** node-gyp's CLI: the workspace's copy, else the one npm bundles next to this Node. */
function findNodeGyp() {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    const npmDirs = [join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm')];
    if (process.env.npm_execpath) npmDirs.unshift(join(dirname(process.env.npm_execpath), '..'));
    for (const d of npmDirs) {
      const cli = join(d, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
      if (existsSync(cli)) return cli;
    }
    return undefined;
  }
}

const missing = ['python3', 'make', 'g++'].filter((p) => !onPath(p));
if (missing.length > 0) {
  fail(`${missing.join(', ')}: not found on PATH (node-gyp needs python3, make and g++; Debian: apt-get install python3 make g++)`);
}
const nodeGyp = findNodeGyp();
if (nodeGyp === undefined) fail('node-gyp: not found (neither a dependency nor bundled with npm): npm install -g node-gyp@12');

// `build` alone never re-reads binding.gyp: rebuild when it is newer than the generated Makefile, and when the
// Makefile was generated in another directory (a copied tree: its relative paths to Node's headers point elsewhere,
// and make fails with "No rule to make target .../common.gypi"). The stamp records where it was configured.
const makefile = join(gypDir, 'build', 'Makefile');
const stamp = join(gypDir, 'build', 'ct-configured-in');
const configuredIn = existsSync(stamp) ? readFileSync(stamp, 'utf8') : undefined;
if (verb === 'build' && (!existsSync(makefile) || configuredIn !== gypDir
  || statSync(join(gypDir, 'binding.gyp')).mtimeMs > statSync(makefile).mtimeMs)) {
  verb = 'rebuild';
}
const args = [nodeGyp, verb];
const nodedir = join(dirname(process.execPath), '..');
if (existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodedir}`);
const r = spawnSync(process.execPath, args, { cwd: gypDir, stdio: 'inherit' });
if (r.status !== 0) fail(`node-gyp ${verb} exited ${r.status ?? r.signal}`);
if (verb === 'rebuild') writeFileSync(stamp, gypDir);
// Copied then renamed into place: a process that has the old file mapped keeps its copy intact. The fork server
// (native/forkserver.cc, an executable) goes beside the addon, where src/fork-server.ts looks for it.
for (const name of ['syscalls.node', 'ct-forkserver']) {
  const out = join(here, 'build', 'Release', name);
  mkdirSync(dirname(out), { recursive: true });
  copyFileSync(join(gypDir, 'build', 'Release', name), `${out}.tmp`);
  renameSync(`${out}.tmp`, out);
}
