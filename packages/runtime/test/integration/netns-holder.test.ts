/**
 * netns-holder.ts: network namespaces held in ct's own private mount directory (issue 24). In ip-netns(8)'s
 * /run/netns (a shared mount) an unmount of a holder's path in a peer mount namespace (unshare -m --propagation
 * unchanged, other runtimes' set-up) unmounted ct's holder on the host, and the bridge's DEL then failed on a plain
 * file. Real mounts, CNI plugins and iptables: root only.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { attachBridge, detachBridge } from '../../src/network/bridge-cni.js';
import {
  holderDirReady, holdNetns, mountPropagation, netnsHolderPath, releaseNetns, LEGACY_NETNS_DIR, NETNS_DIR,
} from '../../src/network/netns-holder.js';
import type { CniRecord } from '../../src/network/network-record.js';
import { randomHex } from '../../src/random-hex.js';

const asRoot = process.getuid?.() === 0;

/** How many mounts of this namespace sit on `path`. */
function mountsOn(path: string): number {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === path).length;
}

/** A process in a network namespace of its own (a container's init, for the holder). */
async function processInNewNetns(): Promise<ChildProcess & { pid: number }> {
  const child = spawn('unshare', ['-n', 'sleep', '120'], { stdio: 'ignore' });
  const own = readlinkSync('/proc/self/ns/net');
  for (let i = 0; i < 200; i++) {
    try {
      if (child.pid !== undefined && readlinkSync(`/proc/${child.pid}/ns/net`) !== own) return child as ChildProcess & { pid: number };
    } catch {
      // not started yet
    }
    await sleep(10);
  }
  child.kill('SIGKILL');
  throw new Error('unshare -n: no new network namespace within 2 s');
}

if (asRoot) {
  describe('network, netns holders in a private directory @root', function () {
    const made: string[] = [];
    const procs: ChildProcess[] = [];
    const attached: { cni: CniRecord; holder: string }[] = [];
    after(async () => {
      for (const p of procs) p.kill('SIGKILL');
      // a failed case's attachment: its lease and rules would otherwise stay on the host
      for (const a of attached) await detachBridge(a.cni, a.holder, []).catch(() => undefined);
      for (const path of made.reverse()) {
        spawnSync('umount', ['-l', path]);
        rmSync(path, { recursive: true, force: true });
      }
    });

    it('holderDirReady, two calls at once bind the directory once and make it private; a third changes nothing', async () => {
      const parent = mkdtempSync(join(tmpdir(), 'ct-netns-dir-'));
      const dir = join(parent, 'holders');
      made.push(parent, dir);
      await Promise.all([holderDirReady(dir), holderDirReady(dir)]);
      assert.equal(mountsOn(dir), 1);
      assert.equal(mountPropagation(dir), 'private');
      await holderDirReady(dir);
      assert.equal(mountsOn(dir), 1);
    });

    it('holdNetns, an unmount of the holder\'s path in a peer mount namespace leaves it held; the bridge DEL then undoes the rules', async () => {
      const init = await processInNewNetns();
      procs.push(init);
      const name = `ct-test-${randomHex(6)}`;
      const holder = netnsHolderPath(name);
      made.push(holder);
      assert.equal(holder.startsWith(`${NETNS_DIR}/`), true);
      await holdNetns(init.pid, holder);
      let cni: CniRecord = { containerId: name, results: [] };
      await attachBridge(holder, [], name, (c) => { cni = c; });
      attached.push({ cni, holder });
      init.kill('SIGKILL'); // the container is gone: only the holder keeps its namespace
      // what another program's set-up does: a mount namespace cloned from the host, an unmount in it
      const peer = spawnSync('unshare', ['-m', '--propagation', 'unchanged', 'umount', holder], { encoding: 'utf8' });
      assert.equal(peer.status, 0, peer.stderr);
      assert.equal(mountPropagation(holder), 'private', 'the holder was unmounted on the host');
      await detachBridge(cni, holder, []);
      attached.pop();
      const nat = spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).stdout;
      assert.equal(nat.includes(name), false, 'nat rules of the container are left');
      const leases = '/var/lib/cni/networks/ct';
      const leased = readdirSync(leases).filter((f) => /^\d/.test(f) && readFileSync(join(leases, f), 'utf8').includes(name));
      assert.deepEqual(leased, []);
      await releaseNetns(holder);
      assert.equal(existsSync(holder), false);
    });

    it('releaseNetns, a holder an older ct left in /run/netns is unmounted and removed', async () => {
      const init = await processInNewNetns();
      procs.push(init);
      const holder = netnsHolderPath(`ct-test-${randomHex(6)}`, LEGACY_NETNS_DIR);
      made.push(holder);
      // as older versions made it (their directory is ip-netns's, left as it is)
      mkdirSync(LEGACY_NETNS_DIR, { recursive: true, mode: 0o755 });
      writeFileSync(holder, '');
      assert.equal(spawnSync('mount', ['--bind', `/proc/${init.pid}/ns/net`, holder]).status, 0);
      assert.notEqual(mountPropagation(holder), undefined);
      await releaseNetns(holder);
      assert.equal(mountPropagation(holder), undefined);
      assert.equal(existsSync(holder), false);
    });
  });
}
