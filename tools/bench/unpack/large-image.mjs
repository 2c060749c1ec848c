// The large image of the unpack benchmark, made offline from this machine's /usr with tools/images/lib: one gzip
// layer per directory group (a few hundred MB uncompressed: big binaries in one layer, thousands of small headers
// in another), written once into a shared cache directory readable by every user, and reused while its recipe
// (the stamp file) is unchanged. Entries keep the host's modes, owners are 0:0, mtimes 0.
// Man pages: tar(5), gzip(1).

import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLayer, entriesFromDirectory, writeImage } from '../../images/lib/index.mjs';

/** Layer groups: host directories under /usr that go into one layer each, in this order. */
export const LARGE_IMAGE_LAYERS = [['bin', 'sbin'], ['include'], ['libexec', 'share/perl5']];

/** Where the image is cached (readable by the unprivileged run too). */
export const LARGE_IMAGE_DIR = '/var/tmp/ct-bench-images/usr-large';

/**
 * Build the image when missing or made from another recipe; returns its layout directory.
 * @param {(text: string) => void} report progress text
 * @returns {{dir: string, layers: {digest: string, size: number, tarBytes: number, entries: number}[]}}
 */
export function ensureLargeImage(report) {
  const stampFile = join(LARGE_IMAGE_DIR, 'ct-bench-stamp.json');
  const recipe = JSON.stringify(LARGE_IMAGE_LAYERS);
  if (existsSync(stampFile)) {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
    if (stamp.recipe === recipe) return { dir: LARGE_IMAGE_DIR, layers: stamp.layers };
  }
  rmSync(LARGE_IMAGE_DIR, { recursive: true, force: true });
  mkdirSync(LARGE_IMAGE_DIR, { recursive: true });
  chmodSync(join(LARGE_IMAGE_DIR, '..'), 0o755);
  const layers = [];
  const built = [];
  for (const [n, group] of LARGE_IMAGE_LAYERS.entries()) {
    report(`large image: layer ${n + 1}/${LARGE_IMAGE_LAYERS.length}: reading /usr/{${group.join(',')}}`);
    const entries = group.filter((d) => existsSync(join('/usr', d)) && statSync(join('/usr', d)).isDirectory())
      .flatMap((d) => [
        ...parents(`usr/${d}`).map((p) => ({ type: /** @type {const} */ ('dir'), path: p, mode: 0o755 })),
        ...entriesFromDirectory(join('/usr', d), { prefix: `usr/${d}` }),
      ]);
    report(`large image: layer ${n + 1}/${LARGE_IMAGE_LAYERS.length}: tar + gzip of ${entries.length} entries`);
    const layer = createLayer(entries, { compression: 'gzip' });
    const tarBytes = entries.reduce((a, e) => a + ('content' in e && e.content ? Buffer.byteLength(e.content) : 0), 0);
    layers.push(layer);
    built.push({ digest: layer.digest, size: layer.size, tarBytes, entries: entries.length });
  }
  writeImage(LARGE_IMAGE_DIR, { layers, config: { Cmd: ['/usr/bin/true'] }, refName: 'latest' });
  writeFileSync(stampFile, JSON.stringify({ recipe, layers: built }));
  return { dir: LARGE_IMAGE_DIR, layers: built };
}

/** "usr/share/perl5" → ["usr", "usr/share"]: parent directories the layer must create. @param {string} path */
function parents(path) {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}
