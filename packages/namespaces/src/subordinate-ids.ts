/**
 * /etc/subuid and /etc/subgid: the host id ranges an unprivileged user may map with newuidmap/newgidmap.
 * Lines are `owner:start:count`, owner a user name or a numeric uid; `#` starts a comment line.
 *
 * Man pages: subuid(5), subgid(5), newuidmap(1).
 */
import { readFileSync } from 'node:fs';
import { IdMapError } from './errors.js';

/** One subordinate id range. */
export interface SubordinateRange {
  /** First host id of the range. */
  readonly start: number;
  /** Number of ids. */
  readonly count: number;
}

/** The ranges of `file`'s text that belong to `user` (by name) or `uid`, in file order; bad lines throw. */
export function parseSubordinateIds(text: string, file: string, user: string | undefined, uid: number): SubordinateRange[] {
  const ranges: SubordinateRange[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(':');
    const [owner, start, count] = fields;
    if (fields.length !== 3 || owner === undefined || owner === '' || !/^\d+$/.test(start ?? '')
      || !/^\d+$/.test(count ?? '')) {
      throw new IdMapError(file, index + 1, `malformed line ${JSON.stringify(raw)} (want owner:start:count)`);
    }
    if (owner === user || owner === String(uid)) ranges.push({ start: Number(start), count: Number(count) });
  });
  return ranges;
}

/**
 * The ranges in `file` for `user`/`uid`; an absent file gives none.
 * @throws IdMapError (ID_MAP) with `file` (and `line` for a malformed line) when it cannot be read or parsed.
 */
export function readSubordinateIds(file: string, user: string | undefined, uid: number): SubordinateRange[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new IdMapError(file, undefined, `cannot read: ${(error as Error).message}`, error as Error);
  }
  return parseSubordinateIds(text, file, user, uid);
}
