/**
 * The check of a program a ct package ships prebuilt (ct-init here, @ct/runtime's ct-exec-fifo): a static binary
 * in the package's build/bin that containers exec, so it must be a regular file with mode r-x for everyone (the
 * container's process may run as any user after its setuid). A packer that drops the executable bit (pnpm pack
 * does for files not listed in `bin` or `publishConfig.executableFiles`) would otherwise surface as the user's
 * program failing with EACCES. The installed file is not repaired here: with pnpm it is a hard link into the
 * shared store.
 *
 * Man pages: stat(2), execve(2).
 */
import { statSync } from 'node:fs';

/**
 * What is wrong with a shipped program, or undefined when it can be exec'd: the message names the file and the
 * fix ("ct-init: /path: mode 0644, not executable by all (...)").
 * @param path - the program's host path
 * @param packageName - the package that ships it ('@ct/namespaces'), named in the fix
 */
export function checkShippedProgram(path: string, packageName: string): string | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) return `${name}: ${path}: not a regular file (reinstall ${packageName})`;
    mode = st.mode & 0o7777;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return `${name}: ${path}: ${code} (reinstall ${packageName}; in ct's workspace, run its build)`;
  }
  if ((mode & 0o555) !== 0o555) {
    const octal = mode.toString(8).padStart(4, '0');
    return `${name}: ${path}: mode ${octal}, not readable and executable by all (the package lost the executable ` +
      `bit when it was packed: reinstall ${packageName} from a tarball that keeps it, or chmod 0755 ${path})`;
  }
  return undefined;
}
