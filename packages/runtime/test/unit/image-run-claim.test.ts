import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContext } from '../../src/context.js';
import { listImageContainers } from '../../src/image-containers.js';
import { claimContainerName, removeStaleClaims } from '../../src/image-run-claim.js';
import { readProcStat } from '../../src/proc-stat.js';

describe('container run claims without a state', () => {
  let root: string;
  beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'ct-claims-')); });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A claim as a run killed after it wrote its bundle (store.json, config.json) and before create leaves it. */
  function killedClaim(id: string): void {
    const bundle = join(root, '.bundles', id);
    mkdirSync(bundle, { recursive: true });
    // a pid with another start time: the claiming process is gone (its pid may be reused)
    const self = readProcStat(process.pid)!;
    writeFileSync(join(bundle, 'claim.json'), JSON.stringify({ pid: process.pid, startTime: String(Number(self.startTime) - 1) }));
    writeFileSync(join(bundle, 'store.json'), JSON.stringify({ storageRoot: join(root, 'store'), image: 'sha256:abc', imageName: 'busybox' }));
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({ process: { args: ['sleep', '600'] } }));
  }

  it('listImageContainers all, a run killed before create is listed stopped with what its bundle records; not without all', () => {
    const ctx = createContext({ root });
    killedClaim('killed-1');
    const all = listImageContainers(ctx, { all: true });
    assert.deepEqual(all.map((c) => [c.id, c.status, c.pid, c.image, c.imageName, c.command, c.storageRoot]),
      [['killed-1', 'stopped', 0, 'sha256:abc', 'busybox', ['sleep', '600'], join(root, 'store')]]);
    assert.match(all[0]!.created, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(listImageContainers(ctx), []);
    assert.deepEqual(listImageContainers(ctx, { all: true, storageRoot: join(root, 'other') }), []);
  });

  it('listImageContainers all, a run still preparing (its claimer lives) is listed creating; prune leaves it, and lists the killed one no more', async () => {
    const ctx = createContext({ root });
    await claimContainerName(ctx, 'preparing-1');
    killedClaim('killed-2');
    assert.deepEqual(listImageContainers(ctx, { all: true }).map((c) => [c.id, c.status]).sort(), [['killed-2', 'stopped'], ['preparing-1', 'creating']]);
    assert.deepEqual(await removeStaleClaims(ctx), ['killed-2']);
    assert.deepEqual(listImageContainers(ctx, { all: true }).map((c) => [c.id, c.status]), [['preparing-1', 'creating']]);
  });
});
