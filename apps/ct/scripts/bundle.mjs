// Bundles each entry ct starts a Node process with into one CommonJS file in dist/bundle/, and records V8's
// code cache for it (issue 21, item 1): Node 20 compiles ~125 ES modules per `ct` start, resolving package
// `exports` for each; one script whose bytecode comes from a cache skips both. Node 20 has no
// `module.enableCompileCache` (Node 22), so dist/bundle/load.cjs compiles the file with vm.Script and cachedData.
//
// The library packages stay plain ESM (their dist/ is untouched); this reads the built dist/ of @ct/* and of this
// app. Each module's `import.meta.url` becomes its original file's URL, found at run time through its package
// (`require.resolve('@ct/x/package.json')` from the bundle), so data files, native programs (ct-init) and the
// addon are found where they were; `new URL('./w.js', import.meta.url)` naming another bundled entry (a worker
// ct spawns with `process.execPath`) becomes that entry's stub in dist/bundle/.
//
// Then the cache: the lean bundle is run a few times with CT_BUNDLE_WRITE_CACHE=1 (commands that touch nothing
// outside a temporary dir), and load.cjs writes the code of every function compiled so far; each run starts from
// the previous cache, so they add up. The workers' bundles are compiled only (CT_BUNDLE_WRITE_CACHE=compile). A cache that V8 rejects (another Node) costs nothing but the speed-up.
// Usage: node scripts/bundle.mjs (the package build runs it after tsc).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, 'dist/bundle');
const require = createRequire(join(root, 'package.json'));
const pkgDir = (/** @type {string} */ name) => dirname(require.resolve(`${name}/package.json`));

/** The entries: name → the built module it starts from. */
const entries = {
  lean: join(root, 'dist/engine/lean.js'),
  'monitor-main': join(pkgDir('@ct/runtime'), 'dist/container-run-monitor/monitor-main.js'),
  'image-run-copy-worker': join(pkgDir('@ct/runtime'), 'dist/image-run-copy-worker.js'),
  'userns-shift-worker': join(pkgDir('@ct/runtime'), 'dist/userns-shift-worker.js'),
  'unpack-worker': join(pkgDir('@ct/oci'), 'dist/unpack-worker.js'),
  'owner-fix-worker': join(pkgDir('@ct/oci'), 'dist/owner-fix-worker.js'),
};
const entryOf = new Map(Object.entries(entries).map(([name, file]) => [file, name]));

/** The @ct package (name, dir) holding `file`, or undefined for third-party code. */
const ctPackages = ['@ct/syscalls', '@ct/namespaces', '@ct/oci', '@ct/runtime'].map((name) => ({ name, dir: pkgDir(name) + '/' }));
/** @param {string} file */
function packageOf(file) {
  if (file.startsWith(root + '/') && !file.includes('/node_modules/')) return { name: null, dir: root + '/' };
  return ctPackages.find((p) => file.startsWith(p.dir));
}

/**
 * esbuild plugin: a dynamic `import()` of what stays outside the bundle (Node's builtins, @oclif/core: both
 * CommonJS) becomes a require(). A script compiled by vm.Script has no ES module loader to import with, unless
 * given one by an experimental option that warns on stderr.
 */
const dynamicRequire = {
  name: 'ct-dynamic-require',
  /** @param {import('esbuild').PluginBuild} b */
  setup(b) {
    b.onResolve({ filter: /^(node:|@oclif\/)/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, namespace: 'ct-require' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'ct-require' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/**
 * A worker entry's code after its imports, in an async function called at once: a CommonJS body has no
 * top-level await. A rejection stays an unhandled one (printed, exit status 1), as a top-level await's is.
 */
/** @param {string} text @param {string} file */
function asyncBody(text, file) {
  const lines = text.split('\n');
  const first = lines.findIndex((l) => l.trim() !== '' && !/^(import\s|\/\/|\/\*|\s?\*)/.test(l));
  const body = lines.slice(first).join('\n');
  if (/^export\s/m.test(body)) throw new Error(`bundle: ${file}: an entry a process starts exports nothing`);
  return `${lines.slice(0, first).join('\n')}\n(async () => {\n${body}\n})();\n`;
}

/** esbuild plugin: `import.meta.url` → the module's own URL at run time; spawned entries → their stubs. */
const metaUrl = {
  name: 'ct-import-meta-url',
  /** @param {import('esbuild').PluginBuild} b */
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      const pkg = packageOf(args.path);
      if (pkg === undefined) return undefined;
      if (entryOf.has(args.path) && args.path !== entries.lean) text = asyncBody(text, args.path);
      const self = JSON.stringify(relative(pkg.dir, args.path));
      const contents = text
        .replace(/new URL\((['"])([^'"]+)\1,\s*import\.meta\.url\)/g, (whole, _q, target) => {
          const name = entryOf.get(resolve(dirname(args.path), target));
          return name === undefined ? whole : `new URL(__ctBundleUrl(${JSON.stringify(`${name}.cjs`)}))`;
        })
        .replaceAll('import.meta.url', `__ctModuleUrl(${JSON.stringify(pkg.name)}, ${self})`);
      return { contents, loader: 'js' };
    });
  },
};

// The body runs as `(function (exports, require, module, __filename, __dirname) {...})` (load.cjs): written so
// line numbers in stack traces are the file's own.
const banner = [
  '(function (exports, require, module, __filename, __dirname) {',
  'const __ctPath = require("node:path"), __ctUrlOf = require("node:url").pathToFileURL, __ctDirs = new Map();',
  'function __ctBundleUrl(name) { return __ctUrlOf(__ctPath.join(__dirname, name)).href; }',
  'function __ctModuleUrl(pkg, rel) {',
  '  let dir = __ctDirs.get(pkg);',
  '  if (dir === undefined) __ctDirs.set(pkg, dir = pkg === null ? __ctPath.join(__dirname, "../..") : __ctPath.dirname(require.resolve(pkg + "/package.json")));',
  '  return __ctUrlOf(__ctPath.join(dir, rel)).href;',
  '}',
].join(' ');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
copyFileSync(join(root, 'scripts/bundle-load.cjs'), join(out, 'load.cjs'));
for (const [name, entry] of Object.entries(entries)) {
  const result = await build({
    entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, metafile: true,
    // oclif stays oclif's own (loaded only when a user plugin is installed); the addon is require()d where it is
    external: ['@oclif/*', '*.node'],
    // class and function names are part of behaviour (error names, instanceof-free checks)
    keepNames: true, legalComments: 'none', logLevel: 'warning',
    plugins: [dynamicRequire, metaUrl], banner: { js: banner }, footer: { js: '})' },
  });
  const left = Object.values(result.metafile.outputs).flatMap((o) => o.imports).filter((i) => i.external && i.kind === 'dynamic-import');
  if (left.length > 0) throw new Error(`bundle ${name}: dynamic import() of ${left.map((i) => i.path).join(', ')} left in the body (vm.Script has no ES loader)`);
  const body = /** @type {import('esbuild').OutputFile} */ (result.outputFiles[0]).text;
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  // first line: the hash that names the cache file (load.cjs reads it without hashing the body)
  writeFileSync(join(out, `${name}.body.cjs`), `// ct-bundle ${hash}\n${body}`);
  writeFileSync(join(out, `${name}.cjs`), `'use strict';\nmodule.exports = require('./load.cjs')(${JSON.stringify(name)});\n`);
}

// What the bundle was made from (bin/ct.js compares it when a build looks newer than the bundle), keyed as
// bin/ct.js names them
/** @type {Record<string, string>} */
const buildInfo = { '../dist': join(root, 'dist') };
for (const name of ctPackages.map((p) => p.name.slice(4))) buildInfo[`../node_modules/@ct/${name}/dist`] = join(pkgDir(`@ct/${name}`), 'dist');
/** @type {Record<string, string>} */
const hashes = {};
for (const [key, dir] of Object.entries(buildInfo)) {
  try {
    hashes[key] = createHash('sha256').update(readFileSync(join(dir, '.tsbuildinfo'))).digest('hex');
  } catch {
    // no build info (a tree built otherwise): bin/ct.js never finds it newer
  }
}
writeFileSync(join(out, 'builds.json'), JSON.stringify(hashes, null, 2) + '\n');

/**
 * A one-layer image in `dir` made by tools/images/lib (a few dirs, files and symlinks, as a small image has);
 * undefined when that library is absent.
 * @param {string} dir
 */
async function tinyLayout(dir) {
  /** @type {any} */
  let lib;
  try {
    lib = await import(new URL('../../../tools/images/lib/index.mjs', import.meta.url).href);
  } catch {
    return undefined;
  }
  const entries = [
    { type: 'dir', path: './', mode: 0o755 }, { type: 'dir', path: 'bin' }, { type: 'dir', path: 'etc' },
    { type: 'file', path: 'bin/busybox', content: 'x'.repeat(4096), mode: 0o755 },
    ...['sh', 'ls', 'cat', 'true'].map((n) => ({ type: 'symlink', path: `bin/${n}`, target: 'busybox' })),
    { type: 'file', path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' },
    { type: 'hardlink', path: 'bin/bb', target: 'bin/busybox' },
  ];
  lib.writeImage(dir, { layers: [lib.createLayer(entries, { mtime: 1700000000, compression: 'gzip' })], config: { Cmd: ['/bin/sh'] }, refName: 'latest' });
  return dir;
}

// Warm the caches: commands that compile the common paths and touch nothing but a temporary dir.
const tmp = mkdtempSync(join(tmpdir(), 'ct-bundle-'));
try {
  const bin = join(root, 'bin/ct.js');
  const runs = [
    ['--version'], ['--root', tmp, 'state', 'none'], ['--root', tmp, 'list'], ['--root', tmp, 'delete', 'none'],
    ['--root', tmp, 'kill', 'none'], ['--root', tmp, 'start', 'none'], ['spec', '--bundle', tmp],
    // a layout path that does not exist: parsing, the store (made in tmp) and the image lookup, no network
    ['--root', tmp, 'container', 'run', '--storage-root', join(tmp, 'store'), join(tmp, 'no-layout'), 'true'],
  ].map((argv) => [bin, ...argv]);
  // a real unpack of a tiny image (the image unpack verb: tar, gzip, digests, the tree's writing), when the
  // repository's image tools are there (not in a packed package)
  const layout = await tinyLayout(join(tmp, 'tiny'));
  if (layout !== undefined) runs.push([bin, 'image', 'unpack', `${layout}:latest`, join(tmp, 'tiny-bundle')]);
  // the workers: compiled only (their top-level code), not run
  for (const name of Object.keys(entries)) if (name !== 'lean') runs.push([join(out, `${name}.cjs`)]);
  for (const argv of runs) {
    const mode = argv[0] === bin ? '1' : 'compile';
    try {
      execFileSync(process.execPath, argv, { cwd: tmp, env: { ...process.env, CT_BUNDLE_WRITE_CACHE: mode }, stdio: 'ignore' });
    } catch {
      // most of these fail (no such container): the point is the code they compiled
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const made = readdirSync(out).filter((f) => f.endsWith('.cache'));
process.stdout.write(`bundle: ${Object.keys(entries).join(', ')} → dist/bundle (${made.length} code cache${made.length === 1 ? '' : 's'})\n`);
