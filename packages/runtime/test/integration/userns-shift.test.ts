/**
 * The re-owned layer copies of `--userns keep-id` (userns-shift.ts), unprivileged: a layer dir whose files have
 * owners of the default rootless map (made with chownVolume, inside such a namespace), copied and re-owned once
 * per map in a worker, so that under the keep-id map each file shows the owner it had under the default one.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { layoutRanges, readSubordinateIds } from '@ct/namespaces/engine';
import { removeTree } from '@ct/oci';
import { chownVolume } from '@ct/oci/store';
import { requireFeature } from '@ct/test-utils';
import { mapId, planUserns, type IdMapping, type UsernsPlan } from '../../src/userns-mode.js';
import { chownToContainerRoot, shiftImageLayers, shiftKey } from '../../src/userns-shift.js';

/** ct's default rootless map for this user (as the store's runtime config templates hold it). */
function defaultMap(file: string, own: number): IdMapping[] {
  const ranges = readSubordinateIds(file, userInfo().username, process.geteuid!());
  return layoutRanges(0, own, ranges, undefined).sort((a, b) => a.inside - b.inside)
    .map((e) => ({ containerID: e.inside, hostID: e.outside, size: e.count }));
}

// @nonroot: root has no default subordinate map to shift from (keep-id is refused as root: userns-mode's unit test)
describe('shiftImageLayers, keep-id copies of a layer @nonroot', function () {
  this.timeout(120_000);
  let base = '';
  let layer = '';
  let plan: UsernsPlan;
  before(async function () {
    const uidMappings = defaultMap('/etc/subuid', process.geteuid!());
    const gidMappings = defaultMap('/etc/subgid', process.getegid!());
    requireFeature(this, uidMappings.length > 1 && gidMappings.length > 1, 'no /etc/subuid and /etc/subgid ranges for this user');
    plan = planUserns('keep-id', process.geteuid!(), process.getegid!(), { uidMappings, gidMappings });
    base = mkdtempSync(join(process.env['TMPDIR'] ?? '/tmp', 'ct-shift-'));
    layer = join(base, 'layers', 'abc', 'diff');
    mkdirSync(join(layer, 'etc'), { recursive: true });
    mkdirSync(join(layer, 'home', 'u'), { recursive: true });
    writeFileSync(join(layer, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
    writeFileSync(join(layer, 'suid'), '');
    chmodSync(join(layer, 'suid'), 0o4755);
    writeFileSync(join(layer, 'home', 'u', 'file'), 'x');
    linkSync(join(layer, 'home', 'u', 'file'), join(layer, 'home', 'link'));
    // owners as the default map's container ids: home/u is the caller's uid inside, etc/passwd stays root's (ours)
    await chownVolume(join(layer, 'home', 'u'), process.geteuid!(), process.getegid!());
    await chownVolume(join(layer, 'home', 'link'), process.geteuid!(), process.getegid!());
  });
  after(async () => {
    if (base !== '') await removeTree(base);
  });

  it('shiftImageLayers, root\'s files are owned by the new root, the caller\'s by the caller; set-user-ID and hard links kept', async () => {
    const [copy] = await shiftImageLayers(plan, [layer]);
    assert.equal(copy, join(base, 'layers', 'abc', 'shifted', shiftKey(plan)));
    const owner = (p: string): string => { const st = lstatSync(join(copy!, p)); return `${st.uid}:${st.gid}`; };
    const root = `${mapId(plan.uidMappings, 0)}:${mapId(plan.gidMappings, 0)}`;
    assert.equal(owner('etc/passwd'), root);
    assert.equal(owner('.'), root);
    assert.equal(owner('home/u/file'), `${process.geteuid!()}:${process.getegid!()}`, 'the caller\'s uid inside is the caller on the host');
    assert.equal(lstatSync(join(copy!, 'suid')).mode & 0o7777, 0o4755);
    assert.equal(lstatSync(join(copy!, 'home', 'link')).ino, lstatSync(join(copy!, 'home', 'u', 'file')).ino);
    assert.deepEqual(readdirSync(join(base, 'layers', 'abc', 'shifted')), [shiftKey(plan)], 'no build dir or record is left');
  });

  it('shiftImageLayers, a copy made before is used as it is; a dead builder\'s copy and record are removed', async () => {
    const [copy] = await shiftImageLayers(plan, [layer]);
    const ino = lstatSync(copy!).ino;
    const stale = join(base, 'layers', 'abc', 'shifted', `${shiftKey(plan)}.tmp-0badc0de`);
    writeFileSync(`${stale}.json`, JSON.stringify({ pid: 0, startTime: '' }));
    mkdirSync(stale);
    writeFileSync(join(stale, 'half'), '');
    await chownVolume(stale, 5, 5);
    const [again] = await shiftImageLayers(plan, [layer]);
    assert.equal(again, copy);
    assert.equal(lstatSync(again!).ino, ino, 'not made again');
    assert.equal(existsSync(stale), false);
    assert.equal(existsSync(`${stale}.json`), false);
  });

  it('chownToContainerRoot, a container dir is given to the mode\'s root', async () => {
    const upper = join(base, 'upper');
    mkdirSync(upper);
    await chownToContainerRoot(plan, [upper]);
    assert.equal(lstatSync(upper).uid, mapId(plan.uidMappings, 0));
  });
});
