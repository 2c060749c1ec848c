#!/usr/bin/env node
// The demo's container step, run as an unprivileged user by tools/dev/demo.sh: unpacks the busybox test image's
// layer into a root file system and runs a shell in it, through the lowest ct layer that can do it today:
//   1. @ct/namespaces callWithContainer (Guix's call-with-container: user, mnt, pid, uts, ipc, net namespaces)
//   2. @ct/syscalls spawn (a hand-written child plan: user+mnt+uts+pid namespaces, uid/gid maps written here,
//      bind the rootfs, mount proc, pivot_root, exec)
// A layer that is missing (not built, not exported yet) is passed over; one that fails is reported and the next is
// tried. Exit 0 when a layer ran the container and it exited 0, 1 otherwise.
// (`ct container run`, the layer above these, is tried by demo.sh itself before this script.)
//
// Usage: node tools/dev/demo-container.mjs WORKDIR [namespaces|syscalls]
//   (as the unprivileged user; WORKDIR is writable; naming a layer tries only that one)
// Relies on: user_namespaces(7) (uid_map, gid_map, setgroups), pivot_root(2), tar(1) to unpack the layer.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const LAYOUT = join(REPO, 'test-images', 'build', 'busybox');
const SCRIPT = 'echo "hello from inside a container: uid $(id -u), gid $(id -g), hostname $(hostname), pid $$"; ct-probe caps | grep CapEff';
const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', HOME: '/root' };
const HOSTNAME = 'ct-demo';

/** @param {string} line */
const say = (line) => process.stderr.write(`demo: ${line}\n`);

/**
 * Unpack the busybox image's layers (in order) into `rootfs` with tar. Our own verified unpacker lives in @ct/oci;
 * tar is enough here because the image is ours.
 * @param {string} rootfs
 */
function unpackBusybox(rootfs) {
  rmSync(rootfs, { recursive: true, force: true });
  mkdirSync(rootfs, { recursive: true });
  const blob = (/** @type {string} */ digest) => join(LAYOUT, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
  const index = JSON.parse(readFileSync(join(LAYOUT, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  for (const layer of manifest.layers) {
    const r = spawnSync('tar', ['-xzf', blob(layer.digest), '-C', rootfs, '--no-same-owner'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`unpack busybox: ${layer.digest}: tar exit ${r.status}`);
  }
}

/**
 * Import a workspace package's built entry, or undefined when it is not built.
 * @param {string} pkg folder under packages/
 * @returns {Promise<Record<string, unknown> | undefined>}
 */
async function importBuilt(pkg) {
  const entry = join(REPO, 'packages', pkg, 'dist', 'index.js');
  try {
    return await import(pathToFileURL(entry).href);
  } catch (err) {
    say(`@ct/${pkg}: not usable (${/** @type {Error} */ (err).message.split('\n')[0]})`);
    return undefined;
  }
}

/**
 * Layer 1: @ct/namespaces callWithContainer.
 * @param {string} rootfs
 * @returns {Promise<number|undefined>} the container's exit status, or undefined when the layer is not there
 */
async function viaNamespaces(rootfs) {
  const ns = await importBuilt('namespaces');
  if (typeof ns?.callWithContainer !== 'function') {
    if (ns) say('@ct/namespaces: callWithContainer is not exported yet');
    return undefined;
  }
  say('running through @ct/namespaces callWithContainer');
  return ns.callWithContainer([], { argv: ['/bin/sh', '-c', SCRIPT], env: ENV, cwd: '/' }, {
    root: { kind: 'rootfs', path: rootfs },
    hostname: HOSTNAME,
    writableRoot: true,
  });
}

/**
 * Layer 2: @ct/syscalls spawn with a child plan of our own.
 * @param {string} rootfs
 * @returns {Promise<number|undefined>}
 */
async function viaSyscalls(rootfs) {
  const sys = await importBuilt('syscalls');
  if (typeof sys?.spawn !== 'function') {
    if (sys) say('@ct/syscalls: spawn is not exported yet');
    return undefined;
  }
  say('running through @ct/syscalls spawn');
  const { CLONE, MS } = /** @type {{CLONE: Record<string, number>, MS: Record<string, bigint>}} */ (/** @type {unknown} */ (sys));
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const spawn = /** @type {(plan: unknown) => Promise<any> | any} */ (sys.spawn);
  const child = await spawn({
    namespaces: (CLONE.NEWUSER ?? 0) | (CLONE.NEWNS ?? 0) | (CLONE.NEWUTS ?? 0) | (CLONE.NEWPID ?? 0),
    steps: [
      { op: 'wait', label: 'id-maps' },
      { op: 'propagation', target: '/', flags: (MS.REC ?? 0n) | (MS.PRIVATE ?? 0n) },
      { op: 'mount', source: rootfs, target: rootfs, flags: (MS.BIND ?? 0n) | (MS.REC ?? 0n) },
      // proc before pivot_root: a user namespace may mount proc only while a full proc is visible (the host's)
      { op: 'mount', source: 'proc', target: `${rootfs}/proc`, fstype: 'proc', flags: (MS.NOSUID ?? 0n) | (MS.NODEV ?? 0n) | (MS.NOEXEC ?? 0n) },
      { op: 'sethostname', name: HOSTNAME },
      { op: 'pivotRoot', newRoot: rootfs },
      { op: 'chdir', path: '/' },
      { op: 'exec', path: '/bin/sh', argv: ['sh', '-c', SCRIPT], env: Object.entries(ENV).map(([k, v]) => `${k}=${v}`), search: false },
    ],
    fds: [{ from: 0, to: 0 }, { from: 1, to: 1 }, { from: 2, to: 2 }],
  });
  try {
    const paused = await child.nextEvent();
    if (paused.kind !== 'paused') throw new Error(`spawn: expected the id-maps pause, got ${paused.kind}`);
    // An unprivileged process may map only its own ids, and must deny setgroups before writing gid_map.
    writeFileSync(`/proc/${child.pid}/setgroups`, 'deny');
    writeFileSync(`/proc/${child.pid}/uid_map`, `0 ${uid} 1\n`);
    writeFileSync(`/proc/${child.pid}/gid_map`, `0 ${gid} 1\n`);
    child.release();
    const ev = await child.nextEvent();
    if (ev.kind !== 'exec') throw new Error(`spawn: expected exec, got ${ev.kind}`);
  } catch (err) {
    child.kill?.('SIGKILL');
    throw err;
  }
  return (await child.wait()).status;
}

async function main() {
  const [work, only] = process.argv.slice(2);
  /** @type {Array<[string, (rootfs: string) => Promise<number|undefined>]>} */
  const layers = [['@ct/namespaces', viaNamespaces], ['@ct/syscalls', viaSyscalls]];
  if (!work || (only !== undefined && !layers.some(([name]) => name === `@ct/${only}`))) {
    process.stderr.write('usage: node tools/dev/demo-container.mjs WORKDIR [namespaces|syscalls]\n');
    process.exit(2);
  }
  const rootfs = join(resolve(work), 'rootfs');
  say(`unpacking ${LAYOUT} into ${rootfs}`);
  unpackBusybox(rootfs);
  for (const [name, layer] of layers.filter(([n]) => only === undefined || n === `@ct/${only}`)) {
    try {
      const status = await layer(rootfs);
      if (status === undefined) continue;
      say(`${name}: the container exited with status ${status}`);
      process.exit(status === 0 ? 0 : 1);
    } catch (err) {
      const e = /** @type {Error & {code?: string}} */ (err);
      say(`${name}: failed: ${e.code ? `${e.code}: ` : ''}${e.message}`);
    }
  }
  say('no layer of ct can run a container yet (see above); nothing ran');
  process.exit(1);
}

await main();
