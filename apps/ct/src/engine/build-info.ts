/**
 * What the build recorded about itself (scripts/build-info.mjs writes build-info.json beside package.json): the
 * commit `ct --version` prints. One small file read, on the lean path.
 */
import { readFileSync } from 'node:fs';

/** The commit ct was built from ("unknown" when the build could not tell, or the file is missing). */
export function buildCommit(): string {
  try {
    const { commit } = JSON.parse(readFileSync(new URL('../../build-info.json', import.meta.url), 'utf8')) as { commit?: unknown };
    return typeof commit === 'string' && commit !== '' ? commit : 'unknown';
  } catch {
    return 'unknown';
  }
}
