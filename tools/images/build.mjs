#!/usr/bin/env node
// Builds ct's test images offline and reproducibly: ct-probe (probe/probe.c) into <out>/bin/ct-probe, then one OCI
// image layout per recipe (test-images/<name>/recipe.json) into <out>/<name>, tagged with the recipe's tag.
// An image is rebuilt only when its inputs changed: the uncompressed layer (so the busybox binary, the probe and
// every file), the recipe and this builder's code are hashed into a stamp (<out>/.stamps/<name>.json).
//
// Usage: node tools/images/build.mjs [--force] [--json] [--out DIR] [NAME...]
//   --force  rebuild even when up to date      --json  print {probe, images:[{name, path, tag, manifestDigest,
//   --out    output folder (default test-images/build)      built}]} on stdout
// Exit status: 0 built or up to date, 1 a build failed (message on stderr), 2 bad usage.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLayer, writeImage } from './lib/image-layout.mjs';
import { writeTar } from './lib/tar-writer.mjs';
import { loadRecipe, recipeEntries } from './lib/recipe.mjs';
import { compileProbe } from './probe/compile.mjs';
import { buildPauseImage } from './pause/build-pause.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
const IMAGES_DIR = join(REPO, 'test-images');
/** Images built by their own module instead of a recipe: name → builder with buildOne's signature. */
const BUILDERS = { pause: buildPauseImage };

/**
 * @typedef {object} BuiltImage
 * @property {string} name
 * @property {string} path the OCI image layout folder
 * @property {string} tag
 * @property {string} manifestDigest
 * @property {boolean} built false when it was up to date
 */

/**
 * Build (or find up to date) the probe and the named images (all recipes when `names` is empty).
 * @param {{out?: string, force?: boolean, names?: string[], log?: (line: string) => void}} [options]
 * @returns {{probe: import('./probe/compile.mjs').ProbeBuild, images: BuiltImage[]}}
 */
export function buildImages(options = {}) {
  const out = resolve(options.out ?? join(IMAGES_DIR, 'build'));
  const log = options.log ?? (() => {});
  const force = options.force ?? false;
  const probe = compileProbe(join(out, 'bin', 'ct-probe'), { force });
  log(`ct-probe: ${probe.built ? 'built' : 'up to date'} ${probe.digest.slice(0, 19)}`);
  const all = [...readdirSync(IMAGES_DIR).filter((n) => existsSync(join(IMAGES_DIR, n, 'recipe.json'))), ...Object.keys(BUILDERS)].sort();
  const names = options.names && options.names.length > 0 ? options.names : all;
  /** @type {BuiltImage[]} */
  const images = [];
  for (const name of names) {
    const started = Date.now();
    const image = (BUILDERS[/** @type {keyof BUILDERS} */ (name)] ?? buildOne)(name, out, probe.path, force);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    log(`${name}: ${image.built ? `built in ${secs} s` : 'up to date'} ${image.manifestDigest.slice(0, 19)} ${relative(process.cwd(), image.path) || '.'}`);
    images.push(image);
  }
  return { probe, images };
}

/**
 * @param {string} name
 * @param {string} out
 * @param {string} probeBinary
 * @param {boolean} force
 * @returns {BuiltImage}
 */
function buildOne(name, out, probeBinary, force) {
  const recipe = loadRecipe(IMAGES_DIR, name);
  const entries = recipeEntries(recipe, { imagesDir: IMAGES_DIR, probeBinary });
  const inputs = createHash('sha256')
    .update(writeTar(entries)).update(JSON.stringify(recipe)).update(builderCodeHash()).digest('hex');
  const path = join(out, name);
  const stampFile = join(out, '.stamps', `${name}.json`);
  const stamp = existsSync(stampFile) ? JSON.parse(readFileSync(stampFile, 'utf8')) : null;
  if (!force && stamp?.inputs === inputs && existsSync(join(path, 'blobs', 'sha256', String(stamp.manifestDigest).slice(7)))) {
    return { name, path, tag: recipe.tag, manifestDigest: stamp.manifestDigest, built: false };
  }
  // Write into a fresh folder and swap it in, so a failed build never leaves a half layout behind.
  const tmp = join(out, `.${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const written = writeImage(tmp, {
    layers: [createLayer(entries, { compression: recipe.compression })],
    config: recipe.config,
    refName: recipe.tag,
  });
  rmSync(path, { recursive: true, force: true });
  renameSync(tmp, path);
  mkdirSync(dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, JSON.stringify({ inputs, manifestDigest: written.manifestDigest }) + '\n');
  return { name, path, tag: recipe.tag, manifestDigest: written.manifestDigest, built: true };
}

/** @type {string|undefined} */
let codeHash;
/**
 * Hash of the builder's own code, so a change to how images are written rebuilds them.
 * @returns {string}
 */
function builderCodeHash() {
  if (codeHash !== undefined) return codeHash;
  const h = createHash('sha256').update(readFileSync(fileURLToPath(import.meta.url)));
  for (const f of readdirSync(join(HERE, 'lib')).filter((f) => f.endsWith('.mjs')).sort()) h.update(f).update(readFileSync(join(HERE, 'lib', f)));
  codeHash = h.digest('hex');
  return codeHash;
}

function main() {
  /** @type {ReturnType<typeof parseArgs<{options: {force: {type: 'boolean'}, json: {type: 'boolean'}, out: {type: 'string'}, help: {type: 'boolean', short: 'h'}}, allowPositionals: true}>>} */
  let args;
  try {
    args = parseArgs({
      options: { force: { type: 'boolean' }, json: { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (err) {
    process.stderr.write(`build-images: ${/** @type {Error} */ (err).message}\n`);
    process.exit(2);
  }
  if (args.values.help) {
    process.stdout.write('usage: node tools/images/build.mjs [--force] [--json] [--out DIR] [NAME...]\n');
    return;
  }
  const tty = process.stderr.isTTY;
  const log = (/** @type {string} */ line) => process.stderr.write(tty ? `\u001b[1m==>\u001b[0m ${line}\n` : `build-images: ${line}\n`);
  try {
    const result = buildImages({
      force: args.values.force ?? false,
      names: args.positionals,
      log,
      ...(args.values.out === undefined ? {} : { out: args.values.out }),
    });
    if (args.values.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } catch (err) {
    const e = /** @type {Error & {code?: string}} */ (err);
    process.stderr.write(`build-images: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
