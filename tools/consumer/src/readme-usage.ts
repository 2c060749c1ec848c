/**
 * The Usage example of a package README: the first fenced code block under the `## Usage` heading (before the
 * next `## ` heading). The consumer test runs exactly this text, so a README that drifts from the API fails.
 */

/** A README's Usage block. */
export interface UsageExample {
  /** The fence's language: 'ts' examples are compiled and run with node, 'sh' ones run with bash. */
  readonly lang: 'ts' | 'sh';
  /** The block's text, ending with a newline. */
  readonly code: string;
}

/**
 * Extracts the Usage block of a README.
 * @param markdown - the README's text
 * @param where - named in errors (the README's path)
 * @throws Error when there is no `## Usage` section, no fenced block in it, or the fence is not ts or sh
 */
export function extractUsage(markdown: string, where: string): UsageExample {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^## Usage\s*$/.test(l));
  if (start < 0) throw new Error(`${where}: no "## Usage" section`);
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
      if (lang !== 'ts' && lang !== 'sh') throw new Error(`${where}: the Usage block is \`\`\`${lang}, not ts or sh`);
      return { lang, code: lines.slice(open + 1, i).join('\n') + '\n' };
    }
  }
  throw new Error(`${where}: ${open < 0 ? 'no fenced block under "## Usage"' : `the block opened at line ${open + 1} is not closed`}`);
}
