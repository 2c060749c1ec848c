/**
 * Crash points as a tested property (issue 24): `ct image import` and `ct pull` are stopped at each of @ct/oci's
 * named step boundaries (CT_TEST_STOP_AT: internal/stop-point.ts; the process, or the unpack worker when
 * unprivileged, stops itself with SIGSTOP) and SIGKILLed there. Then: the store loads, no layer directory is
 * ever there without its completion record, an image the store lists runs as it is (`ct container run`),
 * `ct image prune` leaves no staging dir, download or unused layer behind, and the same command run again
 * succeeds and its image runs. The image is busybox plus a second layer, served for pulls by a Node registry on
 * loopback. Runs as root and unprivileged (then the unpack stops inside the user-namespace worker).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, requireFeature, testImage } from '@ct/test-utils';
import { STOP_POINTS, type StopPointName } from '../../src/internal/stop-point.js';
import { listImages, removeTree, storeLeftovers } from '../../src/index.js';
import { startFakeRegistry, type FakeRegistry } from '../fixtures/registry/fake-registry.js';
import { imagesLib, tempDir } from '../helpers/fixtures.js';

const ctBin = join(repoRoot(), 'apps/ct/bin/ct.js');
const IMPORT_POINTS = STOP_POINTS.filter((p) => !p.startsWith('pull:'));

/** The process ids of `pid` and its descendants (from /proc/PID/stat's ppid field). */
function tree(pid: number): Array<{ pid: number; state: string }> {
  const procs: Array<{ pid: number; ppid: number; state: string }> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.push({ pid: Number(name), ppid: Number(ppid), state: state! });
    } catch {
      // gone meanwhile
    }
  }
  const out: Array<{ pid: number; state: string }> = [];
  const add = (p: number): void => {
    const me = procs.find((x) => x.pid === p);
    if (me !== undefined) out.push({ pid: p, state: me.state });
    for (const child of procs.filter((x) => x.ppid === p)) add(child.pid);
  };
  add(pid);
  return out;
}

/** Run `ct ARGS` with CT_TEST_STOP_AT=`point`; once a process of its tree stops there, SIGKILL them all. */
async function killAt(args: readonly string[], point: StopPointName): Promise<void> {
  const child = spawn(process.execPath, [ctBin, ...args], { env: { ...process.env, CT_TEST_STOP_AT: point }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => { done = true; });
  for (const start = Date.now(); ; await new Promise((r) => setTimeout(r, 20))) {
    if (done) assert.fail(`ct ${args.join(' ')} ended (status ${await exited}) without reaching ${point}: ${stderr}`);
    const procs = tree(child.pid!);
    if (procs.some((p) => p.state === 'T')) {
      for (const p of procs.reverse()) {
        try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
      }
      break;
    }
    if (Date.now() - start > 90_000) { child.kill('SIGKILL'); assert.fail(`ct ${args.join(' ')}: ${point} not reached in 90 s`); }
  }
  await exited;
}

describe('crash points: ct image import and ct pull killed at each step @rootless', function () {
  this.timeout(600_000);
  let tmp: ReturnType<typeof tempDir>;
  let layout: string;
  let reg: FakeRegistry | undefined;
  let n = 0;

  before(async function () {
    requireFeature(this, existsSync(join(testImage('busybox'), 'index.json')), 'tools/images has not built the busybox image');
    requireFeature(this, existsSync(ctBin), 'apps/ct is not built');
    const lib = await imagesLib();
    tmp = tempDir('ct-crash-');
    const bb = testImage('busybox');
    const index = JSON.parse(readFileSync(join(bb, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    const blob = (d: string): Buffer => readFileSync(join(bb, 'blobs', 'sha256', d.slice(7)));
    const manifest = JSON.parse(blob(index.manifests[0]!.digest).toString()) as { config: { digest: string }; layers: { digest: string; size: number; mediaType: string }[] };
    const config = JSON.parse(blob(manifest.config.digest).toString()) as { config: Record<string, unknown>; rootfs: { diff_ids: string[] } };
    const base = manifest.layers[0]!;
    const top = lib.createLayer([{ type: 'dir', path: 'srv' }, { type: 'file', path: 'srv/ct-fault', content: 'crash-safe\n' }]);
    layout = join(tmp.dir, 'image');
    lib.writeImage(layout, {
      layers: [{ blob: blob(base.digest), mediaType: base.mediaType, digest: base.digest, diffId: config.rootfs.diff_ids[0]!, size: base.size }, top],
      refName: 'latest', config: { Cmd: ['sh'], Env: config.config['Env'] },
    });
    reg = await startFakeRegistry(layout);
  });
  after(async () => {
    await reg?.close();
    if (tmp !== undefined) await removeTree(tmp.dir);
  });

  /** A fresh store and state root for one case. */
  function dirs(): { store: string; state: string } {
    const d = join(tmp.dir, `case${++n}`);
    mkdirSync(d);
    return { store: join(d, 'store'), state: join(d, 'state') };
  }

  /** `ct ARGS` (asynchronously: the registry it may pull from runs in this process). */
  async function ct(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [ctBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const status = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    clearTimeout(timer);
    return { status, stdout, stderr };
  }

  /** `ct container run --rm IMAGE cat /srv/ct-fault` prints the layer's file. */
  async function assertRuns(store: string, state: string, image: string): Promise<void> {
    const r = await ct(['--root', state, 'container', 'run', '--rm', '--storage-root', store, image, 'cat', '/srv/ct-fault']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'crash-safe\n');
  }

  /** What must hold right after a kill, after the prune, and after the command is run again. */
  async function checkAfterKill(store: string, state: string, image: string, again: readonly string[]): Promise<void> {
    // the store loads; a listed image has all its layers and runs
    const listed = await listImages({ storageRoot: store });
    const layers = existsSync(join(store, 'layers')) ? readdirSync(join(store, 'layers')) : [];
    for (const l of layers) assert.ok(existsSync(join(store, 'layers', l, 'layer.json')), `layer ${l} is there without its completion record`);
    if (listed.some((i) => i.names.includes(image))) await assertRuns(store, state, image);
    // prune takes every leftover (and the layers of no image)
    const pruned = await ct(['image', 'prune', '--storage-root', store]);
    assert.equal(pruned.status, 0, pruned.stderr);
    assert.deepEqual(await storeLeftovers({ storageRoot: store }), { staging: [], downloads: [], bytes: 0 });
    assert.deepEqual(readdirSync(join(store, 'tmp')), [], 'nothing in tmp/');
    const kept = new Set((await listImages({ storageRoot: store })).flatMap((i) => i.layers.map((l) => l.slice(7))));
    assert.deepEqual(readdirSync(join(store, 'layers')).filter((l) => !kept.has(l)), [], 'no layer of no image');
    // the command again, then the image runs
    const r = await ct(again);
    assert.equal(r.status, 0, r.stderr);
    await assertRuns(store, state, image);
  }

  for (const point of IMPORT_POINTS) {
    it(`ct image import killed at ${point}: the store loads, prune clears it, a new import runs`, async () => {
      const { store, state } = dirs();
      const args = ['image', 'import', layout, '--name', 'crash:v1', '--storage-root', store];
      await killAt(args, point);
      await checkAfterKill(store, state, 'docker.io/library/crash:v1', args);
    });
  }

  for (const point of STOP_POINTS) {
    it(`ct pull killed at ${point}: the store loads, prune clears it, a new pull runs`, async () => {
      const { store, state } = dirs();
      const args = ['pull', `${reg!.host}/crash:latest`, '--storage-root', store];
      await killAt(args, point);
      await checkAfterKill(store, state, `${reg!.host}/crash:latest`, args);
    });
  }

  it('crash points, the stop points are the names the code has (none unreached by the cases above)', () => {
    const src = join(repoRoot(), 'packages/oci/src');
    const used = new Set<string>();
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else for (const m of readFileSync(join(d, e.name), 'utf8').matchAll(/stopPoint\('([^']+)'\)/g)) used.add(m[1]!);
      }
    };
    walk(src);
    assert.deepEqual([...used].sort(), [...STOP_POINTS].sort());
  });
});
