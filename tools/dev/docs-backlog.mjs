#!/usr/bin/env node
// Rewrites a library's typedoc.backlog.json (the API reference's debt: undocumented exports, and types the API
// names that the entry points do not export) from what TypeDoc finds now. For the lead after merging code written
// without `turbo run docs`; run it, read the diff (a name that appears is an export someone left undocumented),
// commit. Usage: node tools/dev/docs-backlog.mjs packages/runtime [packages/oci ...]
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const HEADER = `// The API reference's debt: exports without TSDoc when the check was turned on (2026-12-05), and types the API
// names that the entry points do not export. TypeDoc fails \`turbo run docs\` on an undocumented export not listed
// here, and on a listed name that is now documented or gone: document it, then delete its line.
// (tools/dev/docs-backlog.mjs rewrites it from the tree.)
`;

for (const dir of process.argv.slice(2)) {
  const backlog = join(dir, 'typedoc.backlog.json');
  // TypeDoc with an empty backlog, emitting nothing: every undocumented or unexported name is a warning.
  writeFileSync(backlog, '{}\n');
  const r = spawnSync('pnpm', ['exec', 'typedoc', '--emit', 'none'], { cwd: dir, encoding: 'utf8' });
  // eslint-disable-next-line no-control-regex -- TypeDoc colours its output
  const text = `${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  const undocumented = new Set();
  const unexported = new Set();
  for (const line of text.split('\n')) {
    let m = /^\[warning\] (\S+) \(\w+\), defined in .* does not have any documentation/.exec(line);
    if (m) undocumented.add(m[1]);
    m = /^\[warning\] (\S+), defined in .*, is referenced by .* but not included in the documentation/.exec(line);
    if (m) unexported.add(m[1]);
  }
  if (r.status !== 0 && undocumented.size === 0 && unexported.size === 0) {
    rmSync(backlog);
    throw new Error(`docs-backlog: ${dir}: typedoc failed with no warning to list:\n${text}`);
  }
  /** @type {Record<string, string[]>} */
  const out = { intentionallyNotDocumented: [...undocumented].sort() };
  if (unexported.size > 0) out.intentionallyNotExported = [...unexported].sort();
  writeFileSync(backlog, `${HEADER}${JSON.stringify(out, null, 2)}\n`);
  console.log(`${dir}: ${undocumented.size} undocumented, ${unexported.size} not exported`);
}
