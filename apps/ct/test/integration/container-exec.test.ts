/**
 * `ct container exec` beside `podman exec` (runtime runc), as root and unprivileged: a program that cannot be run
 * gives podman's exit status (127 not found, 126 not executable) with a plain message naming it, not ct's
 * failure (1) with the launch step; `-u` names and ids resolved in the container as podman's exec resolves them.
 */
import { strict as assert } from 'node:assert';
import { requireFeature } from '@ct/test-utils';
import { useImageSuite } from './container-run-harness.js';
import { podmanRunFlags } from './engine-podman-session.js';
import { PodmanPeer, podmanPresent } from './podman-peer.js';

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(180_000);
    const s = useImageSuite('cexec', rootless);
    let podman: PodmanPeer | undefined;
    let ours = '';
    let theirs = '';
    before(function () {
      requireFeature(this, podmanPresent(), 'podman and runc are not installed');
      podman = new PodmanPeer(s.user);
      podman.pull();
      const p = podman.podman(['run', '-d', ...podmanRunFlags, podman.image, 'sleep', '300']);
      assert.equal(p.status, 0, p.stderr);
      theirs = p.stdout.trim();
      const r = s.run(['-d', 'busybox', 'sleep', '300']);
      assert.equal(r.status, 0, r.stderr);
      ours = r.stdout.trim();
    });
    after(() => {
      if (ours !== '') s.ct.run(['container', 'rm', '-f', ours]);
      podman?.teardown();
    });
    /** `exec [FLAGS] ID ARGS` in ours and in podman's. */
    const both = (args: readonly string[], flags: readonly string[] = []): { ct: ReturnType<typeof s.run>; podman: ReturnType<PodmanPeer['podman']> } => ({
      ct: s.ct.run(['container', 'exec', ...flags, ours, ...args]),
      podman: podman!.podman(['exec', ...flags, theirs, ...args]),
    });

    it('container exec, a program not found exits 127 as podman, the message naming it', () => {
      const r = both(['nosuch']);
      assert.equal(r.podman.status, 127, r.podman.stderr);
      assert.equal(r.ct.status, 127, r.ct.stderr);
      assert.equal(r.ct.stderr, 'Error: exec: nosuch: No such file or directory\n');
    });
    it('container exec, a path not found exits 127 as podman', () => {
      const r = both(['/nonexistent/prog']);
      assert.equal(r.ct.status, r.podman.status, r.ct.stderr);
      assert.equal(r.ct.status, 127);
    });
    it('container exec, a file that is not executable exits 126 as podman', () => {
      const r = both(['/etc/passwd']);
      assert.equal(r.podman.status, 126, r.podman.stderr);
      assert.equal(r.ct.status, 126, r.ct.stderr);
      assert.equal(r.ct.stderr, 'Error: exec: /etc/passwd: Permission denied\n');
    });
    it('container exec -e, a value as long as execve(2) takes (MAX_ARG_STRLEN) reaches the process, as with podman', () => {
      const value = 'v'.repeat(32 * 4096 - 1 - 2);
      const r = both(['sh', '-c', 'echo ${#X}'], ['-e', `X=${value}`]);
      assert.equal(r.podman.stdout, `${value.length}\n`, r.podman.stderr);
      assert.equal(r.ct.stdout, `${value.length}\n`, r.ct.stderr);
    });
    for (const user of ['1000', 'user', 'user:users', '1000:100', '0', '1234']) {
      it(`container exec -u ${user}, the ids, groups and HOME podman's exec gives`, () => {
        const r = both(['sh', '-c', 'id; echo HOME=$HOME'], ['-u', user]);
        assert.equal(r.podman.status, 0, r.podman.stderr);
        assert.equal(r.ct.stdout, r.podman.stdout, r.ct.stderr);
      });
    }
    it('container exec -u, a name the container does not have: 126 as podman run gives, the name given', () => {
      const r = both(['true'], ['-u', 'nosuchuser']);
      // a documented difference: podman 4.3's exec exits 255 here (its run 126); ct says 126 for both
      assert.equal(r.podman.status, 255);
      assert.equal(r.ct.status, 126);
      assert.match(r.ct.stderr, /"nosuchuser": no such user/);
    });
    it('container exec, the command\'s own exit status is passed on as podman does', () => {
      const r = both(['sh', '-c', 'exit 3']);
      assert.equal(r.podman.status, 3);
      assert.equal(r.ct.status, 3);
    });
  });
}

defineSuite('ct container exec beside podman @root', false);
defineSuite('ct container exec beside podman unprivileged @rootless', true);
