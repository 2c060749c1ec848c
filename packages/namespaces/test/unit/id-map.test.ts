import assert from 'node:assert/strict';
import { formatIdMap, type IdMapContext, layoutRanges, planIdMaps, planInnerIdMaps } from '../../src/id-map.js';
import { type ContainerSpec, withDefaults } from '../../src/spec.js';
import { parseSubordinateIds } from '../../src/subordinate-ids.js';
import { ContainerSpecError, IdMapError } from '../../src/errors.js';

const spec = (extra: Partial<ContainerSpec> = {}) => withDefaults({ command: { argv: ['/bin/true'] }, ...extra });
const unpriv: IdMapContext = { euid: 1001, egid: 1001, subuid: [], subgid: [], newidmapAvailable: true };
const ranged: IdMapContext = { ...unpriv, subuid: [{ start: 100000, count: 65536 }], subgid: [{ start: 100000, count: 65536 }] };
const root: IdMapContext = { euid: 0, egid: 0, subuid: [], subgid: [], newidmapAvailable: true };

describe('planIdMaps', () => {
  it('planIdMaps, unprivileged: one id, setgroups denied', () => {
    const plan = planIdMaps(spec(), unpriv);
    assert.deepEqual(plan.uidMap, [{ inside: 0, outside: 1001, count: 1 }]);
    assert.equal(plan.method, 'write');
    assert.equal(plan.denySetgroups, true);
    assert.equal(plan.setupIds, undefined);
  });
  it('planIdMaps, unprivileged guest uid 42 gid 77', () => {
    const plan = planIdMaps(spec({ guestUid: 42, guestGid: 77 }), unpriv);
    assert.equal(formatIdMap(plan.uidMap), '42 1001 1\n');
    assert.equal(formatIdMap(plan.gidMap), '77 1001 1\n');
  });
  it('planIdMaps, unprivileged with subuid ranges: newuidmap, whole range', () => {
    const plan = planIdMaps(spec(), ranged);
    assert.equal(plan.method, 'newidmap');
    assert.equal(plan.denySetgroups, false);
    assert.deepEqual(plan.uidMap, [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 100000, count: 65536 }]);
  });
  it('planIdMaps, ranges split around a guest uid', () => {
    assert.deepEqual(layoutRanges(5, 1001, [{ start: 100000, count: 10 }], undefined), [
      { inside: 5, outside: 1001, count: 1 },
      { inside: 0, outside: 100000, count: 5 },
      { inside: 6, outside: 100005, count: 5 },
    ]);
  });
  it('planIdMaps, ranges limited by hostUids', () => {
    const plan = planIdMaps(spec({ hostUids: 3 }), ranged);
    assert.deepEqual(plan.uidMap, [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 100000, count: 2 }]);
  });
  it('planIdMaps, subuid ranges and hostUids 1: the own ids written directly, setgroups denied (newgidmap would deny it)', () => {
    const plan = planIdMaps(spec({ hostUids: 1, guestUid: 1000, guestGid: 1000 }), ranged);
    assert.equal(formatIdMap(plan.uidMap), '1000 1001 1\n');
    assert.equal(plan.method, 'write');
    assert.equal(plan.denySetgroups, true);
  });
  it('planIdMaps, a ranged uid map with the own gid alone: setgroups planned denied, as newgidmap writes it', () => {
    const uidMap = [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 100000, count: 5 }];
    const plan = planIdMaps(spec({ uidMap, gidMap: [{ inside: 0, outside: 1001, count: 1 }] }), unpriv);
    assert.equal(plan.method, 'newidmap');
    assert.equal(plan.denySetgroups, true);
  });
  it('planIdMaps, ranges not wanted', () => {
    assert.equal(planIdMaps(spec({ useSubordinateIds: false }), ranged).method, 'write');
  });
  it('planIdMaps, unprivileged hostUids > 1 without ranges', () => {
    assert.throws(() => planIdMaps(spec({ hostUids: 10 }), unpriv), (e: unknown) =>
      e instanceof ContainerSpecError && e.field === 'hostUids');
  });
  it('planIdMaps, root as Guix: 65536 ids from 0', () => {
    const plan = planIdMaps(spec(), root);
    assert.deepEqual(plan.uidMap, [{ inside: 0, outside: 0, count: 65536 }]);
    assert.equal(plan.denySetgroups, false);
    assert.equal(plan.setupIds, undefined);
  });
  it('planIdMaps, root with a base: the child becomes container root before mounting', () => {
    const plan = planIdMaps(spec({ hostIdBase: 200000 }), root);
    assert.equal(formatIdMap(plan.gidMap), '0 200000 65536\n');
    assert.deepEqual(plan.setupIds, { uid: 0, gid: 0 });
  });
  it('planIdMaps, root guest uid outside the range', () => {
    assert.throws(() => planIdMaps(spec({ hostUids: 10, guestUid: 10 }), root), ContainerSpecError);
  });
  it('planIdMaps, explicit multi-line maps of an unprivileged caller use newuidmap', () => {
    const map = [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 100000, count: 5 }];
    assert.equal(planIdMaps(spec({ uidMap: map, gidMap: map }), unpriv).method, 'newidmap');
  });
  it('planIdMaps, nested in a user namespace of two extents: the planned extent split at its boundaries', () => {
    const own = [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 100000, count: 65536 }];
    const plan = planIdMaps(spec(), { ...root, ownUidMap: own, ownGidMap: own });
    assert.equal(formatIdMap(plan.uidMap), '0 0 1\n1 1 65535\n');
    assert.equal(formatIdMap(plan.gidMap), '0 0 1\n1 1 65535\n');
  });
  it('planIdMaps, nested: ids the caller\'s namespace does not map are a ContainerSpecError naming them', () => {
    const own = [{ inside: 0, outside: 1001, count: 1 }];
    assert.throws(() => planIdMaps(spec(), { ...root, ownUidMap: own, ownGidMap: own }), (e: unknown) =>
      e instanceof ContainerSpecError && e.field === 'hostUids' && /id 1 is not mapped .*\/proc\/self\/uid_map.*maps 0-0/.test(e.message));
    assert.equal(formatIdMap(planIdMaps(spec({ hostUids: 1 }), { ...root, ownUidMap: own, ownGidMap: own }).uidMap), '0 0 1\n');
  });
  it('planInnerIdMaps, identity over the outer inside ids', () => {
    const inner = planInnerIdMaps(planIdMaps(spec({ guestUid: 42 }), ranged));
    assert.deepEqual(inner.uidMap, [
      { inside: 42, outside: 42, count: 1 }, { inside: 0, outside: 0, count: 42 }, { inside: 43, outside: 43, count: 65494 },
    ]);
  });
});

describe('parseSubordinateIds', () => {
  const text = '# comment\nctci:100000:65536\nother:200000:10\n1001:300000:5\n';
  it('parseSubordinateIds, by name and by uid', () => {
    assert.deepEqual(parseSubordinateIds(text, '/etc/subuid', 'ctci', 1001),
      [{ start: 100000, count: 65536 }, { start: 300000, count: 5 }]);
  });
  it('parseSubordinateIds, no entry', () => {
    assert.deepEqual(parseSubordinateIds(text, '/etc/subuid', 'nobody', 9), []);
  });
  it('parseSubordinateIds, malformed line names file and line', () => {
    assert.throws(() => parseSubordinateIds('a:1:2\nbad line\n', '/etc/subgid', 'a', 1), (e: unknown) =>
      e instanceof IdMapError && e.file === '/etc/subgid' && e.line === 2);
  });
});
