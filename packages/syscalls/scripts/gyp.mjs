#!/usr/bin/env node
// Runs node-gyp offline: points it at this Node's own headers (pnpm 12 does not pass .npmrc's nodedir to
// scripts, and node-gyp would otherwise download them), and turns `build` into `rebuild` when unconfigured.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
let verb = process.argv[2] ?? 'rebuild';
// `build` alone never re-reads binding.gyp: rebuild when it is newer than the generated Makefile.
const makefile = join(here, 'build', 'Makefile');
if (verb === 'build' && (!existsSync(makefile) || statSync(join(here, 'binding.gyp')).mtimeMs > statSync(makefile).mtimeMs)) {
  verb = 'rebuild';
}
const args = [require.resolve('node-gyp/bin/node-gyp.js'), verb];
const nodedir = join(dirname(process.execPath), '..');
if (existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodedir}`);
const r = spawnSync(process.execPath, args, { cwd: here, stdio: 'inherit' });
process.exit(r.status ?? 1);
