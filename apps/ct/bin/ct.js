#!/usr/bin/env node
// The `ct` binary. The verbs engines call (runc's command line) and --version are recognised by the lean entry
// before @oclif/core is imported (see shared/DESIGN.md, "Engine path speed"); everything else goes to oclif,
// with ct's error style (dist/engine/oclif-main.js).
// The lean entry runs from its bundle (dist/bundle/lean.body.cjs, with V8's code cache: scripts/bundle.mjs) when
// the build made one and it is fresh, else (CT_NO_BUNDLE=1, a tree built by tsc alone, a package rebuilt since)
// from its ES modules in dist/.
// CommonJS (bin/package.json): Node 20 starts an ES-module entry through its ESM loader, ~10 ms of CPU more.
'use strict';
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

/** The builds the bundle is made from: each one's dist/.tsbuildinfo (scripts/bundle.mjs records their hashes). */
const builds = ['../dist', ...['syscalls', 'namespaces', 'oci', 'runtime'].map((p) => `../node_modules/@ct/${p}/dist`)];

/**
 * Whether the bundle was made from the builds there are now: after `turbo run build --filter @ct/runtime` alone
 * it was not, and ct runs dist/ rather than stale code. A build info file older than the bundle is taken as
 * the one it was made from (no read); a newer one (a rebuild, or turbo restoring the bundle from its cache with
 * the old mtime) is compared by hash with dist/bundle/builds.json.
 */
function bundleFresh() {
  const at = (/** @type {string} */ path) => statSync(join(__dirname, path), { throwIfNoEntry: false })?.mtimeMs;
  const bundle = at('../dist/bundle/lean.body.cjs');
  if (bundle === undefined) return false;
  const newer = builds.filter((dir) => (at(`${dir}/.tsbuildinfo`) ?? 0) > bundle);
  if (newer.length === 0) return true;
  const { createHash } = require('node:crypto');
  /** @type {Record<string, string>} */
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(join(__dirname, '../dist/bundle/builds.json'), 'utf8'));
  } catch {
    return false;
  }
  const stale = newer.find((dir) => createHash('sha256').update(readFileSync(join(__dirname, `${dir}/.tsbuildinfo`))).digest('hex') !== recorded[dir]);
  if (stale !== undefined && process.env.CT_BUNDLE_DEBUG === '1') process.stderr.write(`ct-bundle: made before ${stale}'s build: running dist/\n`);
  return stale === undefined;
}

/** @returns {Promise<typeof import('../dist/engine/lean.js')>} */
async function leanEntry() {
  if (process.env.CT_NO_BUNDLE !== '1' && bundleFresh()) {
    try {
      // a name in a variable: the typecheck does not follow it into the generated bundle
      const bundle = '../dist/bundle/lean.cjs';
      return /** @type {typeof import('../dist/engine/lean.js')} */ (require(bundle));
    } catch (err) {
      const e = /** @type {{ code?: string, message?: string } | undefined} */ (err);
      if (e?.code !== 'MODULE_NOT_FOUND' || !String(e.message).includes('lean.cjs')) throw err;
    }
  }
  return import('../dist/engine/lean.js');
}

/** `ct events ... | head -1`: the reader went away. Go's runc dies of SIGPIPE there; ct ends as quietly, 128 + 13. */
const SIGPIPE_STATUS = 141;
/** @param {unknown} err */
const isEpipe = (err) => /** @type {{ code?: string } | null | undefined} */ (err)?.code === 'EPIPE';

async function main() {
  process.stdout.on('error', (err) => {
    if (isEpipe(err)) process.exit(SIGPIPE_STATUS);
    throw err;
  });
  const code = await (await leanEntry()).leanMain(process.argv.slice(2));
  if (typeof code === 'number') {
    // a write the closed pipe refused (the error event comes a tick later)
    if (isEpipe(process.stdout.errored)) process.exit(SIGPIPE_STATUS);
    // stdout may be a pipe: let it drain before exiting with the verb's status
    process.exitCode = code;
    if (process.stdout.writableLength === 0) process.exit(code);
    process.stdout.once('drain', () => process.exit(code));
  } else {
    // plugins ship compiled JavaScript: no ts-node lookup (and no warning for linked ESM plugins); PLUGINS.md
    const g = /** @type {{ oclif?: Record<string, unknown> }} */ (/** @type {unknown} */ (globalThis));
    g.oclif = { ...g.oclif, enableAutoTranspile: false };
    const { oclifMain } = await import('../dist/engine/oclif-main.js');
    await oclifMain(code.oclif, pathToFileURL(__filename).href);
  }
}

// a rejection is printed and exits 1, as the ES module's top-level await did
main().catch((err) => {
  process.exitCode = 1;
  throw err;
});
