#!/usr/bin/env node
// The `ct` binary. The verbs engines call (runc's command line) and --version are recognised by the lean entry
// before @oclif/core is imported (see shared/DESIGN.md, "Engine path speed"); everything else goes to oclif,
// with ct's error style (dist/engine/oclif-main.js).
import { leanMain } from '../dist/engine/lean.js';

const code = await leanMain(process.argv.slice(2));
if (typeof code === 'number') {
  // stdout may be a pipe: let it drain before exiting with the verb's status
  process.exitCode = code;
  if (process.stdout.writableLength === 0) process.exit(code);
  process.stdout.once('drain', () => process.exit(code));
} else {
  // plugins ship compiled JavaScript: no ts-node lookup (and no warning for linked ESM plugins); PLUGINS.md
  globalThis.oclif = { ...globalThis.oclif, enableAutoTranspile: false };
  const { oclifMain } = await import('../dist/engine/oclif-main.js');
  await oclifMain(code.oclif, import.meta.url);
}
