import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initializeUserNamespace, writeIdMaps } from '../../src/id-map-write.js';
import { IdMapError } from '../../src/errors.js';

describe('writeIdMaps', () => {
  let procRoot: string;
  beforeEach(() => {
    procRoot = mkdtempSync(join(tmpdir(), 'ct-proc-'));
    mkdirSync(join(procRoot, '42'));
  });
  afterEach(() => rmSync(procRoot, { recursive: true, force: true }));
  const read = (f: string): string => readFileSync(join(procRoot, '42', f), 'utf8');

  it('writeIdMaps, unprivileged single id: setgroups deny, uid_map, gid_map', async () => {
    await writeIdMaps(42, {
      uidMap: [{ inside: 0, outside: 1001, count: 1 }], gidMap: [{ inside: 7, outside: 1002, count: 1 }],
      method: 'write', denySetgroups: true, setupIds: undefined,
    }, { procRoot });
    assert.equal(read('setgroups'), 'deny');
    assert.equal(read('uid_map'), '0 1001 1\n');
    assert.equal(read('gid_map'), '7 1002 1\n');
  });
  it('writeIdMaps, root leaves setgroups alone', async () => {
    await writeIdMaps(42, {
      uidMap: [{ inside: 0, outside: 0, count: 65536 }], gidMap: [{ inside: 0, outside: 0, count: 65536 }],
      method: 'write', denySetgroups: false, setupIds: undefined,
    }, { procRoot });
    assert.throws(() => read('setgroups'), /ENOENT/);
    assert.equal(read('uid_map'), '0 0 65536\n');
  });
  it('writeIdMaps, missing process directory names the file', async () => {
    await assert.rejects(writeIdMaps(43, {
      uidMap: [{ inside: 0, outside: 1, count: 1 }], gidMap: [{ inside: 0, outside: 1, count: 1 }],
      method: 'write', denySetgroups: false, setupIds: undefined,
    }, { procRoot }), (e: unknown) => e instanceof IdMapError && e.file === join(procRoot, '43', 'uid_map'));
  });
  it('writeIdMaps, ranges through newuidmap and newgidmap', async () => {
    const log = join(procRoot, 'log');
    const fake = (name: string): string => {
      const file = join(procRoot, name);
      writeFileSync(file, `#!/bin/sh\necho ${name} "$@" >> ${log}\n`);
      chmodSync(file, 0o755);
      return file;
    };
    await writeIdMaps(42, {
      uidMap: [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 100000, count: 65536 }],
      gidMap: [{ inside: 0, outside: 1001, count: 1 }],
      method: 'newidmap', denySetgroups: false, setupIds: undefined,
    }, { newuidmap: fake('newuidmap'), newgidmap: fake('newgidmap') });
    assert.equal(readFileSync(log, 'utf8'), 'newuidmap 42 0 1001 1 1 100000 65536\nnewgidmap 42 0 1001 1\n');
  });
  it('writeIdMaps, setgroups denied by newgidmap where the plan calls setgroups: an IdMapError naming the file', async () => {
    const mapper = join(procRoot, 'newgidmap');
    writeFileSync(mapper, `#!/bin/sh\necho deny > ${join(procRoot, '42', 'setgroups')}\n`);
    chmodSync(mapper, 0o755);
    const plan = {
      uidMap: [{ inside: 0, outside: 1001, count: 1 }], gidMap: [{ inside: 0, outside: 1001, count: 1 }],
      method: 'newidmap', setupIds: undefined,
    } as const;
    await assert.rejects(writeIdMaps(42, { ...plan, denySetgroups: false }, { procRoot, newuidmap: '/bin/true', newgidmap: mapper }),
      (e: unknown) => e instanceof IdMapError && e.file === join(procRoot, '42', 'setgroups') && /newgidmap denied setgroups/.test(e.message));
    await writeIdMaps(42, { ...plan, denySetgroups: true }, { procRoot, newuidmap: '/bin/true', newgidmap: mapper });
  });
  it('writeIdMaps, a failing newuidmap gives its message', async () => {
    await assert.rejects(writeIdMaps(42, {
      uidMap: [{ inside: 0, outside: 1, count: 1 }], gidMap: [{ inside: 0, outside: 1, count: 1 }],
      method: 'newidmap', denySetgroups: false, setupIds: undefined,
    }, { newuidmap: '/bin/false' }), (e: unknown) => e instanceof IdMapError && e.file === '/bin/false');
  });
  it('initializeUserNamespace, Guix shape: GUEST HOST COUNT', async () => {
    await initializeUserNamespace(42, 1, { procRoot, hostUid: 1001, hostGid: 1001, guestUid: 42, guestGid: 77 });
    assert.equal(read('setgroups'), 'deny');
    assert.equal(read('uid_map'), '42 1001 1\n');
    assert.equal(read('gid_map'), '77 1001 1\n');
  });
});
