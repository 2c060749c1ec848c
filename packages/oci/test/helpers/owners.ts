/**
 * Test helpers for unprivileged unpacks: host ids translated to what a user namespace with a given map sees.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { IdMapping } from '../../src/index.js';
import type { NodeInfo } from './fixtures.js';

/** The map a user namespace of `user` gets (itself as 0, its /etc/subuid or /etc/subgid range from 1). */
export function userMapping(user: string, kind: 'uid' | 'gid'): IdMapping[] {
  const own = Number(execFileSync('id', [kind === 'uid' ? '-u' : '-g', user], { encoding: 'utf8' }).trim());
  const line = readFileSync(kind === 'uid' ? '/etc/subuid' : '/etc/subgid', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  const [, start, count] = (line ?? '').split(':');
  const maps: IdMapping[] = [{ containerID: 0, hostID: own, size: 1 }];
  if (start !== undefined && count !== undefined) maps.push({ containerID: 1, hostID: Number(start), size: Number(count) });
  return maps;
}

/** A host id as the namespace with `map` sees it (65534, the overflow id, when unmapped). */
export function insideId(id: number, map: readonly IdMapping[]): number {
  const m = map.find((e) => id >= e.hostID && id < e.hostID + e.size);
  return m === undefined ? 65534 : m.containerID + id - m.hostID;
}

/** A snapshot with owners as the namespace of `uidMap`/`gidMap` sees them. */
export function translateOwners(tree: Map<string, NodeInfo>, uidMap: readonly IdMapping[], gidMap: readonly IdMapping[]): Map<string, NodeInfo> {
  return new Map([...tree].map(([k, v]) => [k, { ...v, uid: insideId(v.uid, uidMap), gid: insideId(v.gid, gidMap) }]));
}
