/**
 * The `owner` field of the state: the creator's user name from /etc/passwd (runc looks the uid up the same
 * way), or the uid as text when it has no entry (common inside a user namespace).
 *
 * Man pages: passwd(5).
 */
import { readFileSync } from 'node:fs';

/** The user name of `uid`, or its decimal text when /etc/passwd has no entry. */
export function userName(uid: number, passwdPath = '/etc/passwd'): string {
  try {
    for (const line of readFileSync(passwdPath, 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name !== undefined && id !== undefined && Number(id) === uid && id !== '') return name;
    }
  } catch {
    // no passwd file: fall back to the number
  }
  return String(uid);
}
