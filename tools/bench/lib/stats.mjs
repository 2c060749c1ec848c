// Summary statistics of a sample (nearest-rank percentiles: with 30 runs p99 is the maximum, said so in reports).

/**
 * @typedef {object} Summary
 * @property {number} n
 * @property {number} median
 * @property {number} p90
 * @property {number} p99
 * @property {number} mean
 * @property {number} min
 * @property {number} max
 */

/**
 * The p-th percentile (0..100) of sorted values, nearest rank.
 * @param {readonly number[]} sorted ascending
 * @param {number} p
 */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

/**
 * @param {readonly number[]} values
 * @returns {Summary}
 */
export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = n === 0 ? Number.NaN : sorted.reduce((a, b) => a + b, 0) / n;
  const median = n === 0 ? Number.NaN : n % 2 === 1
    ? sorted[(n - 1) / 2] ?? Number.NaN
    : ((sorted[n / 2 - 1] ?? 0) + (sorted[n / 2] ?? 0)) / 2;
  return {
    n, median, p90: percentile(sorted, 90), p99: percentile(sorted, 99), mean,
    min: sorted[0] ?? Number.NaN, max: sorted[n - 1] ?? Number.NaN,
  };
}

/**
 * a / b, or NaN when either is not a positive finite number.
 * @param {number} a
 * @param {number} b
 */
export function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN;
}
