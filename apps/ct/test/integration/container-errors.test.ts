/**
 * How the topics a person types fail (issue 26): one error style, podman's (`Error: MESSAGE`, and for a
 * command-line error `See 'ct COMMAND --help'.`), for `container`, `image`, `pull` and `doctor`, while the runc
 * verbs keep runc's; and podman's exit statuses for the container verbs (125 ct failed, 126 cannot invoke, 127
 * not found, rm's 1 and 2, else the container's own), each class beside what podman 4.3 (runtime runc) gives for
 * the same command. One test per message class; each message names what was given and how to fix it. And
 * `--restart` beside podman's: its refusals, and what on-failure:2 ends with. As root and unprivileged.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { requireFeature } from '@ct/test-utils';
import { imageCommand, useImageSuite } from './container-run-harness.js';
import { podmanRunFlags } from './engine-podman-session.js';
import { PodmanPeer, podmanPresent } from './podman-peer.js';
import { ctBin, type Run } from './runtime-harness.js';

/** `ct ARGS` with no --root (the oclif topics and their help), as the suite's user. */
function ctPlain(user: { runtimeDir: string } | undefined, args: readonly string[]): Run {
  const full = [process.execPath, ctBin, ...args];
  const cmd = user === undefined ? full : ['runuser', '-u', 'ctci', '--', 'env', `XDG_RUNTIME_DIR=${user.runtimeDir}`, 'HOME=/tmp', ...full];
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', cwd: '/', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(180_000);
    const s = useImageSuite('cerr', rootless);
    let podman: PodmanPeer | undefined;
    before(function () {
      requireFeature(this, podmanPresent(), 'podman and runc are not installed');
      podman = new PodmanPeer(s.user);
      podman.pull();
    });
    after(() => podman?.teardown());
    /** `podman ARGS` with IMAGE replaced by the pulled test image (and this machine's run flags after `run`). */
    const theirs = (args: readonly string[]): Run => {
      const withImage = args.map((a) => (a === 'IMAGE' ? podman!.image : a));
      return podman!.podman(withImage[0] === 'run' ? ['run', '--rm', ...podmanRunFlags, ...withImage.slice(1)] : withImage);
    };

    it('container errors, an unknown flag: 125 as podman, the flag named, the help to see', () => {
      const r = s.run(['--bogus', 'busybox', 'true']);
      assert.equal(theirs(['run', '--bogus', 'IMAGE', 'true']).status, 125);
      assert.equal(r.status, 125);
      assert.equal(r.stderr, 'Error: unknown flag: --bogus\nSee \'ct container run --help\'.\n');
    });
    it('container errors, a missing argument: 125 as podman, naming what is missing', () => {
      const r = s.ct.run(['container', 'run']);
      assert.equal(podman!.podman(['run']).status, 125);
      assert.equal(r.status, 125);
      assert.match(r.stderr, /^Error: container run: IMAGE missing .*\nSee 'ct container run --help'\.\n$/);
    });
    it('container errors, a bad flag value: 125, the flag and the value named, said as the flag (not config.json)', () => {
      for (const [flags, flag] of [[['-e', '=x'], '--env'], [['--memory', '1'], '--memory'], [['--pids-limit', '-2'], '--pids-limit']] as const) {
        const r = s.run([...flags, 'busybox', 'true']);
        assert.equal(r.status, 125, r.stderr);
        assert.match(r.stderr, new RegExp(`^Error: invalid value "${flags[1]}" for flag ${flag}: `), r.stderr);
        assert.doesNotMatch(r.stderr, /config\.json|bigint/);
      }
      assert.equal(s.run(['--pids-limit', '-1', 'busybox', 'true']).status, 0, '-1 is podman\'s "no limit"');
    });
    it('container errors, an unknown container verb: 125 as podman, the verbs there are listed', () => {
      const r = s.ct.run(['container', 'frob', 'x']);
      assert.equal(podman!.podman(['container', 'frob', 'x']).status, 125);
      assert.equal(r.status, 125);
      assert.match(r.stderr, /^Error: unknown command "container frob": the container topic has run, .*\nSee 'ct container --help'\.\n$/);
    });
    it('container errors, no such container: podman\'s statuses per verb (125; rm 1), the name given and where to look', () => {
      for (const verb of ['logs', 'stop', 'rm', 'exec']) {
        const args = verb === 'exec' ? [verb, 'nosuch', 'true'] : [verb, 'nosuch'];
        const r = s.ct.run(['container', ...args]);
        assert.equal(r.status, theirs(args).status, `${verb}: ${r.stderr}`);
        assert.equal(r.stderr, 'Error: no container named "nosuch": ct container ps --all lists them\n');
      }
    });
    it('container errors, an image not in the store: 125 as podman, the image named, how to get it', () => {
      const r = s.run(['--pull', 'never', 'nosuchimage', 'true']);
      assert.equal(theirs(['run', '--pull', 'never', 'nosuchimage', 'true']).status, 125);
      assert.equal(r.status, 125);
      assert.match(r.stderr, /^Error: .*nosuchimage.*: ct image ls lists the images; ct pull or ct image import adds one\n$/);
    });
    it('container errors, an image path that does not exist: 125, named as a path (not as a registry host)', () => {
      const r = s.run(['./nosuchdir', 'true']);
      assert.equal(r.status, 125);
      assert.match(r.stderr, /^Error: container run: image \.\/nosuchdir: no such file or directory/);
      assert.doesNotMatch(r.stderr, /registry host/);
    });
    it('container errors, a working directory missing in the image: 126 as podman, the directory named', () => {
      const r = s.run(['-w', '/nonexistent-dir', 'busybox', 'true']);
      assert.equal(theirs(['run', '-w', '/nonexistent-dir', 'IMAGE', 'true']).status, 126);
      assert.equal(r.status, 126);
      assert.equal(r.stderr, 'Error: workdir "/nonexistent-dir" does not exist in the container: give an existing one with -w\n');
    });
    it('container errors, a command not found or not executable: 127 and 126 as podman', () => {
      assert.equal(theirs(['run', 'IMAGE', 'nosuch']).status, 127);
      assert.equal(s.run(['busybox', 'nosuch']).status, 127);
      assert.equal(theirs(['run', 'IMAGE', '/etc/passwd']).status, 126);
      assert.equal(s.run(['busybox', '/etc/passwd']).status, 126);
    });
    it('container errors, the container\'s own status passes through as podman\'s', () => {
      assert.equal(theirs(['run', 'IMAGE', 'sh', '-c', 'exit 3']).status, 3);
      assert.equal(s.run(['busybox', 'sh', '-c', 'exit 3']).status, 3);
    });
    it('container errors, rm of a running container: 2 as podman, what to do named', () => {
      const id = `errrm-${process.pid}`;
      assert.equal(s.run(['-d', '--name', id, 'busybox', 'sleep', '60']).status, 0);
      try {
        const r = s.ct.run(['container', 'rm', id]);
        assert.equal(r.status, 2);
        assert.match(r.stderr, new RegExp(`^Error: .*: stop it first \\(ct container stop ${id}\\), or remove it with -f\\n$`));
      } finally {
        s.ct.run(['container', 'rm', '-f', id]);
      }
      const p = podman!.podman(['run', '-d', ...podmanRunFlags, podman!.image, 'sleep', '60']);
      assert.equal(podman!.podman(['rm', p.stdout.trim()]).status, 2);
    });
    it('container errors, --restart: a bad value and --rm with a policy refused (125) as podman; on-failure:2 of exit 3 ends as podman\'s', () => {
      for (const [value, why] of [['sometimes', 'expected no, on-failure'], ['on-failure:-1', 'the retry count']]) {
        const bad = s.run([`--restart=${value}`, 'busybox', 'true']);
        assert.equal(theirs(['run', `--restart=${value}`, 'IMAGE', 'true']).status, 125);
        assert.equal(bad.status, 125, bad.stderr);
        assert.ok(bad.stderr.startsWith(`Error: invalid value "${value}" for flag --restart: ${why}`), bad.stderr);
      }
      const withRm = s.run(['--rm', '--restart', 'always', 'busybox', 'true']);
      const podmanRm = theirs(['run', '--restart', 'always', 'IMAGE', 'true']);
      assert.equal(podmanRm.status, 125);
      assert.equal(withRm.status, 125);
      assert.equal(withRm.stderr.split('\n')[0], podmanRm.stderr.split('\n')[0], 'podman\'s words');
      // both run it three times and return when no restart follows, with its status; the count is podman's
      const id = `restart-${process.pid}`;
      const format = ['inspect', '--format', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}', id];
      const script = ['sh', '-c', 'echo run; exit 3'];
      assert.equal(podman!.podman(['run', ...podmanRunFlags, '--name', id, '--restart', 'on-failure:2', podman!.image, ...script]).status, 3);
      try {
        const ours = s.run(['--name', id, '--restart', 'on-failure:2', 'busybox', ...script]);
        assert.equal(ours.status, 3, ours.stderr);
        assert.equal(ours.stdout, 'run\n', 'the first run\'s output, as podman run prints it');
        assert.equal(s.ct.run(['container', ...format]).stdout, podman!.podman(format).stdout);
        assert.equal(s.ct.run(['container', 'inspect', '--format', '{{.RestartCount}} {{.State.ExitCode}}', id]).stdout, '2 3\n');
        assert.equal(s.ct.run(['container', 'logs', id]).stdout, 'run\nrun\nrun\n', 'one log over the runs');
      } finally {
        assert.equal(s.ct.run(['container', 'rm', '-f', id]).status, 0);
      }
    });
    it('image errors, the same style: a command-line error names the command\'s help (exit 2), a failure the fix (exit 1)', () => {
      const bogus = imageCommand(s.user, ['rm', '--bogus']);
      assert.equal(bogus.status, 2);
      assert.equal(bogus.stderr, 'Error: Nonexistent flag: --bogus\nSee \'ct image rm --help\'.\n');
      const missing = s.image(['inspect', 'nosuch']);
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /^Error: .*nosuch.*: ct image ls lists the images; ct pull or ct image import adds one\n$/);
      const unknown = ctPlain(s.user, ['image', 'frob']);
      assert.equal(unknown.status, 2);
      assert.equal(unknown.stderr, 'Error: unknown command "image frob"\nSee \'ct image --help\'.\n');
    });
    it('pull and doctor errors, the same style', () => {
      const pull = ctPlain(s.user, ['pull']);
      assert.equal(pull.status, 2);
      assert.match(pull.stderr, /^Error: Missing 1 required arg:\n[^]*\nSee 'ct pull --help'\.\n$/);
      const doctor = ctPlain(s.user, ['doctor', '--user']);
      assert.equal(doctor.status, 2);
      assert.match(doctor.stderr, /^Error: .*--user.*\nSee 'ct doctor --help'\.\n$/);
    });
    it('runc verbs keep runc\'s style: Go\'s flag words and logrus lines, exit 1', () => {
      const flag = s.ct.run(['delete', '--bogus', 'x']);
      assert.equal(flag.status, 1);
      assert.equal(flag.stderr, 'ct: flag provided but not defined: -bogus\n');
      const missing = s.ct.run(['state', 'nosuch']);
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /^time="[^"]+" level=error msg="container nosuch does not exist"\n$/);
    });
  });
}

defineSuite('ct error style and exit statuses beside podman @root', false);
defineSuite('ct error style and exit statuses beside podman unprivileged @rootless', true);
