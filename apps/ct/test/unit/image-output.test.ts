/** `image ls`'s table and --format rows, and the relative times ct's tables print as podman does. */
import { strict as assert } from 'node:assert';
import type { ImageRecord } from '@ct/oci/store';
import { imageRows, imageTable } from '../../src/engine/image-output.js';
import { timeAgo } from '../../src/engine/time-ago.js';

const now = Date.parse('2026-12-06T12:00:00Z');
const ago = (seconds: number): string => timeAgo(new Date(now - seconds * 1000).toISOString(), now);

describe('image ls output', () => {
  it('timeAgo speaks as podman does at each step', () => {
    assert.equal(ago(0), 'Less than a second ago');
    assert.equal(ago(1), '1 second ago');
    assert.equal(ago(59), '59 seconds ago');
    assert.equal(ago(60), 'About a minute ago');
    assert.equal(ago(119 * 60), 'About an hour ago');
    assert.equal(ago(47 * 3600), '47 hours ago');
    assert.equal(ago(3 * 86400), '3 days ago');
    assert.equal(timeAgo('not a date', now), 'not a date');
  });

  // made when a test runs (a constant made at load was an hour old at the end of a long pass)
  const image = (): ImageRecord => ({
    digest: `sha256:${'ab'.repeat(32)}`, names: ['docker.io/library/busybox:latest', 'localhost:5000/x'],
    configDigest: `sha256:${'cd'.repeat(32)}`, layers: ['l1'], diffIds: ['d1'], platform: 'linux/amd64',
    imported: new Date(Date.now() - 3 * 60_000).toISOString(), size: 1_400_000,
  });

  it('the table has a row per name and the import time as how long ago', () => {
    const lines = imageTable([image()]).trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[1]!, /^docker\.io\/library\/busybox:latest +abababababab +1 +1\.4 MB +3 minutes ago$/);
    assert.match(lines[2]!, /^localhost:5000\/x +abababababab/);
  });

  it('--format rows split repository and tag (a registry port is not a tag)', () => {
    const rows = imageRows([image(), { ...image(), names: [] }]);
    assert.deepEqual(rows.map((r) => [r.Repository, r.Tag, r.ID]), [
      ['docker.io/library/busybox', 'latest', 'abababababab'],
      ['localhost:5000/x', '<none>', 'abababababab'],
      ['<none>', '<none>', 'abababababab'],
    ]);
  });
});
