/**
 * `ct container run`'s confinement and mount flags beside `podman run` (4.3, runtime runc), as root and
 * unprivileged: for each set of flags the same probe runs in both and what it sees must be the same (capability
 * sets, seccomp mode, no_new_privs, ids and HOME, what can be written, the kernel's mount options). The config
 * side is @ct/oci's (packages/oci's podman-defaults test compares the config.json field by field); this is what
 * the process inside ends up with. Differences kept (documented): `-v ...:O` is refused (podman makes an overlay).
 */
import { strict as assert } from 'node:assert';
import { chmodSync, chownSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTree } from '@ct/oci';
import { isRoot, requireFeature } from '@ct/test-utils';
import { useImageSuite } from './container-run-harness.js';
import { podmanRunFlags } from './engine-podman-session.js';
import { PodmanPeer, podmanPresent } from './podman-peer.js';

const STATUS = 'grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status';

interface Case {
  readonly title: string;
  /** The flags; VOL is a fresh directory of its own for each runtime, PROFILE a seccomp profile file. */
  readonly flags: readonly string[];
  /** The shell probe run inside. */
  readonly probe: string;
}

const CASES: readonly Case[] = [
  { title: 'the defaults: podman\'s capabilities, seccomp filter, no_new_privs off', flags: [], probe: `${STATUS}; id; echo HOME=$HOME` },
  { title: '--cap-add (a list, any case) and --cap-drop', flags: ['--cap-add', 'NET_ADMIN,sys_time', '--cap-drop', 'CHOWN'], probe: STATUS },
  { title: '--cap-drop ALL --cap-add one', flags: ['--cap-drop', 'ALL', '--cap-add', 'KILL'], probe: STATUS },
  { title: '--privileged', flags: ['--privileged'], probe: `${STATUS}; test -c /dev/null && echo null-ok` },
  { title: '--security-opt seccomp=unconfined', flags: ['--security-opt', 'seccomp=unconfined'], probe: STATUS },
  { title: '--security-opt no-new-privileges', flags: ['--security-opt', 'no-new-privileges'], probe: STATUS },
  { title: '--security-opt seccomp=FILE (mkdir refused)', flags: ['--security-opt', 'seccomp=PROFILE'], probe: 'mkdir /made 2>/dev/null && echo made || echo refused; grep ^Seccomp: /proc/self/status' },
  { title: '-u NAME: the passwd entry\'s ids, groups and HOME', flags: ['-u', 'user'], probe: 'id; echo HOME=$HOME' },
  { title: '-u UID: the passwd entry of that uid', flags: ['-u', '1000'], probe: 'id; echo HOME=$HOME' },
  { title: '-u NAME:GROUP', flags: ['-u', 'user:users'], probe: 'id; echo HOME=$HOME' },
  { title: '-u UID:GID', flags: ['-u', '1000:100'], probe: 'id; echo HOME=$HOME' },
  { title: '--read-only: tmpfs on /run, /tmp, /var/tmp', flags: ['--read-only'], probe: 'touch /tmp/a /run/b /var/tmp/c && echo tmp-ok; touch /x 2>/dev/null || echo root-ro' },
  { title: '--read-only --read-only-tmpfs=false', flags: ['--read-only', '--read-only-tmpfs=false'], probe: 'touch /tmp/a 2>/dev/null && echo tmp-ok || echo tmp-ro' },
  { title: '--tmpfs with options', flags: ['--tmpfs', '/scratch:size=1m,noexec'], probe: 'grep " /scratch " /proc/mounts | cut -d" " -f1-4' },
  { title: '-v with z and nosuid', flags: ['-v', 'VOL:/data:z,nosuid'], probe: 'touch /data/f && echo wrote; grep " /data " /proc/mounts | cut -d" " -f2,4 | tr , "\\n" | grep -E "^(rw|ro|nosuid|nodev|noexec)$" | sort' },
  { title: '-v with ro, Z and nodev', flags: ['-v', 'VOL:/data:ro,Z,nodev'], probe: 'touch /data/f 2>/dev/null || echo refused; grep " /data " /proc/mounts | cut -d" " -f4 | tr , "\\n" | grep -E "^(rw|ro|nosuid|nodev|noexec)$" | sort' },
  { title: '-v with U: the source chowned to the container\'s user', flags: ['-u', '1000', '-v', 'VOL:/data:U'], probe: 'touch /data/f && stat -c %u:%g /data /data/f' },
  { title: '--env-file (comments, blanks, a value with = and blanks) and a later -e', flags: ['--env-file', 'ENVFILE', '-e', 'C=late'], probe: 'echo "$A|$B|$C|$D"' },
  { title: '--entrypoint in JSON form', flags: ['--entrypoint', '["/bin/echo","first"]'], probe: 'unused' },
  { title: '--ulimit, soft and hard, and one value for both', flags: ['--ulimit', 'nofile=1024:2048', '--ulimit', 'nproc=500'], probe: 'ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu' },
  {
    title: '--mount type=bind (readonly) and type=tmpfs (size, mode)',
    flags: ['--mount', 'type=bind,source=VOL,target=/data,readonly', '--mount', 'type=tmpfs,target=/scratch,tmpfs-size=1m,tmpfs-mode=700'],
    probe: 'touch /data/f 2>/dev/null || echo refused; grep -E " /(data|scratch) " /proc/mounts | cut -d" " -f2,4 | tr , "\\n" | grep -E "^(/|rw|ro|nosuid|nodev|noexec|size=|mode=)" | sort',
  },
];

/** The --env-file of the cases. */
const ENV_FILE = '# a comment\n\nA=1\n   B=two words = x \nC=early\nD=\n';

const PROFILE = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(300_000);
    const s = useImageSuite('cflags', rootless);
    let podman: PodmanPeer | undefined;
    let shared = '';
    before(function () {
      requireFeature(this, podmanPresent(), 'podman and runc are not installed');
      podman = new PodmanPeer(s.user);
      podman.pull();
      // both runtimes' users can read and write here (the unprivileged one through its subuids too)
      shared = mkdtempSync('/tmp/ct-cflags-');
      chmodSync(shared, 0o777);
      writeFileSync(join(shared, 'profile.json'), JSON.stringify(PROFILE));
      chmodSync(join(shared, 'profile.json'), 0o644);
      writeFileSync(join(shared, 'env.list'), ENV_FILE);
      chmodSync(join(shared, 'env.list'), 0o644);
    });
    after(async () => {
      podman?.teardown();
      // -v :U left files of subuid owners: root removes them, a user from inside a user namespace
      if (shared !== '') {
        if (isRoot()) rmSync(shared, { recursive: true, force: true });
        else await removeTree(shared);
      }
    });
    /** `flags` with VOL (a fresh world-writable dir of the suite's user per call) and PROFILE filled in. */
    const fill = (flags: readonly string[]): string[] => {
      const vol = mkdtempSync(join(shared, 'vol-'));
      chmodSync(vol, 0o777);
      // an unprivileged user may chown (-v :U) only what it owns
      if (s.user !== undefined) chownSync(vol, s.user.uid, s.user.gid);
      return flags.map((f) => f.replace(/^VOL:/, `${vol}:`).replace('source=VOL,', `source=${vol},`).replace('seccomp=PROFILE', `seccomp=${join(shared, 'profile.json')}`).replace(/^ENVFILE$/, join(shared, 'env.list')));
    };

    for (const c of CASES) {
      it(`container run ${c.title}, as podman run`, () => {
        const theirs = podman!.podman(['run', '--rm', ...podmanRunFlags, ...fill(c.flags), podman!.image, 'sh', '-c', c.probe]);
        assert.equal(theirs.status, 0, `podman: ${theirs.stderr}`);
        const ours = s.run(['--rm', ...fill(c.flags), 'busybox', 'sh', '-c', c.probe]);
        assert.equal(ours.status, 0, ours.stderr);
        assert.equal(ours.stdout, theirs.stdout);
      });
    }
    it('container run -u with a name the image does not have: 126 as podman, the name given', () => {
      const theirs = podman!.podman(['run', '--rm', ...podmanRunFlags, '-u', 'nosuchuser', podman!.image, 'true']);
      const ours = s.run(['-u', 'nosuchuser', 'busybox', 'true']);
      assert.equal(theirs.status, 126);
      assert.equal(ours.status, 126);
      assert.match(ours.stderr, /^Error: .*"nosuchuser": no such user in \/etc\/passwd\n$/);
    });
    it('container run -v, an unknown option is refused naming it; O (an overlay in podman) is refused as unsupported', () => {
      const bad = s.run(['-v', `${shared}:/data:bogus`, 'busybox', 'true']);
      assert.equal(bad.status, 125);
      assert.match(bad.stderr, /unknown mount option "bogus"/);
      const overlay = s.run(['-v', `${shared}:/data:O`, 'busybox', 'true']);
      assert.equal(overlay.status, 125);
      assert.match(overlay.stderr, /option 'O'.*not supported/);
    });
    it('container run --mount, --ulimit and --userns, what ct does not take is refused (125) naming it', () => {
      const cases: [string[], RegExp][] = [
        [['--mount', 'type=volume,source=data,target=/d,volume-opt=x'], /--mount: volume-opt: not a volume mount option ct knows/],
        [['--mount', `type=bind,source=${shared},target=/d,bogus=1`], /--mount: bogus: not a bind mount option/],
        [['--mount', `type=bind,source=${shared}`], /--mount: target= .* is missing/],
        [['--ulimit', 'nofiles=10'], /--ulimit: unknown limit "nofiles"/],
        [['--ulimit', 'nofile=20:10'], /--ulimit: the soft limit is above the hard one/],
        [['--userns', 'auto'], /--userns auto: not supported/],
        // podman 4.3's words as root
        ...(rootless ? [] : [[['--userns', 'keep-id'], /keep-id is only supported in rootless mode/] as [string[], RegExp]]),
      ];
      for (const [flags, message] of cases) {
        const r = s.run([...flags, 'busybox', 'true']);
        assert.equal(r.status, 125, flags.join(' '));
        assert.match(r.stderr, message);
      }
    });
    it('container run --keep in the foreground, then logs: its stdout and stderr apart, -t, --since, --until, --tail, as podman', () => {
      const name = `keeplog-${process.pid}`;
      const script = 'echo out1; echo err1 >&2; sleep 1.2; echo out2; printf partial';
      const theirs = podman!.podman(['run', '--name', name, ...podmanRunFlags, podman!.image, 'sh', '-c', script]);
      const ours = s.run(['--keep', '--name', name, 'busybox', 'sh', '-c', script]);
      try {
        for (const [who, r] of [['podman', theirs], ['ct', ours]] as const) assert.equal(r.status, 0, `${who}: ${r.stderr}`);
        assert.deepEqual([ours.stdout, ours.stderr], [theirs.stdout, theirs.stderr], 'the foreground run prints as podman run');
        type Runner = (a: string[]) => { stdout: string; stderr: string; status: number | null };
        const logs = (run: Runner, flags: string[]): string[] => {
          const r = run(['logs', ...flags, name]);
          return [String(r.status), r.stdout, r.stderr];
        };
        const pod: Runner = (a) => podman!.podman(a);
        const ct: Runner = (a) => s.ct.run(['container', ...a]);
        // podman 4.3's --tail joins a partial line to the line before it, and its --until filters nothing here: ct's below
        for (const flags of [[], ['--since', '1h'], ['--since', '2099-01-01T00:00:00Z'], ['--since', 'bogus']]) {
          const [status, out, err] = logs(pod, flags);
          const mine = logs(ct, flags);
          assert.deepEqual(mine.slice(0, 2), [status, out], flags.join(' '));
          if (status === '0') assert.equal(mine[2], err, flags.join(' '));
        }
        // -t: each line's time, RFC 3339 with nanoseconds in UTC, in order; the first output line is the time of the second
        const stamped = logs(ct, ['-t']);
        assert.match(stamped[1]!, /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) out1\n(\S+) out2\n(\S+) partial$/);
        assert.match(stamped[2]!, /^\S+Z err1\n$/);
        const times = [...stamped[1]!.matchAll(/^(\S+) /gm)].map((m) => Date.parse(m[1]!));
        assert.ok(times[1]! - times[0]! >= 1000, `out2 came after the sleep: ${stamped[1]}`);
        const second = stamped[1]!.split('\n')[1]!.split(' ')[0]!;
        assert.deepEqual(logs(ct, ['--since', second]).slice(1), ['out2\npartial', ''], '--since the time of a line includes it');
        assert.deepEqual(logs(ct, ['--until', second]).slice(1), ['out1\n', 'err1\n'], '--until a line\'s time leaves it out');
        assert.deepEqual(logs(ct, ['--tail', '2']).slice(1), ['out2\npartial', ''], 'the last two lines (the partial one counts)');
      } finally {
        podman!.podman(['rm', '-f', name]);
        s.ct.run(['container', 'rm', '-f', name]);
      }
    });
    it('container run -v NAME:DST and -v DST, ct volume ls|inspect|rm|prune, as podman (copy-up, owners, options, exit statuses)', () => {
      const vol = `cvol-${process.pid}`;
      type Runner = (a: readonly string[]) => { status: number | null; stdout: string; stderr: string };
      const pod: Runner = (a) => podman!.podman(a);
      const ct: Runner = (a) => (a[0] === 'run' ? s.run(a.slice(1)) : s.ct.run(a[0] === 'volume' ? [...a, '--storage-root', s.store] : ['container', ...a]));
      const run = (who: Runner, flags: readonly string[], probe: string): string => {
        const r = who(['run', ...(who === pod ? podmanRunFlags : []), ...flags, who === pod ? podman!.image : 'busybox', 'sh', '-c', probe]);
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
      };
      const names = (who: Runner): string[] => who(['volume', 'ls', '-q']).stdout.split('\n').filter((n) => n !== '').sort();
      for (const who of [pod, ct]) {
        const name = who === pod ? 'podman' : 'ct';
        let done = false;
        try {
          // first use: the image's /home copied up (owners, modes); a path the image lacks is the user's; nosuid, nodev
          // (not /etc: podman cannot bind its /etc/hosts into a read-only volume there)
          const first = run(who, ['--rm', '-u', '1000', '-v', `${vol}:/home:ro`, '-v', `${vol}-new:/new`],
            'stat -c "%n %a %u:%g" /home /home/user /new; echo x > /new/f && echo wrote; touch /home/x 2>/dev/null || echo ro; grep -E " /(home|new) " /proc/mounts | cut -d" " -f2,4 | tr , " " | cut -d" " -f1-4 | sort');
          assert.equal(first, '/home 755 0:0\n/home/user 755 0:0\n/new 755 1000:1000\nwrote\nro\n/home ro nosuid nodev\n/new rw nosuid nodev\n', name);
          // a second (kept) container sees the first one's file; -v DST makes an anonymous volume
          assert.equal(run(who, ['--name', `${vol}-c`, ...(who === pod ? [] : ['--keep']), '-v', `${vol}:/d`, '-v', `${vol}-new:/other`, '-v', '/anon'], 'stat -c "%u %s" /other/f'), '1000 2\n', name);
          const inspected = JSON.parse(who(['volume', 'inspect', vol]).stdout) as Record<string, unknown>[];
          assert.deepEqual(inspected.map((v) => [v['Name'], v['Driver'], v['Scope'], v['Labels'], v['Options'], v['MountCount'], v['NeedsCopyUp'], v['NeedsChown']]),
            [[vol, 'local', 'local', {}, {}, 0, undefined, undefined]], name);
          assert.match(String(inspected[0]!['Mountpoint']), new RegExp(`/volumes/${vol}/_data$`), name);
          const anonymous = names(who).filter((n) => /^[0-9a-f]{64}$/.test(n));
          assert.equal(anonymous.length, 1, name);
          // podman-volume-rm(1)'s statuses: in use 2, no such volume 1; a name podman refuses 125
          assert.deepEqual([who(['volume', 'rm', vol]).status, who(['volume', 'rm', `${vol}-nosuch`]).status, who(['volume', 'create', '../x']).status], [2, 1, 125], name);
          // rm -v takes the anonymous volume with the container; prune the unused named ones
          assert.equal(who(['rm', '-v', `${vol}-c`]).status, 0, name);
          assert.deepEqual(names(who), [vol, `${vol}-new`], name);
          const pruned = who(['volume', 'prune', '-f']);
          assert.deepEqual([pruned.status, pruned.stdout.split('\n').filter((n) => n !== '').sort(), names(who)], [0, [vol, `${vol}-new`], []], name);
          done = true;
        } finally {
          if (!done) {
            who(['rm', '-f', `${vol}-c`]);
            for (const v of [vol, `${vol}-new`]) who(['volume', 'rm', '-f', v]);
          }
        }
      }
    });
    it('container inspect and ps --format json beside podman\'s: the fields both have, Mounts too (documented differences: Id, Image, Hostname, Env, the store paths)', () => {
      const name = `insp-${process.pid}`;
      const vol = `inspv-${process.pid}`;
      type Inspected = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      const hostDir = fill(['VOL:/x'])[0]!.split(':')[0]!;
      const flags = ['-d', '--name', name, '-u', '1000', '-l', 'tier=web', '--stop-signal', 'USR1', '--restart', 'on-failure:3', '-w', '/tmp', '-e', 'FOO=bar',
        '--entrypoint', '["/bin/sh","-c"]', '-v', `${hostDir}:/h:ro`, '-v', `${vol}:/data`, '-v', '/anon', '--tmpfs', '/scr:size=1m',
        '--mount', `type=bind,source=${hostDir},target=/h2,readonly`];
      const theirs = podman!.podman(['run', ...podmanRunFlags, ...flags, podman!.image, 'sleep 60']);
      const ours = s.run(['--network', 'none', ...flags, 'busybox', 'sleep 60']);
      try {
        assert.equal(theirs.status, 0, theirs.stderr);
        assert.equal(ours.status, 0, ours.stderr);
        const p = (JSON.parse(podman!.podman(['inspect', name]).stdout) as Inspected[])[0]!;
        const c = (JSON.parse(s.ct.run(['container', 'inspect', name]).stdout) as Inspected[])[0]!;
        const pick = (o: Inspected, keys: readonly string[]): Inspected => Object.fromEntries(keys.map((k) => [k, o[k]]));
        assert.deepEqual(pick(c, ['Name', 'Path', 'Args', 'RestartCount', 'ImageDigest']), pick(p, ['Name', 'Path', 'Args', 'RestartCount', 'ImageDigest']));
        const state = ['Status', 'Running', 'Paused', 'Restarting', 'OOMKilled', 'Dead', 'ExitCode', 'Error', 'FinishedAt'];
        assert.deepEqual(pick(c['State'], state), pick(p['State'], state));
        for (const who of [c, p]) assert.ok(who['State'].Pid > 0 && Date.parse(who['State'].StartedAt) > 0 && Date.parse(who['Created']) > 0);
        const config = ['User', 'WorkingDir', 'Entrypoint', 'Cmd', 'Tty', 'Labels', 'StopSignal', 'StopTimeout'];
        assert.deepEqual(pick(c['Config'], config), pick(p['Config'], config));
        // podman adds container=podman and HOSTNAME (its hostname is its id's prefix, ct's the container's name)
        const env = (e: string[]): string[] => e.filter((v) => !/^(container|HOSTNAME)=/.test(v)).sort();
        assert.deepEqual(env(c['Config'].Env), env(p['Config'].Env));
        const host = ['RestartPolicy', 'Tmpfs', 'NetworkMode', 'PortBindings', 'AutoRemove'];
        assert.deepEqual(pick(c['HostConfig'], host), pick(p['HostConfig'], host));
        const binds = (b: string[]): string[] => b.map((x) => x.replace(/^[0-9a-f]{64}:/, 'ANON:')).sort();
        assert.deepEqual(binds(c['HostConfig'].Binds), binds(p['HostConfig'].Binds));
        assert.deepEqual(pick(c['NetworkSettings'], ['Ports', 'IPAddress']), pick(p['NetworkSettings'], ['Ports', 'IPAddress']));
        assert.match(c['Image'], /^[0-9a-f]{64}$/, 'ct\'s image id (its manifest digest), podman\'s its config digest');
        // the volumes' Source is each store's: its name's _data; the anonymous one's name is 64 hex digits in both
        const mounts = (m: Inspected[]): Inspected[] => [...m].sort((a, b) => a['Destination'].localeCompare(b['Destination'])).map((x) => {
          assert.ok(x['Type'] === 'bind' || x['Source'].endsWith(`/volumes/${x['Name']}/_data`), x['Source']);
          return { ...x, Source: x['Type'] === 'bind' ? x['Source'] : 'STORE', Name: /^[0-9a-f]{64}$/.test(x['Name'] ?? '') ? 'ANON' : x['Name'] };
        });
        assert.deepEqual(mounts(c['Mounts']), mounts(p['Mounts']));
        assert.deepEqual(c['Mounts'].map((m: Inspected) => m['Destination']).sort(), ['/anon', '/data', '/h', '/h2']);
        // ps --format json: podman's fields (ct's own record is --json)
        const listed = (r: { stdout: string }): Inspected => (JSON.parse(r.stdout) as Inspected[]).find((x) => x['Names'][0] === name)!;
        const pj = listed(podman!.podman(['ps', '-a', '--format', 'json']));
        const cj = listed(s.ct.run(['container', 'ps', '-a', '--format', 'json']));
        const psKeys = ['Names', 'Command', 'State', 'Exited', 'ExitedAt', 'ExitCode', 'Labels', 'AutoRemove', 'Ports'];
        assert.deepEqual(pick(cj, psKeys), pick(pj, psKeys));
        assert.deepEqual([...cj['Mounts']].sort(), [...pj['Mounts']].sort());
        for (const who of [cj, pj]) assert.ok(/^Up /.test(who['Status']) && who['Created'] > 0 && who['StartedAt'] >= who['Created'] && who['Pid'] > 0, JSON.stringify(who));
      } finally {
        podman!.podman(['rm', '-f', '-t', '0', '-v', name]);
        podman!.podman(['volume', 'rm', '-f', vol]);
        s.ct.run(['container', 'rm', '-f', '-v', name]);
        s.ct.run(['volume', 'rm', '-f', vol, '--storage-root', s.store]);
      }
    });
    // unprivileged only: podman and ct refuse keep-id as root (@ct/runtime's userns-mode unit test)
    if (rootless) {
      it('container run --userns keep-id: the caller\'s ids, passwd line and HOME, the image\'s owners kept, a -v file the caller\'s, as podman run', () => {
        // /usr: an anonymous volume copied up from the image: its files have the owners the image's have in the container
        const probe = 'id; echo HOME=$HOME; pwd; stat -c %u:%g / /etc/passwd /bin/busybox /usr /usr/local/bin/ct-probe; tail -n 1 /etc/passwd; touch /data/f';
        const uid = s.user?.uid ?? process.geteuid!();
        const run = (ct: boolean): string => {
          const [spec] = fill(['VOL:/data']);
          const flags = ['--userns', 'keep-id', '-v', spec!, '-v', '/usr'];
          const r = ct ? s.run(['--rm', ...flags, 'busybox', 'sh', '-c', probe])
            : podman!.podman(['run', '--rm', ...podmanRunFlags, ...flags, podman!.image, 'sh', '-c', probe]);
          assert.equal(r.status, 0, `${ct ? 'ct' : 'podman'}: ${r.stderr}`);
          assert.equal(statSync(join(spec!.split(':')[0]!, 'f')).uid, uid, 'the file written to the bind mount is the caller\'s on the host');
          return r.stdout;
        };
        assert.equal(run(true), run(false));
      });
    }
    it('container run --security-opt, an unknown option is refused naming it', () => {
      const r = s.run(['--security-opt', 'mask=/proc/x', 'busybox', 'true']);
      assert.equal(r.status, 125);
      assert.match(r.stderr, /invalid value "mask=\/proc\/x" for flag --security-opt/);
    });
  });
}

defineSuite('ct container run flags beside podman @root', false);
defineSuite('ct container run flags beside podman unprivileged @rootless', true);
