#!/usr/bin/env node
// The ct side of the unpack benchmark: one Node process that unpacks REF into BUNDLE with @ct/oci's unpackImage
// (the library `ct image unpack` calls), so its time includes Node's start-up as umoci's includes Go's.
// Unprivileged callers get @ct/oci's default for them: owners as the container sees them (the caller's subuid
// range; written by this process, finished by a small worker in a user namespace when an owner needs it), or the
// in-process rootless file operations where user namespaces are refused.
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
