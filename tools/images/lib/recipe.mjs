// Test image recipes (test-images/<name>/recipe.json): validation and turning one into layer entries.
// Internal to build.mjs (not exported from index.mjs). A recipe lists contents in order; each item adds entries,
// missing parent directories are added (0755, root) before their first child, and a path added twice is an error.
// Relies on: busybox --list-full (the applet paths of a busybox binary), elf(5) (to refuse a dynamic busybox).

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { entriesFromDirectory } from './directory-source.mjs';
import { ImageToolError } from './errors.mjs';

/** @typedef {import('./tar-writer.mjs').LayerEntry} LayerEntry */
/** @typedef {import('./image-layout.mjs').ImageRuntimeConfig} ImageRuntimeConfig */

/**
 * One item of a recipe's `contents`, exactly one of:
 * `{dirs: string[]}` empty directories 0755; `{dir, mode}` one directory with an octal mode string;
 * `{files: dir}` a tree under test-images/<dir> copied to the root with normalised modes;
 * `{busybox: path, from: hostPath, applets: 'symlink'|'hardlink'}` a static busybox and its applet links;
 * `{probe: path}` the ct-probe binary built by build.mjs.
 * @typedef {{dirs: string[]} | {dir: string, mode: string} | {files: string}
 *   | {busybox: string, from: string, applets: 'symlink'|'hardlink'} | {probe: string}} RecipeItem
 */

/**
 * @typedef {object} Recipe
 * @property {string} name folder name under test-images/
 * @property {string} description
 * @property {string} tag ref name in index.json
 * @property {'gzip'|'zstd'|'none'} compression
 * @property {RecipeItem[]} contents
 * @property {ImageRuntimeConfig} config
 */

const ITEM_KEYS = /** @type {const} */ ({
  dirs: ['dirs'], dir: ['dir', 'mode'], files: ['files'], busybox: ['busybox', 'from', 'applets'], probe: ['probe'],
});

/**
 * Read and check test-images/<name>/recipe.json.
 * @param {string} imagesDir the test-images folder
 * @param {string} name
 * @returns {Recipe}
 * @throws {ImageToolError} RECIPE_INVALID naming the file and the field
 */
export function loadRecipe(imagesDir, name) {
  const file = join(imagesDir, name, 'recipe.json');
  /** @param {string} where @param {string} why @returns {never} */
  const bad = (where, why) => { throw new ImageToolError('RECIPE_INVALID', `load recipe: ${file}: ${where}: ${why}`); };
  /** @type {any} */
  let json;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ImageToolError('RECIPE_INVALID', `load recipe: ${file}: ${/** @type {Error} */ (err).message}`, { cause: err });
  }
  for (const k of ['description', 'tag']) if (typeof json[k] !== 'string') bad(k, 'must be a string');
  if (!['gzip', 'zstd', 'none'].includes(json.compression)) bad('compression', 'must be gzip, zstd or none');
  if (!Array.isArray(json.contents)) bad('contents', 'must be an array');
  json.contents.forEach((/** @type {any} */ item, /** @type {number} */ i) => {
    const kind = Object.keys(ITEM_KEYS).find((k) => item !== null && typeof item === 'object' && k in item);
    if (kind === undefined) return bad(`contents[${i}]`, `needs one of ${Object.keys(ITEM_KEYS).join(', ')}`);
    const allowed = /** @type {readonly string[]} */ (ITEM_KEYS[/** @type {keyof ITEM_KEYS} */ (kind)]);
    for (const k of Object.keys(item)) if (!allowed.includes(k)) bad(`contents[${i}].${k}`, `unknown key for a ${kind} item`);
    if (kind === 'dir' && !/^[0-7]{3,4}$/.test(item.mode)) bad(`contents[${i}].mode`, 'must be an octal string like "1777"');
    if (kind === 'busybox' && !['symlink', 'hardlink'].includes(item.applets)) bad(`contents[${i}].applets`, 'must be symlink or hardlink');
  });
  if (json.config === null || typeof json.config !== 'object') bad('config', 'must be an object');
  return { name, description: json.description, tag: json.tag, compression: json.compression, contents: json.contents, config: json.config };
}

/**
 * The layer entries of a recipe, in recipe order.
 * @param {Recipe} recipe
 * @param {{imagesDir: string, probeBinary: string}} ctx
 * @returns {LayerEntry[]}
 * @throws {ImageToolError} RECIPE_INVALID (duplicate path), BUILD_FAILED (busybox missing or dynamic)
 */
export function recipeEntries(recipe, ctx) {
  /** @type {LayerEntry[]} */
  const out = [];
  /** @type {Set<string>} */
  const seen = new Set();
  /** @param {LayerEntry} e */
  const add = (e) => {
    const path = String(e.path);
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (!seen.has(parent)) { seen.add(parent); out.push({ type: 'dir', path: parent, mode: 0o755 }); }
    }
    if (seen.has(path)) {
      if (e.type === 'dir') return; // a directory named twice (by "dirs" and by a files tree) is the same directory
      throw new ImageToolError('RECIPE_INVALID', `recipe ${recipe.name}: ${path}: added twice`);
    }
    seen.add(path);
    out.push(e);
  };
  for (const item of recipe.contents) {
    if ('dirs' in item) for (const d of item.dirs) add({ type: 'dir', path: clean(d), mode: 0o755 });
    else if ('dir' in item) add({ type: 'dir', path: clean(item.dir), mode: parseInt(item.mode, 8) });
    else if ('files' in item) entriesFromDirectory(join(ctx.imagesDir, item.files), { normalizeModes: true }).forEach(add);
    else if ('busybox' in item) busyboxEntries(clean(item.busybox), item.from, item.applets).forEach(add);
    else if ('probe' in item) add({ type: 'file', path: clean(item.probe), content: readFileSync(ctx.probeBinary), mode: 0o755 });
  }
  return out;
}

/**
 * The busybox binary and one link per applet (`busybox --list-full`), links sorted by path.
 * @param {string} path where the binary goes in the image, e.g. "bin/busybox"
 * @param {string} from the host's static busybox
 * @param {'symlink'|'hardlink'} links
 * @returns {LayerEntry[]}
 */
function busyboxEntries(path, from, links) {
  if (!existsSync(from)) {
    throw new ImageToolError('BUILD_FAILED', `busybox: ${from}: not found (apt-get install busybox-static)`);
  }
  const content = readFileSync(from);
  if (hasElfInterpreter(content)) {
    throw new ImageToolError('BUILD_FAILED', `busybox: ${from}: dynamically linked (apt-get install busybox-static)`);
  }
  const r = spawnSync(from, ['--list-full'], { encoding: 'utf8' });
  if (r.status !== 0) throw new ImageToolError('BUILD_FAILED', `busybox: ${from} --list-full: exit ${r.status}`);
  const applets = r.stdout.split('\n').map((l) => clean(l)).filter((l) => l !== '' && l !== path).sort();
  /** @type {LayerEntry[]} */
  const out = [{ type: 'file', path, content, mode: 0o755 }];
  for (const a of applets) {
    out.push(links === 'symlink' ? { type: 'symlink', path: a, target: `/${path}` } : { type: 'hardlink', path: a, target: path, mode: 0o755 });
  }
  return out;
}

/**
 * True for an ELF file with a PT_INTERP program header (a dynamically linked executable). ELF64 little-endian only;
 * anything else is reported as not dynamic and left to fail later.
 * @param {Buffer} b
 * @returns {boolean}
 */
function hasElfInterpreter(b) {
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return false;
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 <= b.length && b.readUInt32LE(at) === 3) return true; // PT_INTERP
  }
  return false;
}

/**
 * A recipe path without leading or trailing slashes ("/usr/bin/" → "usr/bin").
 * @param {string} p
 * @returns {string}
 */
function clean(p) {
  return p.trim().replace(/^\/+|\/+$/g, '');
}
