#!/usr/bin/env node
// The ct side of the unpack benchmark: one Node process that unpacks REF into BUNDLE with @ct/oci's unpackImage
// (the library `ct image unpack` calls), so its time includes Node's start-up as umoci's includes Go's.
// Unprivileged callers get @ct/oci's default for them: a worker in a user namespace mapping the caller's subuid
// range (owners as the container sees them), or the in-process rootless file operations where that is refused.
//   node ct-unpack.mjs LAYOUT:TAG BUNDLE
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../lib/bundle.mjs';

const [ref, bundle] = process.argv.slice(2);
if (ref === undefined || bundle === undefined) {
  process.stderr.write('usage: ct-unpack.mjs LAYOUT:TAG BUNDLE\n');
  process.exit(2);
}
// The light entry (@ct/oci/unpack): no registry client, spec or store re-exports to load.
const { unpackImage } = await import(pathToFileURL(join(repoRoot, 'packages/oci/dist/unpack-entry.js')).href);
await unpackImage(ref, bundle);
