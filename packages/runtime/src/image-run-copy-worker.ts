/**
 * The process that makes an unprivileged copy root (image-run-copy.ts): started by copyImageRoot in a user
 * namespace where the caller is root and its subordinate ids are mapped, so `cp -a` can read the layers' files of
 * subuid owners and give the copies the same owners.
 * Usage: node image-run-copy-worker.js JSON ({ layers: bottom first, merged }). Exit status 0, or 1 with the
 * error on stderr. Man pages: user_namespaces(7), cp(1).
 */
import { lgetxattr } from '@ct/syscalls';
import { copyLayers } from './image-run-copy.js';

try {
  const args = JSON.parse(process.argv[2] ?? '{}') as { layers: string[]; merged: string };
  copyLayers(args.layers, args.merged, (path, name) => lgetxattr(path, name));
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
