/**
 * `ct image tag`, `ct image save` and `ct image import -` beside podman (issue 26), as root and unprivileged: an
 * image ct saves (docker-archive and oci-archive) is loaded by podman and runs there as the image podman pulled
 * (the same files, owners and modes, config, names); tag gives the image
 * more names and moves a name another image holds, as podman tag (ct names a short name as Docker Hub's,
 * `docker.io/library/NAME`, where podman says `localhost/NAME`: image-names.ts); an archive podman saves
 * (docker-archive and oci-archive) imported from stdin is the image podman has (the same config digest, podman's
 * image id) under the name the archive gives; stdin is read only when told `-`, and an unnamed archive asks for a
 * name.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { requireFeature } from '@ct/test-utils';
import { useImageSuite } from './container-run-harness.js';
import { podmanRunFlags } from './engine-podman-session.js';
import { PodmanPeer, podmanPresent } from './podman-peer.js';
import { ctBin } from './runtime-harness.js';

interface Record { names: string[]; digest: string; configDigest: string }

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(300_000);
    const s = useImageSuite('imgtag', rootless);
    let podman: PodmanPeer | undefined;
    let shared = '';
    /** `ct image ARGS --storage-root STORE` as the suite's user, `input` on its stdin. */
    const image = (args: readonly string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } => {
      const full = [process.execPath, ctBin, 'image', ...args, '--storage-root', s.store];
      const cmd = s.user === undefined ? full : ['runuser', '-u', 'ctci', '--', 'env', `XDG_RUNTIME_DIR=${s.user.runtimeDir}`, 'HOME=/tmp', ...full];
      const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', cwd: '/', timeout: 120_000, ...(input !== undefined ? { input } : {}) });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    /** The busybox image's digest in ct's store. */
    const busyboxName = (): string => records().find((r) => r.names.includes('docker.io/library/busybox:latest'))!.digest;
    const records = (): Record[] => JSON.parse(image(['ls', '--json']).stdout) as Record[];
    const podmanNames = (id: string): string[] => {
      const r = podman!.podman(['image', 'inspect', '--format', '{{json .RepoTags}}', id]);
      assert.equal(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout) as string[]).sort();
    };
    before(function () {
      requireFeature(this, podmanPresent(), 'podman and runc are not installed');
      podman = new PodmanPeer(s.user);
      podman.pull();
      shared = mkdtempSync('/tmp/ct-imgtag-');
      chmodSync(shared, 0o777);
    });
    after(() => {
      podman?.teardown();
      if (shared !== '') rmSync(shared, { recursive: true, force: true });
    });

    it('image tag: the image gets each new name, as podman tag (short names as Docker Hub\'s where podman says localhost/)', () => {
      const theirs = podman!.podman(['tag', podman!.image, 'mybox:v1', 'quay.io/x/other:2']);
      assert.equal(theirs.status, 0, theirs.stderr);
      const ours = image(['tag', 'busybox', 'mybox:v1', 'quay.io/x/other:2']);
      assert.equal(ours.status, 0, ours.stderr);
      assert.equal(ours.stdout, theirs.stdout, 'both print nothing');
      const mine = records().find((r) => r.names.includes('docker.io/library/mybox:v1'));
      assert.ok(mine !== undefined, JSON.stringify(records()));
      const asPodman = mine.names.filter((n) => n !== 'docker.io/library/busybox:latest').map((n) => n.replace(/^docker\.io\/library\//, 'localhost/')).sort();
      assert.deepEqual(asPodman, podmanNames(podman!.image).filter((n) => !n.includes('busybox')));
      assert.equal(mine.configDigest, `sha256:${podman!.image}`, 'the image podman tagged (its id is the config digest)');
    });

    for (const format of ['docker-archive', 'oci-archive'] as const) {
      it(`image import - of podman save --format ${format}: the image podman has (its config digest), named as the archive names it`, () => {
        const file = join(shared, `${format}-${process.pid}.tar`);
        const saved = podman!.podman(['save', '--format', format, '-o', file, 'quay.io/x/other:2']);
        assert.equal(saved.status, 0, saved.stderr);
        chmodSync(file, 0o644);
        const ours = image(['import', '-', '--name', `fromstdin-${format}:1`, '--json'], readFileSync(file));
        assert.equal(ours.status, 0, ours.stderr);
        const rec = (JSON.parse(ours.stdout) as { image: Record }).image;
        const id = podman!.podman(['image', 'inspect', '--format', '{{.Id}}', 'quay.io/x/other:2']).stdout.trim();
        assert.equal(rec.configDigest, `sha256:${id}`);
        assert.deepEqual(rec.names, [`docker.io/library/fromstdin-${format}:1`]);
        if (format === 'docker-archive') {
          // without --name: the name the archive gives (RepoTags), added to the same image's names
          const named = image(['import', '-', '--json'], readFileSync(file));
          assert.equal(named.status, 0, named.stderr);
          assert.deepEqual((JSON.parse(named.stdout) as { image: Record }).image.names.sort(), [`docker.io/library/fromstdin-${format}:1`, 'quay.io/x/other:2']);
        }
        rmSync(file, { force: true });
      });
    }

    it('image tag: a name another image holds moves to this one, as podman; a missing image and a bad name fail naming them', () => {
      // the image imported from podman's docker-archive above is another record (its manifest differs)
      const ours = image(['tag', 'fromstdin-docker-archive:1', 'mybox:v1']);
      assert.equal(ours.status, 0, ours.stderr);
      const holders = records().filter((r) => r.names.includes('docker.io/library/mybox:v1'));
      assert.equal(holders.length, 1);
      assert.ok(holders[0]!.names.includes('docker.io/library/fromstdin-docker-archive:1'));
      const bad = image(['tag', 'nosuchimage', 'x:1']);
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /^Error: .*nosuchimage: no such image/m);
      assert.equal(podman!.podman(['tag', 'nosuchimage', 'x:1']).status, 125, 'podman fails too');
      const badName = image(['tag', 'busybox', 'Bad Name']);
      assert.equal(badName.status, 1);
      assert.match(badName.stderr, /"Bad Name"/);
      assert.equal(podman!.podman(['tag', podman!.image, 'Bad Name']).status, 125, 'podman refuses it too');
    });

    for (const format of ['docker-archive', 'oci-archive'] as const) {
      it(`image save --format ${format}: podman loads it, and it runs there as the image podman pulled (files, owners, config)`, () => {
        const file = join(shared, `ctsave-${format}-${process.pid}.tar`);
        const saved = image(['save', '--format', format, '--json', busyboxName(), '-o', file]);
        assert.equal(saved.status, 0, saved.stderr);
        const result = JSON.parse(saved.stdout) as { format: string; configDigest: string; diffIds: string[] };
        assert.equal(result.format, format);
        const loaded = podman!.podman(['load', '-q', '-i', file]);
        assert.equal(loaded.status, 0, loaded.stderr);
                const id = podman!.podman(['image', 'inspect', '--format', '{{.Id}}', 'docker.io/library/busybox:latest']).stdout.trim();
        assert.equal(`sha256:${id}`, result.configDigest, 'podman has the config ct wrote');
        // /etc/hosts, hostname and resolv.conf are each container's own: the image's /etc by its other files
        const probe = ['sh', '-c', 'ls -lnR --full-time /bin /home /root /usr /var /tmp | md5sum; cat /etc/passwd /etc/group | md5sum; id; echo $PATH'];
        const ours = podman!.podman(['run', '--rm', ...podmanRunFlags, id, ...probe]);
        const theirs = podman!.podman(['run', '--rm', ...podmanRunFlags, podman!.image, ...probe]);
        assert.equal(ours.status, 0, ours.stderr);
        assert.equal(ours.stdout, theirs.stdout);
        const cfg = (ref: string): string => podman!.podman(['image', 'inspect', '--format', '{{json .Config}}', ref]).stdout;
        assert.equal(cfg(id), cfg(podman!.image));
        podman!.podman(['rmi', '-f', id]);
        rmSync(file, { force: true });
      });
    }

    it('image save: back into ct\'s store it runs as the image it was saved from; --json without -o is refused (the archive would share stdout)', () => {
      const file = join(shared, `ctsave-rt-${process.pid}.tar`);
      assert.equal(image(['save', busyboxName(), '-o', file]).status, 0);
      const back = image(['import', file, '--name', `roundtrip-${process.pid}:1`]);
      assert.equal(back.status, 0, back.stderr);
      const probe = ['sh', '-c', 'ls -lnR --full-time /bin /home /root /usr /var /tmp | md5sum; cat /etc/passwd /etc/group | md5sum'];
      const a = s.run(['--rm', `roundtrip-${process.pid}:1`, ...probe]);
      const b = s.run(['--rm', 'busybox', ...probe]);
      assert.equal(a.status, 0, a.stderr);
      assert.equal(a.stdout, b.stdout);
      const noFile = image(['save', '--json', 'busybox']);
      assert.equal(noFile.status, 1);
      assert.match(noFile.stderr, /--json .* -o/);
      rmSync(file, { force: true });
    });

    it('image import: stdin is read only for -, and an archive that names no image asks for --name', () => {
      const file = join(shared, `unnamed-${process.pid}.tar`);
      const saved = podman!.podman(['save', '--format', 'oci-archive', '-o', file, podman!.image]);
      assert.equal(saved.status, 0, saved.stderr);
      chmodSync(file, 0o644);
      const unnamed = image(['import', '-'], readFileSync(file));
      assert.equal(unnamed.status, 1);
      assert.match(unnamed.stderr, /give one \(--name\)/);
      // no argument: a usage error, stdin left alone (oclif would otherwise read it as the argument)
      const none = image(['import'], Buffer.from(file));
      assert.equal(none.status, 2);
      assert.match(none.stderr, /Missing 1 required arg/);
      rmSync(file, { force: true });
    });
  });
}

defineSuite('image tag and import -, as podman @root', false);
defineSuite('image tag and import -, as podman, unprivileged @rootless', true);
