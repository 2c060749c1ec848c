/**
 * `ct plugins install ./dir`: oclif's plugin-plugins takes an argument that is not an npm name as a GitHub
 * shorthand (`./dir` became a GitHub URL); a local folder installs only as `file:/abs/dir`. A path (starting with
 * `/`, `./`, `../` or `~/`, or naming an existing folder) is turned into that form before oclif sees it.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';

/** `path` as a folder on this machine, or undefined when it is not one. */
function localFolder(arg: string, cwd: string): string | undefined {
  if (arg.startsWith('-') || /^[a-z+]+:/i.test(arg)) return undefined;
  const pathLike = /^(\/|\.{1,2}\/|~\/)/.test(arg) || arg === '.' || arg === '..';
  const full = arg.startsWith('~/') ? resolve(homedir(), arg.slice(2)) : resolve(cwd, arg);
  if (!pathLike && !(existsSync(full) && statSync(full).isDirectory())) return undefined;
  return full;
}

/** `argv` with the folders given to `plugins install` (alias `plugins add`) as `file:` specs. */
export function localPluginSpecs(argv: readonly string[], cwd = process.cwd()): string[] {
  if (argv[0] !== 'plugins' || (argv[1] !== 'install' && argv[1] !== 'add')) return [...argv];
  return argv.map((a, i) => {
    if (i < 2) return a;
    const folder = localFolder(a, cwd);
    return folder === undefined ? a : `file:${folder}`;
  });
}
