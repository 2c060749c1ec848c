/** Versions ct reports: its own (from package.json at build time) and the runtime-spec version it implements. */

/** The runtime-spec version ct implements (state JSON `ociVersion`, `--version`'s spec line). */
export const specVersion = '1.2.0';

/** ct's version. Kept in step with package.json by a unit test. */
export const ctVersion = '0.1.0';

/** The lines of `ct --version`, in runc's format (go-runc parses "X version V", "commit: C", "spec: S"). */
export function versionText(commit = 'unknown'): string {
  return `ct version ${ctVersion}\ncommit: ${commit}\nspec: ${specVersion}\n`;
}
