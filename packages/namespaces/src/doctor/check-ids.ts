/**
 * Checks: the user's /etc/subuid and /etc/subgid ranges (none: single-id mode), and newuidmap/newgidmap on PATH
 * with the privilege they need: root-owned with the setuid bit, or a `security.capability` xattr granting
 * CAP_SETUID (newuidmap) / CAP_SETGID (newgidmap) effective. A helper without either fails when the ranges exist
 * (ct would use it and newuidmap would be refused), else it only warns.
 *
 * Man pages: subuid(5), subgid(5), newuidmap(1), newgidmap(1), usermod(8) (--add-subuids), capabilities(7)
 * ("File capabilities", struct vfs_cap_data), setcap(8).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseSubordinateIds, type SubordinateRange } from '../subordinate-ids.js';
import { installCommand, type DoctorEnvironment } from './environment.js';
import { findOnPath, notOk, ok, userLabel } from './check-result.js';
import type { CheckResult } from './types.js';

const SUBID_AFFECTS = ['more than one uid/gid in a rootless container (image files owned by other ids, su, apt)'];
const NEWIDMAP_AFFECTS = ['the /etc/subuid ranges of rootless containers (without them: single-id mode)'];
const CAP_SETGID = 6;
const CAP_SETUID = 7;
const VFS_CAP_FLAGS_EFFECTIVE = 1;
const S_ISUID = 0o4000;
/** The first id suggested for a new range (where useradd starts, SUB_UID_MIN). */
const FIRST_SUBID = 100000;
const RANGE = 65536;

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/** The user's ranges in `etcRoot`/subuid and subgid (bad lines throw IdMapError). */
export function userSubordinateIds(env: DoctorEnvironment): { subuid: SubordinateRange[]; subgid: SubordinateRange[] } {
  const read = (name: string, id: number): SubordinateRange[] =>
    parseSubordinateIds(readText(join(env.etcRoot, name)), join(env.etcRoot, name), env.userName, id);
  return { subuid: read('subuid', env.uid), subgid: read('subgid', env.uid) };
}

/** The first id above every range in both files (at least 100000): where a new range can start. */
export function freeSubordinateStart(env: DoctorEnvironment): number {
  const ends = ['subuid', 'subgid'].flatMap((name) => rangeLines(join(env.etcRoot, name)).map((r) => r.start + r.count));
  return Math.max(FIRST_SUBID, ...ends);
}

/** One range line of /etc/subuid or /etc/subgid, with where it is. */
interface RangeLine {
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  readonly owner: string;
  readonly start: number;
  readonly count: number;
}

function rangeLines(file: string): RangeLine[] {
  const out: RangeLine[] = [];
  readText(file).split('\n').forEach((raw, index) => {
    const [owner, start, count] = raw.trim().split(':');
    if (owner === undefined || owner === '' || owner.startsWith('#') || !/^\d+$/.test(start ?? '') || !/^\d+$/.test(count ?? '')) return;
    out.push({ file, line: index + 1, owner, start: Number(start), count: Number(count) });
  });
  return out;
}

const overlaps = (a: RangeLine, b: RangeLine): boolean => a.start < b.start + b.count && b.start < a.start + a.count;
const where = (r: RangeLine): string => `${r.file}:${r.line} (${r.owner}:${r.start}:${r.count})`;

/**
 * The user's ranges that newuidmap/newgidmap would refuse (EINVAL: the map's host extents overlap): two of the
 * user's own lines that overlap, or a line holding the user's own id (ct maps it to root beside the ranges); a
 * failure whose fix deletes the later lines. Otherwise the user's ranges that overlap another owner's (the two
 * users' containers share host ids: each can reach the other's files): a warning. Undefined when neither.
 */
function overlapResult(env: DoctorEnvironment): CheckResult | undefined {
  const mine = (r: RangeLine): boolean => r.owner === env.userName || r.owner === String(env.uid);
  const refused: { bad: RangeLine; why: string }[] = [];
  const shared: string[] = [];
  for (const [name, ownId] of [['subuid', env.uid], ['subgid', env.gid]] as const) {
    const lines = rangeLines(join(env.etcRoot, name));
    const own = lines.filter(mine);
    own.forEach((r, i) => {
      const earlier = own.slice(0, i).find((o) => overlaps(o, r));
      if (earlier !== undefined) refused.push({ bad: r, why: `${where(r)} overlaps ${where(earlier)}` });
      else if (ownId >= r.start && ownId < r.start + r.count) {
        refused.push({ bad: r, why: `${where(r)} holds ${userLabel(env)}'s own ${name === 'subuid' ? 'uid' : 'gid'} ${ownId}` });
      }
      for (const other of lines.filter((o) => !mine(o) && overlaps(o, r))) shared.push(`${where(r)} overlaps ${where(other)}`);
    });
  }
  if (refused.length > 0) {
    const byFile = new Map<string, number[]>();
    for (const { bad } of refused) byFile.set(bad.file, [...(byFile.get(bad.file) ?? []), bad.line]);
    const fix = [...byFile].map(([file, lines]) => `sudo sed -i '${lines.map((l) => `${l}d`).join(';')}' ${file}`).join(' && ');
    return notOk('subordinate-ids', 'failure', 'subids-overlap',
      `${refused.map((r) => r.why).join('; ')}: newuidmap/newgidmap refuse the map (write to uid_map: EINVAL)`,
      SUBID_AFFECTS, fix);
  }
  if (shared.length > 0) {
    const start = freeSubordinateStart(env);
    return notOk('subordinate-ids', 'warning', 'subids-overlap',
      `${shared.join('; ')}: the two owners' containers share host ids (each can reach the other's files)`,
      SUBID_AFFECTS,
      `give ${userLabel(env)} a range of its own: sudo usermod --add-subuids ${start}-${start + RANGE - 1} --add-subgids ${start}-${start + RANGE - 1} ${userLabel(env)}, then remove the shared lines`);
  }
  return undefined;
}

/** Check: the user's /etc/subuid and /etc/subgid ranges. */
export function checkSubordinateIds(env: DoctorEnvironment): CheckResult {
  if (env.uid === 0) return ok('subordinate-ids', 'root maps ids directly (no /etc/subuid needed)', SUBID_AFFECTS);
  let ranges;
  try {
    ranges = userSubordinateIds(env);
  } catch (error) {
    return notOk('subordinate-ids', 'failure', 'subids-missing', (error as Error).message, SUBID_AFFECTS,
      `fix or remove the malformed line (owner:start:count) in ${join(env.etcRoot, 'subuid')} / subgid`);
  }
  const missing = [ranges.subuid.length === 0 ? 'subuid' : '', ranges.subgid.length === 0 ? 'subgid' : '']
    .filter((m) => m !== '');
  const count = (rs: SubordinateRange[]): number => rs.reduce((n, r) => n + r.count, 0);
  if (missing.length === 0) {
    return overlapResult(env)
      ?? ok('subordinate-ids', `${count(ranges.subuid)} subordinate uids, ${count(ranges.subgid)} gids`, SUBID_AFFECTS);
  }
  const start = freeSubordinateStart(env);
  const span = `${start}-${start + RANGE - 1}`;
  const flags = missing.map((m) => (m === 'subuid' ? `--add-subuids ${span}` : `--add-subgids ${span}`)).join(' ');
  return notOk('subordinate-ids', 'warning', 'subids-missing',
    `no ${missing.join(' and ')} entry for ${userLabel(env)} in ${env.etcRoot}: single-id mode (the container sees one uid)`,
    SUBID_AFFECTS, `sudo usermod ${flags} ${userLabel(env)}`);
}

/** True when a `security.capability` value grants capability `bit` in the permitted set, effective on exec. */
export function capabilityGrants(value: Buffer, bit: number): boolean {
  if (value.length < 12) return false;
  const magic = value.readUInt32LE(0);
  if ((magic & VFS_CAP_FLAGS_EFFECTIVE) === 0) return false;
  const permitted = bit < 32 ? value.readUInt32LE(4) : value.length >= 20 ? value.readUInt32LE(12) : 0;
  return ((permitted >>> (bit % 32)) & 1) === 1;
}

interface HelperState { readonly name: string; readonly path: string | undefined; readonly privileged: boolean }

function helperState(env: DoctorEnvironment, name: string, cap: number): HelperState {
  const path = findOnPath(env, name);
  if (path === undefined) return { name, path, privileged: false };
  const st = statSync(path);
  const setuid = (st.mode & S_ISUID) !== 0 && st.uid === 0;
  const value = setuid ? undefined : env.trials.fileCapability(path);
  return { name, path, privileged: setuid || (value !== undefined && capabilityGrants(value, cap)) };
}

/** Check: newuidmap and newgidmap on PATH, setuid root or with file capabilities. */
export function checkNewIdMap(env: DoctorEnvironment): CheckResult {
  const helpers = [helperState(env, 'newuidmap', CAP_SETUID), helperState(env, 'newgidmap', CAP_SETGID)];
  if (env.uid === 0) return ok('newidmap', 'root writes the id maps itself (newuidmap not needed)', NEWIDMAP_AFFECTS);
  const absent = helpers.filter((h) => h.path === undefined);
  if (absent.length > 0) {
    return notOk('newidmap', 'warning', 'newidmap-missing',
      `${absent.map((h) => h.name).join(' and ')}: not found on PATH: single-id mode`, NEWIDMAP_AFFECTS,
      installCommand(env, { debian: 'uidmap', fedora: 'shadow-utils', arch: 'shadow' }));
  }
  const weak = helpers.filter((h) => !h.privileged);
  if (weak.length === 0) return ok('newidmap', helpers.map((h) => `${h.path}: privileged`).join(', '), NEWIDMAP_AFFECTS);
  let ranges: boolean;
  try {
    const r = userSubordinateIds(env);
    ranges = r.subuid.length > 0 && r.subgid.length > 0;
  } catch {
    ranges = false; // the subordinate-ids check reports the malformed file
  }
  const fix = weak.map((h) => `sudo chown root:root ${h.path} && sudo chmod u+s ${h.path}`).join(' && ');
  return notOk('newidmap', ranges ? 'failure' : 'warning', 'newidmap-not-privileged',
    `${weak.map((h) => h.path).join(', ')}: no setuid bit and no file capability${ranges ? ': mapping the /etc/subuid ranges fails' : ''}`,
    NEWIDMAP_AFFECTS, fix);
}
