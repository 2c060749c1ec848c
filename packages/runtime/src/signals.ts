/**
 * Signal names and numbers as `kill` takes them: `9`, `KILL`, `SIGKILL`, `kill` (runc accepts all of these).
 *
 * Man pages: signal(7).
 */
import { constants } from 'node:os';
import { RuntimeError } from './errors.js';

const byName: Readonly<Record<string, number>> = constants.signals as unknown as Record<string, number>;

/** The signal number for a name or number; unknown ones are an `EUSAGE` error. */
export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= 64) return n;
    throw new RuntimeError('EUSAGE', `unknown signal ${JSON.stringify(text)}`);
  }
  let name = text.toUpperCase();
  if (!name.startsWith('SIG')) name = `SIG${name}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
  if (rt !== null) {
    const off = Number(rt[1] ?? '0');
    const n = name.startsWith('SIGRTMIN') ? 34 + off : 64 - off;
    if (n >= 34 && n <= 64) return n;
  }
  const n = byName[name];
  if (n === undefined) throw new RuntimeError('EUSAGE', `unknown signal ${JSON.stringify(text)}`);
  return n;
}
