/**
 * `ct container cp` beside `podman cp` (issue 26), as root and unprivileged, the container running and stopped:
 * the same copies into and out of a container of each, then the trees compared (names, types, modes, owners,
 * sizes as the container's `ls -lnR` shows them, and as the host's does for what came out), the exit status and
 * the path named of refused copies, the owner of what goes into a container whose user is not root, and symlinks
 * of the container that point out of it (absolute, and `..` climbing) resolved inside its root.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTree } from '@ct/oci';
import { isRoot, requireFeature } from '@ct/test-utils';
import { useImageSuite, type ImageSuite } from './container-run-harness.js';
import { podmanRunFlags } from './engine-podman-session.js';
import { PodmanPeer, podmanPresent } from './podman-peer.js';

interface Engine {
  readonly name: string;
  /** `cp ARGS` of this engine. */
  cp(args: readonly string[]): { status: number | null; stdout: string; stderr: string };
  /** `exec ID ARGV` of this engine (stdout). */
  exec(id: string, argv: readonly string[]): string;
  /** Start container `id` running `sleep 600` (as `user` when given). */
  start(id: string, user?: string): void;
  /** Stop it (it stays). */
  stop(id: string): void;
  /** Start a stopped one again. */
  restart(id: string): void;
  remove(id: string): void;
}

function ctEngine(s: ImageSuite): Engine {
  const ok = (r: { status: number | null; stderr: string }, what: string): void => assert.equal(r.status, 0, `ct ${what}: ${r.stderr}`);
  return {
    name: 'ct',
    cp: (args) => s.ct.run(['container', 'cp', ...args]),
    exec: (id, argv) => {
      const r = s.ct.run(['container', 'exec', id, ...argv]);
      ok(r, 'exec');
      return r.stdout;
    },
    start: (id, user) => ok(s.run(['-d', '--keep', '--name', id, ...(user !== undefined ? ['-u', user] : []), 'busybox', 'sleep', '600']), 'run'),
    stop: (id) => ok(s.ct.run(['container', 'stop', '-t', '0', id]), 'stop'),
    restart: (id) => ok(s.ct.run(['container', 'start', id]), 'start'),
    remove: (id) => { s.ct.run(['container', 'rm', '-f', id]); },
  };
}

function podmanEngine(p: PodmanPeer): Engine {
  const ok = (r: { status: number | null; stderr: string }, what: string): void => assert.equal(r.status, 0, `podman ${what}: ${r.stderr}`);
  return {
    name: 'podman',
    cp: (args) => p.podman(['cp', ...args]),
    exec: (id, argv) => {
      const r = p.podman(['exec', id, ...argv]);
      ok(r, 'exec');
      return r.stdout;
    },
    start: (id, user) => ok(p.podman(['run', '-d', ...podmanRunFlags, '--name', id, ...(user !== undefined ? ['-u', user] : []), p.image, 'sleep', '600']), 'run'),
    stop: (id) => ok(p.podman(['stop', '-t', '0', id]), 'stop'),
    restart: (id) => ok(p.podman(['start', id]), 'start'),
    remove: (id) => { p.podman(['rm', '-f', '-t', '0', id]); },
  };
}

/** `ls -lnR` lines reduced to what a copy decides: mode, owner, size (of files), name (and a link's target). */
function tree(ls: string): string {
  return ls.split('\n').map((line) => {
    const f = line.trim().split(/\s+/);
    if (f.length < 9 || !/^[-dlcbps]/.test(f[0]!)) return line.startsWith('total') ? '' : line;
    const size = f[0]!.startsWith('d') ? '' : f[4];
    return [f[0], f[2], f[3], size, ...f.slice(8)].join(' ');
  }).filter((l) => l !== '').join('\n');
}

/** The host's `ls -lnR DIR`, as tree(). */
function hostTree(dir: string): string {
  const r = spawnSync('ls', ['-lnR', '--time-style=+%s', dir], { encoding: 'utf8' });
  return tree(r.stdout.replaceAll(dir, 'DIR').split('\n').map((l) => l.replace(/^(\S+\s+\d+\s+\d+\s+\d+\s+\d+)\s+\d+/, '$1 - - -')).join('\n'));
}

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(600_000);
    const s = useImageSuite('cp', rootless);
    let podman: PodmanPeer | undefined;
    let shared = '';
    const engines = (): Engine[] => [ctEngine(s), podmanEngine(podman!)];
    /** A host dir of the suite's user (the unprivileged one writes there too). */
    const userDir = (name: string): string => {
      const d = join(shared, name);
      mkdirSync(d, { recursive: true });
      if (s.user !== undefined) chownSync(d, s.user.uid, s.user.gid);
      return d;
    };
    before(function () {
      requireFeature(this, podmanPresent(), 'podman and runc are not installed');
      podman = new PodmanPeer(s.user);
      podman.pull();
      shared = mkdtempSync('/tmp/ct-cp-');
      chmodSync(shared, 0o755);
      // the source tree: modes of each kind, a relative symlink, a subdirectory, fixed times
      const src = join(shared, 'src');
      mkdirSync(join(src, 'd', 'sub'), { recursive: true });
      writeFileSync(join(src, 'd', 'f'), 'hello\n', { mode: 0o640 });
      writeFileSync(join(src, 'd', 'sub', 'g'), 'x'.repeat(3000), { mode: 0o755 });
      symlinkSync('f', join(src, 'd', 'l'));
      writeFileSync(join(src, 'file.txt'), 'one file\n', { mode: 0o600 });
      chmodSync(join(src, 'd', 'sub'), 0o750);
      for (const p of ['d/f', 'd/sub/g', 'file.txt', 'd/sub', 'd']) utimesSync(join(src, p), 1_000_000, 1_000_000);
      if (s.user !== undefined) {
        spawnSync('chown', ['-R', '-h', `${s.user.uid}:${s.user.gid}`, src]);
      }
    });
    after(async () => {
      podman?.teardown();
      if (shared !== '') {
        if (isRoot()) rmSync(shared, { recursive: true, force: true });
        else await removeTree(shared);
      }
    });

    const src = (p: string): string => join(shared, 'src', p);
    /** The copies into container `id`, podman's rules for each (into a dir, contents, a new name, over a file). */
    const copyIn = (e: Engine, id: string): void => {
      for (const [from, to] of [[src('d'), `${id}:/tmp/`], [`${src('d')}/.`, `${id}:/tmp/contents`], [src('file.txt'), `${id}:tmp/renamed.txt`], [src('file.txt'), `${id}:/tmp/d/f`]] as const) {
        const r = e.cp([from, to]);
        assert.equal(r.status, 0, `${e.name} cp ${from} ${to}: ${r.stderr}`);
      }
    };

    for (const state of ['running', 'stopped'] as const) {
      it(`container cp into a ${state} container: the tree, modes and owners as podman cp makes them`, () => {
        const id = `cpin-${state}-${process.pid}`;
        const seen: string[] = [];
        for (const e of engines()) {
          e.start(id);
          try {
            if (state === 'stopped') e.stop(id);
            copyIn(e, id);
            if (state === 'stopped') e.restart(id);
            seen.push(tree(e.exec(id, ['ls', '-lnR', '/tmp'])));
          } finally {
            e.remove(id);
          }
        }
        assert.match(seen[0]!, /^-rw------- 0 0 9 renamed\.txt$/m, 'a file owned by the container\'s user, its mode kept');
        assert.equal(seen[0], seen[1]);
      });

      it(`container cp out of a ${state} container: the host tree as podman cp makes it`, () => {
        const id = `cpout-${state}-${process.pid}`;
        const seen: string[] = [];
        for (const e of engines()) {
          const out = userDir(`out-${e.name}-${state}`);
          e.start(id);
          try {
            copyIn(e, id);
            if (state === 'stopped') e.stop(id);
            for (const [from, to] of [[`${id}:/tmp/d`, out], [`${id}:/etc/group`, join(out, 'group.copy')], [`${id}:/tmp/contents/.`, join(out, 'new')], [`${id}:/tmp/d/`, `${out}/`]] as const) {
              const r = e.cp([from, to]);
              assert.equal(r.status, 0, `${e.name} cp ${from} ${to}: ${r.stderr}`);
            }
          } finally {
            e.remove(id);
          }
          seen.push(hostTree(out));
        }
        const owner = s.user === undefined ? `${process.getuid?.()} ${process.getgid?.()}` : `${s.user.uid} ${s.user.gid}`;
        assert.match(seen[0]!, new RegExp(`^-rw------- ${owner} 9 f$`, 'm'), 'out of the container: owned by the caller');
        assert.equal(seen[0], seen[1]);
      });
    }

    it('container cp refusals: a missing source, a directory onto a file, a file into a missing directory: 125 as podman, the path named', () => {
      const id = `cperr-${process.pid}`;
      const cases: [string[], RegExp][] = [
        [[`${id}:/nonexistent`, shared], /"\/nonexistent" could not be found on container/],
        [[join(shared, 'nonexistent'), `${id}:/tmp`], /nonexistent" could not be found on the host/],
        [[src('d'), `${id}:/etc/passwd`], /cannot copy directory .* to file "\/etc\/passwd"/],
        [[src('file.txt'), `${id}:/nodir/`], /"\/nodir\/".*must exist/],
      ];
      for (const e of engines()) {
        e.start(id);
        try {
          for (const [args, message] of cases) {
            const r = e.cp(args);
            assert.equal(r.status, 125, `${e.name} cp ${args.join(' ')}: ${r.stderr}`);
            if (e.name === 'ct') assert.match(r.stderr, message);
          }
        } finally {
          e.remove(id);
        }
      }
    });

    it('container cp into a container of -u 1000:1000: what is written is owned by that user, as podman cp', () => {
      const id = `cpuser-${process.pid}`;
      const seen: string[] = [];
      for (const e of engines()) {
        e.start(id, '1000:1000');
        try {
          const r = e.cp([src('d'), `${id}:/tmp/`]);
          assert.equal(r.status, 0, `${e.name}: ${r.stderr}`);
          seen.push(tree(e.exec(id, ['ls', '-lnR', '/tmp/d'])));
        } finally {
          e.remove(id);
        }
      }
      assert.match(seen[0]!, /^-rw-r----- 1000 1000 6 f$/m);
      assert.equal(seen[0], seen[1]);
    });

    it('container cp through the container\'s symlinks that point out of it: resolved inside its root, the host untouched', () => {
      const id = `cpesc-${process.pid}`;
      const e = ctEngine(s);
      const marker = `ct-cp-escaped-${process.pid}`;
      e.start(id);
      try {
        e.exec(id, ['sh', '-c', 'ln -s / /tmp/abs && ln -s ../../../../../../tmp /tmp/up && echo inside > /tmp/hostname']);
        for (const to of [`${id}:/tmp/abs/tmp/${marker}`, `${id}:/tmp/up/${marker}-up`]) {
          const r = e.cp([src('file.txt'), to]);
          assert.equal(r.status, 0, r.stderr);
        }
        assert.equal(existsSync(`/tmp/${marker}`) || existsSync(`/tmp/${marker}-up`), false, 'nothing written on the host');
        assert.equal(e.exec(id, ['cat', `/tmp/${marker}`, `/tmp/${marker}-up`]), 'one file\none file\n');
        const out = userDir('esc-out');
        const r = e.cp([`${id}:/tmp/up/hostname`, join(out, 'h')]);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(readdirSync(out), ['h']);
        assert.equal(spawnSync('cat', [join(out, 'h')], { encoding: 'utf8' }).stdout, 'inside\n', 'the container\'s /tmp/hostname, not the host\'s /tmp');
      } finally {
        e.remove(id);
        rmSync(`/tmp/${marker}`, { force: true });
        rmSync(`/tmp/${marker}-up`, { force: true });
      }
    });
  });
}

defineSuite('container cp, as podman cp @root', false);
defineSuite('container cp, as podman cp, unprivileged @rootless', true);
