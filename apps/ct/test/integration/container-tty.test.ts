/**
 * `ct container run -it` on a terminal: the test gives ct its own pty (script(1)). Window size changes: it changes
 * that pty's size while the container runs, and the container's `stty size` shows the new size (SIGWINCH on ct →
 * TIOCSWINSZ on the container's pty master). Output: the container's pty makes CR-LF and our raw terminal passes it
 * as it is (podman's `hello\r\n`, not `hello\r\r\n`), and our terminal's modes are back afterwards. As root and
 * unprivileged.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireFeature } from '@ct/test-utils';
import { useImageSuite } from './container-run-harness.js';
import { ctBin } from './runtime-harness.js';

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(120_000);
    const s = useImageSuite('ctty', rootless);

    it('container run -it, a window size change of our terminal reaches the container\'s pty', function () {
      requireFeature(this, spawnSync('script', ['--version']).status === 0, 'script (util-linux) is not installed');
      // the container says when its trap is set (a file in a shared dir); only then is the pty resized
      const sync = mkdtempSync(join(tmpdir(), 'ct-tty-sync-'));
      chmodSync(sync, 0o777);
      const ctLine = [process.execPath, ctBin, '--root', s.root, 'container', 'run', '--storage-root', s.store, '-it', '--rm', '-v', `${sync}:/sync`,
        'busybox', 'sh', '-c', 'trap "echo winch" WINCH; stty size; touch /sync/ready; sleep 3; stty size'].map((a) => `'${a}'`).join(' ');
      // the pty of script(1) is ours: start at 33x91, resize it to 50x120 once the container is ready
      const inner = `stty cols 91 rows 33; (while [ ! -e ${sync}/ready ]; do sleep 0.1; done; stty cols 120 rows 50 < /dev/tty) & ${ctLine}`;
      const env = ['env', 'TMPDIR=/tmp', 'HOME=/tmp', ...(s.user !== undefined ? [`XDG_RUNTIME_DIR=${s.user.runtimeDir}`] : [])];
      const cmd = [...(s.user !== undefined ? ['runuser', '-u', 'ctci', '--'] : []), ...env, 'script', '-qec', inner, '/dev/null'];
      const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000, cwd: '/' });
      rmSync(sync, { recursive: true, force: true });
      assert.equal(r.status, 0, r.stderr + r.stdout);
      // script(1) passes its stdin's EOF (/dev/null) as a byte ct relays: the container's pty echoes it as ^@
      const lines = r.stdout.replace(/\r|\^@/g, '').split('\n').filter((l) => l !== '');
      assert.deepEqual(lines, ['33 91', 'winch', '50 120'], r.stdout);
    });
    it('container run -t, the output reaches our terminal as the container\'s pty made it (CR-LF once); our modes are restored', function () {
      requireFeature(this, spawnSync('script', ['--version']).status === 0, 'script (util-linux) is not installed');
      const ctLine = [process.execPath, ctBin, '--root', s.root, 'container', 'run', '--storage-root', s.store, '-t', '--rm',
        'busybox', 'echo', 'hello'].map((a) => `'${a}'`).join(' ');
      // our terminal's output modes before and after (opost on): stty's words, between the markers
      const inner = `stty -a | grep -oE '(^| )-?opost' | tr -d ' '; echo BEGIN; ${ctLine}; echo END; stty -a | grep -oE '(^| )-?opost' | tr -d ' '`;
      const env = ['env', 'TMPDIR=/tmp', 'HOME=/tmp', ...(s.user !== undefined ? [`XDG_RUNTIME_DIR=${s.user.runtimeDir}`] : [])];
      const cmd = [...(s.user !== undefined ? ['runuser', '-u', 'ctci', '--'] : []), ...env, 'script', '-qec', inner, '/dev/null'];
      const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000, cwd: '/' });
      assert.equal(r.status, 0, r.stderr + r.stdout);
      // script's EOF byte comes back as ^@ (see above); the rest is byte for byte what ct wrote to its terminal
      const out = r.stdout.replace(/\^@/g, '');
      const relayed = out.slice(out.indexOf('BEGIN\r\n') + 7, out.indexOf('END'));
      assert.equal(relayed, 'hello\r\n', JSON.stringify(out));
      assert.deepEqual(out.split(/\r?\n/).filter((l) => /opost/.test(l)), ['opost', 'opost'], JSON.stringify(out));
    });
  });
}

defineSuite('ct container run -it on a terminal @root', false);
defineSuite('ct container run -it on a terminal unprivileged @rootless', true);
