/**
 * The runnable parts of a README: the Usage example (the first fenced code block under `## Usage`, before the
 * next `## ` heading), which the consumer test runs as it is, and the install commands of the `## Install`
 * block, which it checks against what it installs. A README that drifts from the packages fails.
 */

/** A README's fenced block. */
export interface UsageExample {
  /** The fence's language: 'ts' examples are compiled and run with node, 'sh' ones run with bash. */
  readonly lang: 'ts' | 'sh';
  /** The block's text, ending with a newline. */
  readonly code: string;
}

/**
 * The first fenced block under a `## ` heading.
 * @param markdown - the README's text
 * @param heading - the section's title ('Usage', 'Install')
 * @param where - named in errors (the README's path)
 * @throws Error when there is no such section, no fenced block in it, or the fence is not ts or sh
 */
export function extractBlock(markdown: string, heading: string, where: string): UsageExample {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trimEnd() === `## ${heading}`);
  if (start < 0) throw new Error(`${where}: no "## ${heading}" section`);
  let open = -1;
  let lang = '';
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (open < 0 && line.startsWith('## ')) break;
    const fence = /^```(\S*)\s*$/.exec(line);
    if (fence === null) continue;
    if (open < 0) {
      open = i;
      lang = fence[1]!;
    } else {
      if (lang !== 'ts' && lang !== 'sh') throw new Error(`${where}: the ${heading} block is \`\`\`${lang}, not ts or sh`);
      return { lang, code: lines.slice(open + 1, i).join('\n') + '\n' };
    }
  }
  throw new Error(`${where}: ${open < 0 ? `no fenced block under "## ${heading}"` : `the block opened at line ${open + 1} is not closed`}`);
}

/**
 * Extracts the Usage block of a README.
 * @throws Error as {@link extractBlock}
 */
export function extractUsage(markdown: string, where: string): UsageExample {
  return extractBlock(markdown, 'Usage', where);
}

/** One install command of an Install block. */
export interface InstallCommand {
  /** 'npm install' or 'pnpm add'. */
  readonly manager: 'npm' | 'pnpm';
  /** The packages it names, flags left out (`npm install -g @ct/cli` → ['@ct/cli']). */
  readonly packages: readonly string[];
}

/**
 * The `npm install …` and `pnpm add …` commands of a README's Install block, comments included (`# or: pnpm add
 * x` counts: that is how the READMEs give the pnpm form).
 * @throws Error as {@link extractBlock}, or when the block is not sh
 */
export function extractInstallCommands(markdown: string, where: string): InstallCommand[] {
  const block = extractBlock(markdown, 'Install', where);
  if (block.lang !== 'sh') throw new Error(`${where}: the Install block is ${block.lang}, not sh`);
  const commands: InstallCommand[] = [];
  for (const m of block.code.matchAll(/\b(npm install|pnpm add)((?: +[^\s#;),]+)+)/g)) {
    const packages = m[2]!.trim().split(/ +/).filter((word) => !word.startsWith('-'));
    commands.push({ manager: m[1] === 'npm install' ? 'npm' : 'pnpm', packages });
  }
  return commands;
}
