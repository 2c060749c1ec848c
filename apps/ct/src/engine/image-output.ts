/**
 * What the `ct image` store commands share: the --storage-root and --json flags, the image table of `image ls`,
 * and the one way they end in an error (image-errors.ts, re-exported here). Rendering only: the store is @ct/oci's.
 */
import { Flags, type Config } from '@oclif/core';
import { defaultStorageRoot, type ImageRecord } from '@ct/oci/store';
import { runCtHookIn } from '../hooks/run-hook.js';
import { printJson } from './image-errors.js';
import { timeAgo } from './time-ago.js';

export { printJson, reportError } from './image-errors.js';

/** Flags every store command has. */
export const storeFlags = {
  'storage-root': Flags.string({ description: 'the image store (default $XDG_DATA_HOME/ct/storage, /var/lib/ct/storage as root)' }),
  json: Flags.boolean({ description: 'print the result as JSON on stdout' }),
};

/** `{storageRoot}` when the flag was given. */
export function storeOptions(flags: { 'storage-root'?: string | undefined }): { storageRoot?: string } {
  return flags['storage-root'] !== undefined ? { storageRoot: flags['storage-root'] } : {};
}

/**
 * The end of a successful `image import` or `pull`: clear the progress line (on a terminal), print the image's
 * names and digest (its whole record with --json), and fire the plugins' `ct:image-imported` hook.
 */
export async function reportImported(
  config: Config, result: { readonly image: ImageRecord }, source: string,
  flags: { readonly json: boolean; readonly 'storage-root'?: string | undefined }, tty: boolean,
): Promise<void> {
  if (tty) process.stderr.write('\r\x1b[K');
  if (flags.json) printJson(result);
  else process.stdout.write(`${result.image.names.join(', ')} ${result.image.digest}\n`);
  await runCtHookIn(config, 'ct:image-imported', {
    names: result.image.names, digest: result.image.digest, source,
    storageRoot: storeOptions(flags).storageRoot ?? defaultStorageRoot(),
  });
}

/** `bytes` in kB, MB, GB (powers of 1000, as podman). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let n = bytes;
  let u = 0;
  while (n >= 1000 && u < units.length - 1) { n /= 1000; u++; }
  return `${u === 0 ? n : n.toFixed(1)} ${units[u]}`;
}

/**
 * The `--format` fields of one row of `image ls` (one per name, as the table), podman's names where they mean the
 * same: Repository and Tag split from the name (`<none>` for an image without one), ID the 12-digit prefix of the
 * manifest digest that ct's verbs take (podman's ID is the config digest's), Digest, Size, CreatedAt, Names.
 */
export function imageRows(images: readonly ImageRecord[]): Record<string, unknown>[] {
  return images.flatMap((i) => (i.names.length > 0 ? i.names : ['<none>']).map((name) => {
    const colon = name.lastIndexOf(':');
    const tagged = colon > name.lastIndexOf('/');
    return {
      Repository: tagged ? name.slice(0, colon) : name, Tag: tagged ? name.slice(colon + 1) : '<none>',
      ID: i.digest.slice(7, 19), Digest: i.digest, ConfigDigest: i.configDigest, Size: humanSize(i.size),
      CreatedAt: i.imported, Names: i.names, Platform: i.platform,
    };
  }));
}

/** The `image ls` table: NAME, DIGEST (12 hex digits), LAYERS, SIZE, IMPORTED (how long ago, as podman's CREATED). */
export function imageTable(images: readonly ImageRecord[]): string {
  const rows = [['NAME', 'DIGEST', 'LAYERS', 'SIZE', 'IMPORTED']];
  for (const i of images) {
    const digest = i.digest.slice(7, 19);
    for (const name of i.names.length > 0 ? i.names : ['<none>']) rows.push([name, digest, String(i.layers.length), humanSize(i.size), timeAgo(i.imported)]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 3))).join('')).join('\n') + '\n';
}
