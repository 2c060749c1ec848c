// Reporting: a table for people (stdout) or one JSON document for scripts (--json), with the machine described
// and ratios against named baselines. Ratios are the point: absolute figures on a shared 2-core VM drift with
// whatever else runs, ratios measured in the same interleaved run much less.

import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { ratio } from './stats.mjs';

/**
 * @typedef {object} RatioSpec
 * @property {string} what e.g. "ct/floor"
 * @property {string} subject peer name
 * @property {string} baseline peer name
 * @property {number} [target] the subject's median should be at most target × the baseline's
 * @property {'wall' | 'cpu'} [metric] which median the target is about (default wall)
 */

/**
 * @typedef {object} RatioResult
 * @property {string} what
 * @property {number} wallMedian ratio of wall-time medians
 * @property {number} wallP99 ratio of wall-time p99
 * @property {number} cpuMedian ratio of CPU-time medians
 * @property {number} [target]
 * @property {'wall' | 'cpu'} [metric]
 * @property {boolean} [met]
 */

/** A target's verdict as every benchmark prints it. @param {number} value @param {number} target */
export function verdict(value, target) {
  return Number.isFinite(value) ? (value <= target ? 'MET' : 'MISSED') : 'not measured';
}

/**
 * @param {readonly import('./bench-loop.mjs').PeerResult[]} results
 * @param {readonly RatioSpec[]} specs
 * @returns {RatioResult[]}
 */
export function computeRatios(results, specs) {
  const by = new Map(results.map((r) => [r.name, r]));
  return specs.flatMap((s) => {
    const a = by.get(s.subject);
    const b = by.get(s.baseline);
    if (!a || !b || a.failure || b.failure) return [];
    const wallMedian = ratio(a.wallMs.median, b.wallMs.median);
    const cpuMedian = ratio(a.cpuMs.median, b.cpuMs.median);
    const metric = s.metric ?? 'wall';
    return [{
      what: s.what, wallMedian, wallP99: ratio(a.wallMs.p99, b.wallMs.p99), cpuMedian,
      ...(s.target !== undefined ? { target: s.target, metric, met: (metric === 'cpu' ? cpuMedian : wallMedian) <= s.target } : {}),
    }];
  });
}

/** Versions of the peers and facts about the machine, for the record. @param {readonly string[]} [commands] */
export function describeMachine(commands = []) {
  /** @type {Record<string, string>} */
  const versions = { node: process.version };
  for (const c of commands) {
    try {
      versions[c] = execFileSync(c, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0] ?? '';
    } catch {
      versions[c] = 'missing';
    }
  }
  return {
    date: new Date().toISOString(), kernel: release(), cpus: cpus().length, memMB: Math.round(totalmem() / 2 ** 20),
    loadavg1: Number(loadavg()[0]?.toFixed(2)), uid: process.getuid?.() ?? -1, versions,
  };
}

/** @param {number} n @param {number} [digits] */
const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/**
 * Print one section: a row per peer (wall median/p90/p99/mean, CPU median, peak RSS), then the ratios.
 * @param {string} title
 * @param {readonly import('./bench-loop.mjs').PeerResult[]} results
 * @param {readonly RatioResult[]} ratios
 */
export function printSection(title, results, ratios) {
  const rows = [['peer', 'n', 'median ms', 'p90', 'p99', 'mean', 'cpu ms', 'peak RSS MB']];
  for (const r of results) {
    if (r.failure) {
      rows.push([r.name, '0', 'failed', '', '', '', '', '']);
      continue;
    }
    rows.push([r.name, String(r.wallMs.n), fmt(r.wallMs.median), fmt(r.wallMs.p90), fmt(r.wallMs.p99), fmt(r.wallMs.mean),
      fmt(r.cpuMs.median), fmt(r.maxRssKb.max / 1024)]);
  }
  console.log(`\n== ${title}`);
  printRows(rows);
  for (const r of results) if (r.failure) console.log(`  ${r.name} failed: ${r.failure}`);
  for (const r of results) {
    const steps = Object.entries(r.stepMedianWallMs);
    if (steps.length > 1 && !r.failure) console.log(`  ${r.name} step medians (ms): ${steps.map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
  }
  for (const q of ratios) {
    const said = q.target === undefined ? '' : `  target ${q.metric ?? 'wall'} <= ${q.target}x: ${q.met ? 'MET' : 'MISSED'}`;
    console.log(`  ${q.what}: wall ${fmt(q.wallMedian, 2)}x (p99 ${fmt(q.wallP99, 2)}x), cpu ${fmt(q.cpuMedian, 2)}x${said}`);
  }
}

/** Left-aligned first column, right-aligned others. @param {string[][]} rows */
export function printRows(rows) {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  for (const r of rows) {
    console.log(`  ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ')}`);
  }
}
