'use strict';
// Loads one of ct's bundles (scripts/bundle.mjs; copied to dist/bundle/load.cjs) with V8's code cache: the body
// is compiled by vm.Script with the cache's bytecode, so a start neither resolves modules nor parses them
// eagerly. Node 20 has no module.enableCompileCache (Node 22); this is the same idea for one file.
// CT_BUNDLE_WRITE_CACHE=1 (the build) writes the cache when the process exits, with every function compiled by
// then; CT_BUNDLE_WRITE_CACHE=compile writes it right after compiling, and runs nothing; CT_BUNDLE_DEBUG=1 says on stderr whether V8 took the cache.
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

/** Run bundle `name` (dist/bundle/NAME.body.cjs) and return its exports. */
module.exports = function load(name) {
  const file = join(__dirname, `${name}.body.cjs`);
  const source = readFileSync(file, 'utf8');
  // the body's first line names its hash: a cache made from another body is never used
  const cacheFile = join(__dirname, `${name}.${source.slice(13, source.indexOf('\n'))}.cache`);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(source, { filename: file, cachedData });
  if (process.env.CT_BUNDLE_DEBUG === '1') {
    process.stderr.write(`ct-bundle: ${name}: code cache ${cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'used'}\n`);
  }
  const write = () => {
    writeFileSync(`${cacheFile}.tmp`, script.createCachedData());
    renameSync(`${cacheFile}.tmp`, cacheFile);
  };
  if (process.env.CT_BUNDLE_WRITE_CACHE === 'compile') {
    write();
    return {};
  }
  if (process.env.CT_BUNDLE_WRITE_CACHE === '1') process.once('exit', write);
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, __dirname);
  return mod.exports;
};
