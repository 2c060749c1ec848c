/**
 * A PATH without a C or C++ compiler or make: one directory of symbolic links to every program on the given PATH
 * except those. Installing with it proves that the install builds nothing (node-gyp would need g++ and make).
 */
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Program names left out: compilers, their drivers and make (with Debian's versioned and triplet names). */
export const BUILD_TOOL = /^(?:[\w.]+-linux-gnu-)?(?:g\+\+|gcc|c\+\+|cc|cpp|clang\+\+|clang|make|gmake|ld|ld\.bfd|ld\.gold)(?:-\d+)?$/;

/**
 * Makes `dir` hold a link to each program on `path` (the first one of a name wins, as a shell's lookup does) but
 * the build tools, and returns `dir` as the new PATH.
 */
export function makeCompilerFreePath(dir: string, path: string): string {
  mkdirSync(dir, { recursive: true });
  const seen = new Set<string>();
  for (const d of path.split(delimiter)) {
    if (d === '' || !existsSync(d)) continue;
    for (const name of readdirSync(d)) {
      if (seen.has(name) || BUILD_TOOL.test(name)) continue;
      seen.add(name);
      symlinkSync(join(d, name), join(dir, name));
    }
  }
  return dir;
}
