// The measuring loop: every peer runs the same number of times, interleaved round-robin (with the starting peer
// rotated each round) so that load from other work on a shared machine falls on all of them alike. Warm-up rounds
// are run and thrown away. A peer whose command fails is dropped from the rest of the run with the failure kept.

import { runSequence } from './runstat.mjs';
import { summarize } from './stats.mjs';

/**
 * @typedef {object} Peer
 * @property {string} name
 * @property {(i: number) => (readonly string[])[]} commands the timed sequence of iteration i (unique ids per i)
 * @property {string} [cwd]
 * @property {NodeJS.ProcessEnv} [env]
 * @property {(i: number) => void} [before] untimed preparation
 * @property {(i: number) => void} [onFailure] untimed cleanup after a failed sequence (delete what it left)
 */

/**
 * @typedef {object} PeerResult
 * @property {string} name
 * @property {import('./stats.mjs').Summary} wallMs whole sequence
 * @property {import('./stats.mjs').Summary} cpuMs whole sequence, user + system
 * @property {import('./stats.mjs').Summary} maxRssKb largest step's peak RSS
 * @property {Record<string, number>} stepMedianWallMs per step (named by its first two words)
 * @property {string} [failure] why the peer was dropped
 */

/**
 * @param {readonly Peer[]} peers
 * @param {{runs: number, warmup: number, label: string, progress: import('./progress.mjs').Progress}} options
 * @returns {PeerResult[]}
 */
export function measurePeers(peers, options) {
  /** @type {Map<string, {wall: number[], cpu: number[], rss: number[], steps: Map<string, number[]>, failure?: string}>} */
  const data = new Map(peers.map((p) => [p.name, { wall: [], cpu: [], rss: [], steps: new Map() }]));
  const total = options.warmup + options.runs;
  for (let round = 0; round < total; round++) {
    for (let k = 0; k < peers.length; k++) {
      const peer = /** @type {Peer} */ (peers[(round + k) % peers.length]);
      const d = /** @type {NonNullable<ReturnType<typeof data.get>>} */ (data.get(peer.name));
      if (d.failure !== undefined) continue;
      const phase = round < options.warmup ? `warm-up ${round + 1}/${options.warmup}` : `run ${round - options.warmup + 1}/${options.runs}`;
      options.progress.update(`${options.label}: ${phase} ${peer.name}`);
      const i = round;
      peer.before?.(i);
      const commands = peer.commands(i);
      const r = runSequence(commands, { ...(peer.cwd ? { cwd: peer.cwd } : {}), ...(peer.env ? { env: peer.env } : {}) });
      if (!r.ok) {
        peer.onFailure?.(i);
        const at = r.steps.length - 1;
        d.failure = `${(commands[at] ?? []).join(' ')}: exit ${r.steps[at]?.status}: ${errorLines(r.stderr)}`;
        options.progress.note(`${options.label}: ${peer.name} dropped: ${d.failure}`);
        continue;
      }
      if (round < options.warmup) continue;
      d.wall.push(r.steps.reduce((a, s) => a + s.wallMs, 0));
      d.cpu.push(r.steps.reduce((a, s) => a + s.cpuMs, 0));
      d.rss.push(Math.max(...r.steps.map((s) => s.maxRssKb)));
      const names = stepNames(commands);
      r.steps.forEach((s, j) => {
        const key = names[j] ?? '?';
        d.steps.set(key, [...(d.steps.get(key) ?? []), s.wallMs]);
      });
    }
  }
  options.progress.clear();
  return peers.map((p) => {
    const d = /** @type {NonNullable<ReturnType<typeof data.get>>} */ (data.get(p.name));
    return {
      name: p.name,
      wallMs: summarize(d.wall),
      cpuMs: summarize(d.cpu),
      maxRssKb: summarize(d.rss),
      stepMedianWallMs: Object.fromEntries([...d.steps].map(([k, v]) => [k, summarize(v).median])),
      ...(d.failure !== undefined ? { failure: d.failure } : {}),
    };
  });
}

/**
 * A name per command: the first argument that is a known verb ("create", "start", ...), else the program's name;
 * repeated names get "#2", "#3" (three `tar -xzf` of three layers stay apart).
 * @param {readonly (readonly string[])[]} commands
 */
function stepNames(commands) {
  const verbs = ['create', 'start', 'state', 'delete', 'run', 'kill', 'unpack'];
  /** @type {Map<string, number>} */
  const seen = new Map();
  return commands.map((argv) => {
    const base = argv.find((a) => verbs.includes(a)) ?? (argv[0] ?? '?').split('/').pop() ?? '?';
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}

/** The lines of a failed command's stderr that say what went wrong (a Node stack's Error line, else the last ones). @param {string} stderr */
function errorLines(stderr) {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('at '));
  const errors = lines.filter((l) => /error|denied|refuse|fail/i.test(l));
  return (errors.length > 0 ? errors.slice(0, 2) : lines.slice(-3)).join(' | ');
}
