/**
 * Turns one runtime's RunOutcome into the value compared with the other runtime's. Every normalisation the
 * conformance harness makes is here, each for something that must differ between two runs of the same bundle:
 *
 * 1. The container id (each runtime runs its own): replaced by `<id>` in every string (cgroup paths, state,
 *    hook state, mount roots).
 * 2. Host pids (state `pid`, a hook state's `pid`, the probe's own pid and ppid and /proc's list when the pid
 *    namespace is the host's, the outer levels of NSpid): `<pid>`, after checking they are positive integers.
 *    Pids inside a new or joined pid namespace are kept (they are the container's business).
 * 3. Namespace inode numbers: each /proc/self/ns link becomes `host` (the test process's own namespace of that
 *    type), `joined:<label>` (a namespace the case joined by path) or `new<N>` (N numbers distinct unknown
 *    namespaces in key order, so pid and pid_for_children stay related).
 * 4. Mount ids and peer group numbers in mountinfo: a mount's parent becomes the parent's mount point (or
 *    `outside` when the parent is not in the container's view), `shared:12` becomes `shared`, `master:3`
 *    `master`; anonymous device numbers (major 0, given out per superblock) become `0:anon`.
 * 5. Kernel object numbers in descriptor links (`pipe:[123]`, `socket:[45]`): the number becomes `*`.
 * 6. State `created` (a timestamp) becomes `<time>` once it parses as a date; state and hook-state `ociVersion`
 *    becomes `<runtime's spec version>` when it is the spec version the runtime says it implements (the `spec:`
 *    line of `--version`: runc 1.1.5 says 1.0.2-dev, ct 1.2.0); any other value is kept.
 * 7. How many bytes a read of a --path file gave: `0` or `>0` (a masked file reads nothing; what an unmasked
 *    /proc/keys or /proc/timer_list holds changes from one run to the next).
 * 8. The bundle directory (one per case, the same for every runtime of the case): `<bundle>`, so that a case's
 *    differences can be set against the base case's (what a runtime does differently in every case).
 * Everything else is compared as the probe printed it.
 */
import type { RunOutcome } from './lifecycle.js';

/** What the normaliser must know about the run. */
export interface NormaliseContext {
  /** The container id of this run. */
  readonly id: string;
  /** The case's bundle directory (absent: not replaced). */
  readonly bundle?: string;
  /** The test process's own namespace links, by /proc/self/ns name ("pid" → "pid:[4026531836]"). */
  readonly hostNamespaces: Readonly<Record<string, string>>;
  /** Links of namespaces the case joined by path → a label naming them the same way in both runs. */
  readonly joinedNamespaces: Readonly<Record<string, string>>;
  /** The runtime-spec version the runtime says it implements (`--version`'s `spec:` line). */
  readonly specVersion: string;
}

type Json = unknown;
type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Map `value` with `fn` on every string, deeply. */
function mapStrings(value: Json, fn: (s: string) => string): Json {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]));
  return value;
}

const hostPid = (v: unknown): unknown => (Number.isInteger(v) && (v as number) > 0 ? '<pid>' : v);

/** A state document (from `state` or a hook's stdin): normalisations 2 and 6. */
export function normaliseState(state: JsonObject, specVersion: string): JsonObject {
  const out: JsonObject = { ...state };
  if ('pid' in out) out['pid'] = hostPid(out['pid']);
  if (typeof out['created'] === 'string' && !Number.isNaN(Date.parse(out['created']))) out['created'] = '<time>';
  if (out['ociVersion'] === specVersion) out['ociVersion'] = "<runtime's spec version>";
  return out;
}

/** A hook record from `ct-probe hook-record`: its stdin is the state JSON. */
function normaliseHookRecord(record: Json, specVersion: string): Json {
  if (!isObject(record) || typeof record['stdin'] !== 'string') return record;
  let state: Json;
  try {
    state = JSON.parse(record['stdin']) as Json;
  } catch {
    return record; // not JSON: compared as is
  }
  return { ...record, stdin: isObject(state) ? normaliseState(state, specVersion) : state };
}

/** Namespace links → host / joined:<label> / new<N> (normalisation 3). */
function normaliseNamespaces(ns: Json, ctx: NormaliseContext): Json {
  if (!isObject(ns)) return ns;
  const fresh = new Map<string, string>();
  const out: JsonObject = {};
  for (const key of Object.keys(ns).sort()) {
    const link = ns[key];
    if (typeof link !== 'string' || !/^[a-z]+:\[\d+\]$/.test(link)) out[key] = link;
    else if (ctx.hostNamespaces[key] === link) out[key] = 'host';
    else if (ctx.joinedNamespaces[link] !== undefined) out[key] = `joined:${ctx.joinedNamespaces[link]}`;
    else {
      if (!fresh.has(link)) fresh.set(link, `new${fresh.size + 1}`);
      out[key] = fresh.get(link);
    }
  }
  return out;
}

/**
 * mountinfo lines (proc(5)) → the mounts by mount point (normalisation 4), each
 * `FSTYPE SOURCE OPTIONS [SUPEROPTIONS] root=ROOT parent=POINT|outside dev=MAJ:MIN|0:anon prop=...`, a second
 * mount on the same point keyed `POINT (2)`; and the order of the mount points apart, so that a mount made
 * differently and mounts made in another order show as different differences.
 */
export function normaliseMountinfo(lines: Json): { mounts: Json; mountOrder: Json } {
  if (!Array.isArray(lines)) return { mounts: lines, mountOrder: lines };
  const parsed = lines.map((line) => {
    const f = String(line).split(' ');
    const dash = f.indexOf('-');
    return { id: f[0], parent: f[1], dev: f[2] ?? '', root: f[3], point: f[4] ?? '', options: f[5], optional: f.slice(6, dash), fsType: f[dash + 1], source: f[dash + 2], superOptions: f[dash + 3] };
  });
  const mounts: JsonObject = {};
  const mountOrder: string[] = [];
  for (const m of parsed) {
    const parent = parsed.find((p) => p.id === m.parent);
    const dev = m.dev.startsWith('0:') ? '0:anon' : m.dev;
    const prop = m.optional.map((o) => o.replace(/:\d+$/, '')).join(',') || 'private';
    let key = m.point;
    for (let n = 2; key in mounts; n++) key = `${m.point} (${n})`;
    mounts[key] = `${m.fsType} ${m.source} ${m.options} [${m.superOptions}] root=${m.root} parent=${parent === undefined ? 'outside' : parent.point} dev=${dev} prop=${prop}`;
    mountOrder.push(key);
  }
  return { mounts, mountOrder };
}

/** The probe's report → the compared value. */
export function normaliseReport(report: JsonObject, ctx: NormaliseContext): JsonObject {
  const namespaces = normaliseNamespaces(report['namespaces'], ctx);
  const hostPidNs = isObject(namespaces) && namespaces['pid'] === 'host';
  const out: JsonObject = { ...report, namespaces };
  if (hostPidNs) {
    out['pid'] = hostPid(report['pid']);
    out['ppid'] = hostPid(report['ppid']);
    out['processes'] = '<the host pid namespace: not compared>';
    out['pid1Cmdline'] = '<the host init: not compared>';
  } else if (Array.isArray(report['processes'])) {
    out['processes'] = report['processes'].map((p) => (isObject(p) ? `${String(p['pid'])} ${JSON.stringify(p['cmdline'])}` : p));
  }
  const status = report['status'];
  if (isObject(status) && typeof status['NSpid'] === 'string') {
    const levels = status['NSpid'].split(/\s+/);
    out['status'] = { ...status, NSpid: levels.map((p, i) => (i < levels.length - 1 || hostPidNs ? '<pid>' : p)).join(' ') };
  }
  delete out['mountinfo'];
  Object.assign(out, normaliseMountinfo(report['mountinfo']));
  if (Array.isArray(report['devices'])) {
    out['devices'] = Object.fromEntries(report['devices'].filter(isObject).map((d) => [String(d['path']),
      `${String(d['type'])} ${String(d['mode'])} ${String(d['uid'])}:${String(d['gid'])}${d['rdev'] !== undefined ? ` ${String(d['rdev'])}` : ''}${d['link'] !== undefined ? ` -> ${String(d['link'])}` : ''}`]));
  }
  if (Array.isArray(report['cgroup'])) {
    // "4:memory:/path" → {"4:memory": "/path"}: one difference per hierarchy
    out['cgroup'] = Object.fromEntries(report['cgroup'].map((l) => {
      const line = String(l);
      const at = line.indexOf(':', line.indexOf(':') + 1);
      return [line.slice(0, at), line.slice(at + 1)];
    }));
  }
  if (isObject(report['paths'])) {
    out['paths'] = Object.fromEntries(Object.entries(report['paths']).map(([k, v]) => [k,
      isObject(v) && typeof v['bytes'] === 'number' ? { ...v, bytes: v['bytes'] > 0 ? '>0' : 0 } : v]));
  }
  if (isObject(report['fds'])) out['fds'] = mapStrings(report['fds'], (s) => s.replace(/^([a-z_]+):\[\d+\]$/, '$1:[*]'));
  if (isObject(report['files'])) {
    out['files'] = Object.fromEntries(Object.entries(report['files']).map(([k, v]) => {
      if (typeof v !== 'string' || !v.startsWith('{')) return [k, v];
      try {
        return [k, normaliseHookRecord(JSON.parse(v) as Json, ctx.specVersion)];
      } catch {
        return [k, v];
      }
    }));
  }
  return out;
}

/** One runtime's outcome → the value compared with the other's. */
export function normaliseOutcome(outcome: RunOutcome, ctx: NormaliseContext): JsonObject {
  const hooks = Object.fromEntries(Object.entries(outcome.hookRecords).map(([k, r]) => [k, normaliseHookRecord(r, ctx.specVersion)]));
  const value: JsonObject = outcome.create.status !== 0
    ? { create: 'refused', hooks, leftovers: outcome.leftovers }
    : {
        create: 'ok',
        steps: outcome.steps,
        states: Object.fromEntries(Object.entries(outcome.states).map(([k, s]) => [k, normaliseState(s, ctx.specVersion)])),
        report: outcome.report === undefined ? '<no report>' : normaliseReport(outcome.report, ctx),
        otherOutput: outcome.otherOutput,
        hooks,
        leftovers: outcome.leftovers,
      };
  // normalisations 1 and 8, last, so that they reach every string (the id first: it never holds the bundle)
  const bundle = ctx.bundle;
  return mapStrings(value, (s) => {
    const id = s.split(ctx.id).join('<id>');
    return bundle === undefined || bundle === '' ? id : id.split(bundle).join('<bundle>');
  }) as JsonObject;
}
