import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkVolumeName, createVolume, inspectVolume, listVolumes, pruneVolumes, removeVolumes, volumeDataDir, volumeUsers,
  writeVolumeRecord, type VolumeError,
} from '../../src/volume-store.js';

/** A container of the store that uses `names` (what volume-mounts.ts records in its store root). */
function useVolumes(store: string, id: string, names: readonly string[], anonymous = false): void {
  mkdirSync(join(store, 'containers', id), { recursive: true });
  writeFileSync(join(store, 'containers', id, 'volumes.json'), JSON.stringify(names.map((name) => ({ name, destination: `/${name}`, anonymous, autoRemove: false }))));
}

const code = (c: string) => (e: unknown): boolean => (e as VolumeError).code === c;

describe('volume store', () => {
  let store: string;
  beforeEach(() => { store = mkdtempSync(join(tmpdir(), 'ct-volumes-')); });
  afterEach(() => rmSync(store, { recursive: true, force: true }));

  it('volume store, create: the record, then _data (0755) under volumes/NAME; inspect gives podman\'s fields', async () => {
    const made = await createVolume('data', { storageRoot: store, labels: { a: 'b' } });
    const data = join(store, 'volumes', 'data', '_data');
    assert.equal(made.Mountpoint, data);
    assert.equal(statSync(data).mode & 0o777, 0o755);
    const inspected = await inspectVolume('data', { storageRoot: store });
    assert.deepEqual({ ...inspected, CreatedAt: '' }, {
      Name: 'data', Driver: 'local', Mountpoint: data, CreatedAt: '', Labels: { a: 'b' }, Scope: 'local', Options: {}, MountCount: 0,
      NeedsCopyUp: true, NeedsChown: true,
    });
    assert.ok(Math.abs(Date.parse(inspected.CreatedAt) - Date.now()) < 60_000, inspected.CreatedAt);
  });
  it('volume store, create without a name: 64 hex digits, as podman\'s', async () => {
    assert.match((await createVolume(undefined, { storageRoot: store })).Name, /^[0-9a-f]{64}$/);
  });
  it('volume store, create of an existing name is VOLUME_EXISTS and leaves the volume as it was', async () => {
    await createVolume('data', { storageRoot: store });
    writeFileSync(join(volumeDataDir(store, 'data'), 'kept'), 'x');
    await assert.rejects(createVolume('data', { storageRoot: store }), code('VOLUME_EXISTS'));
    assert.ok(existsSync(join(volumeDataDir(store, 'data'), 'kept')));
  });
  it('volume store, hostile names refused naming the name and the rule: ../x, /, empty, .x, a/b, a b, 256 bytes', async () => {
    for (const name of ['../x', '/', '', '.x', '_x', 'a/b', 'a b', 'a:b', 'x'.repeat(256)]) {
      assert.throws(() => checkVolumeName(name), code('VOLUME_NAME_INVALID'), name);
      await assert.rejects(createVolume(name, { storageRoot: store }), (e: Error) => code('VOLUME_NAME_INVALID')(e) && (name === '' ? /empty/ : name.length > 255 ? /256 bytes/ : /not a volume name/).test(e.message), name);
    }
    checkVolumeName('x'.repeat(255));
    checkVolumeName('a_b.c-1');
    assert.deepEqual(readdirSync(join(store)), [], 'nothing was written');
  });
  it('volume store, driver other than local and any --opt refused naming them', async () => {
    await assert.rejects(createVolume('d', { storageRoot: store, driver: 'nfs' }), (e: Error) => code('VOLUME_OPTION_UNSUPPORTED')(e) && /--driver nfs/.test(e.message));
    await assert.rejects(createVolume('d', { storageRoot: store, driverOptions: ['type=tmpfs'] }), (e: Error) => code('VOLUME_OPTION_UNSUPPORTED')(e) && /--opt type=tmpfs/.test(e.message));
    await createVolume('d', { storageRoot: store, driver: 'local' });
  });
  it('volume store, ls by name; inspect and rm of a missing volume are VOLUME_NOT_FOUND', async () => {
    await createVolume('b', { storageRoot: store });
    await createVolume('a', { storageRoot: store });
    assert.deepEqual((await listVolumes({ storageRoot: store })).map((v) => v.Name), ['a', 'b']);
    await assert.rejects(inspectVolume('nope', { storageRoot: store }), code('VOLUME_NOT_FOUND'));
    await assert.rejects(inspectVolume('../a', { storageRoot: store }), code('VOLUME_NOT_FOUND'));
    await assert.rejects(removeVolumes(['nope'], { storageRoot: store }), code('VOLUME_NOT_FOUND'));
    await assert.rejects(removeVolumes(['.lock'], { storageRoot: store }), code('VOLUME_NOT_FOUND'));
  });
  it('volume store, rm of a volume a container uses is VOLUME_IN_USE naming it; with removeContainer it goes after the container', async () => {
    await createVolume('used', { storageRoot: store });
    useVolumes(store, 'c1', ['used']);
    await assert.rejects(removeVolumes(['used'], { storageRoot: store }), (e: VolumeError) => e.code === 'VOLUME_IN_USE' && e.containers.join() === 'c1' && /c1/.test(e.message));
    assert.ok(existsSync(volumeDataDir(store, 'used')));
    const removedContainers: string[] = [];
    const removed = await removeVolumes(['used'], {
      storageRoot: store, removeContainer: async (id) => { removedContainers.push(id); rmSync(join(store, 'containers', id), { recursive: true }); },
    });
    assert.deepEqual([removed, removedContainers], [['used'], ['c1']]);
    assert.equal(existsSync(join(store, 'volumes', 'used')), false);
  });
  it('volume store, rm -f whose container cannot be removed is VOLUME_IN_USE with the cause', async () => {
    await createVolume('used', { storageRoot: store });
    useVolumes(store, 'elsewhere', ['used']);
    await assert.rejects(removeVolumes(['used'], { storageRoot: store, removeContainer: () => Promise.reject(new Error('container elsewhere does not exist')) }),
      (e: VolumeError) => e.code === 'VOLUME_IN_USE' && /elsewhere does not exist/.test(e.message));
  });
  it('volume store, prune removes the unused volumes only, and what killed creates and removals left', async () => {
    await createVolume('free', { storageRoot: store });
    await createVolume('used', { storageRoot: store });
    useVolumes(store, 'c1', ['used']);
    mkdirSync(join(store, 'volumes', 'killed-create')); // a create killed before its record
    mkdirSync(join(store, 'volumes', '.removing-old-0000', '_data'), { recursive: true }); // a removal killed midway
    assert.deepEqual(await pruneVolumes({ storageRoot: store }), ['free']);
    assert.deepEqual(readdirSync(join(store, 'volumes')).sort(), ['.lock', 'used']);
    assert.deepEqual([...volumeUsers(store)], [['used', ['c1']]]);
  });
  it('volume store, a create killed before its record is taken over by the next create; rm removes it too', async () => {
    mkdirSync(join(store, 'volumes', 'half', '_data'), { recursive: true });
    writeFileSync(join(store, 'volumes', 'half', '_data', 'junk'), 'x');
    assert.deepEqual(await listVolumes({ storageRoot: store }), [], 'no record: no volume');
    await createVolume('half', { storageRoot: store });
    assert.deepEqual(readdirSync(volumeDataDir(store, 'half')), []);
    mkdirSync(join(store, 'volumes', 'other'));
    assert.deepEqual(await removeVolumes(['other'], { storageRoot: store }), ['other']);
    assert.equal(existsSync(join(store, 'volumes', 'other')), false);
  });
  it('volume store, a record without _data (killed after the record) is listed and removable', async () => {
    mkdirSync(join(store, 'volumes', 'norecdata'), { recursive: true });
    writeVolumeRecord(store, { name: 'norecdata', created: new Date().toISOString(), labels: {}, anonymous: false, needsCopyUp: true, needsChown: true });
    assert.deepEqual((await listVolumes({ storageRoot: store })).map((v) => v.Name), ['norecdata']);
    await removeVolumes(['norecdata'], { storageRoot: store });
    assert.deepEqual(await listVolumes({ storageRoot: store }), []);
  });
});
