/**
 * Versions ct reports (its own, and the runtime-spec version it implements) and the check of config.json's
 * `ociVersion`: a SemVer 2.0.0 string whose major.minor is one ct reads (1.0 to 1.3; pre-releases and build
 * metadata of those included, as `runc spec`'s "1.0.2-dev").
 */
import { ConfigError } from './errors.js';

/** The runtime-spec version ct implements (`--version`'s spec line, `runc spec`-like templates, features' max). */
export const specVersion = '1.2.0';

/** ct's version. Kept in step with package.json by a unit test. */
export const ctVersion = '0.1.0';

/** The lines of `ct --version`, in runc's format (go-runc parses "X version V", "commit: C", "spec: S"). */
export function versionText(commit = 'unknown'): string {
  return `ct version ${ctVersion}\ncommit: ${commit}\nspec: ${specVersion}\n`;
}

/** The oldest and the newest runtime-spec minor versions whose configs ct reads (1.0.x to 1.3.x). */
export const supportedConfigVersions = { major: 1, minMinor: 0, maxMinor: 3 } as const;

/** SemVer 2.0.0 (semver.org's grammar): MAJOR.MINOR.PATCH, an optional pre-release and build metadata. */
const semverPattern =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/**
 * Check config.json's `ociVersion` and return the version the container is recorded with. A missing one is
 * accepted as runc accepts it (runc never reads the field; crun refuses it) and recorded as ct's own `specVersion`;
 * a non-SemVer one, or one outside 1.0-1.3, is a ConfigError naming `ociVersion` (crun refuses those too).
 */
export function checkConfigVersion(value: unknown): string {
  if (value === undefined || value === null) return specVersion;
  if (typeof value !== 'string') throw new ConfigError('ociVersion', 'must be a string');
  const m = semverPattern.exec(value);
  if (m === null) throw new ConfigError('ociVersion', `${JSON.stringify(value)} is not a SemVer 2.0.0 version`);
  const { major, minMinor, maxMinor } = supportedConfigVersions;
  const minor = Number(m[2]);
  if (Number(m[1]) !== major || minor < minMinor || minor > maxMinor) {
    throw new ConfigError('ociVersion', `${value} is not supported (ct reads ${major}.${minMinor}.0 to ${major}.${maxMinor}.x)`);
  }
  return value;
}
