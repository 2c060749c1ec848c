#!/usr/bin/env node
// Packs this package, installs the tarball with npm in a scratch project outside the repository (the addon
// builds from its shipped sources, offline against this Node's headers), and runs a smoke test through the
// public entry: openInRoot, and spawn of /bin/true. Run after `pnpm build`; takes about a minute (node-gyp).
// Usage: node scripts/pack-check.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const work = mkdtempSync(join(tmpdir(), 'ct-syscalls-pack-'));
try {
  execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: here, stdio: 'ignore' });
  const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`pack-check: no tarball in ${work}`);
  const project = join(work, 'project');
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), '{"name":"scratch","private":true,"type":"module"}\n');
  const nodedir = join(dirname(process.execPath), '..');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', join(work, tgz)], {
    cwd: project, stdio: 'inherit', env: { ...process.env, npm_config_nodedir: nodedir },
  });
  writeFileSync(join(project, 'smoke.mjs'), `
import { closeSync, openSync } from 'node:fs';
import { O, openInRoot, spawn } from '@ct/syscalls';
const root = openSync('/', O.RDONLY | O.DIRECTORY);
closeSync(openInRoot(root, '/etc/../etc/hostname', O.RDONLY));
closeSync(root);
const child = spawn({ namespaces: 0, steps: [{ op: 'exec', path: '/bin/true', argv: ['true'], env: [], search: false }] });
const ev = await child.nextEvent();
const st = await child.wait();
if (ev.kind !== 'exec' || st.status !== 0) throw new Error('smoke: ' + JSON.stringify([ev, st]));
console.log('pack-check: ok');
`);
  execFileSync(process.execPath, ['smoke.mjs'], { cwd: project, stdio: 'inherit' });
} finally {
  rmSync(work, { recursive: true, force: true });
}
