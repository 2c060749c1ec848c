#!/usr/bin/env node
// The `ct` binary. The verbs engines call (runc's command line) and --version are recognised by the lean entry
// before @oclif/core is imported (see shared/DESIGN.md, "Engine path speed"); everything else goes to oclif,
// with ct's error style (dist/engine/oclif-main.js).
// The lean entry runs from its bundle (dist/bundle/lean.body.cjs, with V8's code cache: scripts/bundle.mjs) when
// the build made one and it is fresh, else (CT_NO_BUNDLE=1, a tree built by tsc alone, a package rebuilt since)
// from its ES modules in dist/.
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Whether the bundle is at least as new as every build it was made from (each package's dist/.tsbuildinfo):
 * after `turbo run build --filter @ct/runtime` alone it is not, and ct runs dist/ rather than stale code.
 */
function bundleFresh() {
  const at = (/** @type {string} */ path) => statSync(new URL(path, import.meta.url), { throwIfNoEntry: false })?.mtimeMs;
  const bundle = at('../dist/bundle/lean.body.cjs');
  if (bundle === undefined) return false;
  const builds = ['../dist', ...['syscalls', 'namespaces', 'oci', 'runtime'].map((p) => `../node_modules/@ct/${p}/dist`)];
  const stale = builds.find((dir) => (at(`${dir}/.tsbuildinfo`) ?? 0) > bundle);
  if (stale !== undefined && process.env.CT_BUNDLE_DEBUG === '1') process.stderr.write(`ct-bundle: older than ${stale}: running dist/\n`);
  return stale === undefined;
}

/** @returns {Promise<typeof import('../dist/engine/lean.js')>} */
async function leanEntry() {
  if (process.env.CT_NO_BUNDLE !== '1' && bundleFresh()) {
    try {
      return createRequire(import.meta.url)('../dist/bundle/lean.cjs');
    } catch (caught) {
      const err = /** @type {NodeJS.ErrnoException | undefined} */ (caught);
      if (err?.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes('lean.cjs')) throw caught;
    }
  }
  return import('../dist/engine/lean.js');
}

const code = await (await leanEntry()).leanMain(process.argv.slice(2));
if (typeof code === 'number') {
  // stdout may be a pipe: let it drain before exiting with the verb's status
  process.exitCode = code;
  if (process.stdout.writableLength === 0) process.exit(code);
  process.stdout.once('drain', () => process.exit(code));
} else {
  // plugins ship compiled JavaScript: no ts-node lookup (and no warning for linked ESM plugins); PLUGINS.md
  const g = /** @type {{ oclif?: Record<string, unknown> }} */ (/** @type {unknown} */ (globalThis));
  g.oclif = { ...g.oclif, enableAutoTranspile: false };
  const { oclifMain } = await import('../dist/engine/oclif-main.js');
  await oclifMain(code.oclif, import.meta.url);
}
