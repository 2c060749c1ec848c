#!/usr/bin/env node
// Removes compiler outputs in a package's dist/ whose source in src/ is gone: `tsc -b` never deletes the outputs of a
// removed source, and turbo's cache (shared by git worktrees of one repository) then restores them into a fresh
// checkout, where they are packed and published (the consumer test found dist/cgroup-candidates.* that way).
// Only files tsc writes are considered (.js, .d.ts and their maps); anything else in dist/ (bundles, build info) stays.
// Usage: node tools/dev/prune-dist.mjs [PACKAGE_DIR] [--dry-run]   (run by a package's build script after tsc -b)
import { existsSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const args = process.argv.slice(2);
const dryRun = args.includes('--dry-run');
const pkg = resolve(args.find((a) => !a.startsWith('--')) ?? '.');
const dist = join(pkg, 'dist');
const src = join(pkg, 'src');
const OUTPUT = /^(.*)\.(js|d\.ts)(\.map)?$/;

/** The source files one output can come from. */
const sourcesOf = (stem) => [`${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${stem}.js`].map((s) => join(src, s));

/** Prunes dir (a dist/ subdirectory); returns whether it is empty after. */
function prune(dir) {
  let left = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (prune(path)) {
        if (!dryRun) rmdirSync(path);
      } else left++;
      continue;
    }
    const match = OUTPUT.exec(relative(dist, path));
    if (match === null || sourcesOf(match[1]).some((s) => existsSync(s))) {
      left++;
      continue;
    }
    console.log(`prune-dist: ${relative(process.cwd(), path)}: its source is gone, removed${dryRun ? ' (dry run)' : ''}`);
    if (!dryRun) unlinkSync(path);
  }
  return left === 0;
}

if (existsSync(dist) && existsSync(src)) prune(dist);
