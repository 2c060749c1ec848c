/**
 * `ct container run -it` and window size changes: the test gives ct its own pty (script(1)), changes that pty's
 * size while the container runs, and the container's `stty size` shows the new size (SIGWINCH on ct → TIOCSWINSZ
 * on the container's pty master). As root and unprivileged.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { requireFeature } from '@ct/test-utils';
import { useImageSuite } from './container-run-harness.js';
import { ctBin } from './runtime-harness.js';

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(120_000);
    const s = useImageSuite('ctty', rootless);

    it('container run -it, a window size change of our terminal reaches the container\'s pty', function () {
      requireFeature(this, spawnSync('script', ['--version']).status === 0, 'script (util-linux) is not installed');
      const ctLine = [process.execPath, ctBin, '--root', s.root, 'container', 'run', '--storage-root', s.store, '-it', '--rm', 'busybox',
        'sh', '-c', 'stty size; trap "echo winch" WINCH; sleep 3; stty size'].map((a) => `'${a}'`).join(' ');
      // the pty of script(1) is ours: start at 33x91, resize it to 50x120 while the container sleeps
      const inner = `stty cols 91 rows 33; (sleep 1.5; stty cols 120 rows 50 < /dev/tty) & ${ctLine}`;
      const env = ['env', 'TMPDIR=/tmp', 'HOME=/tmp', ...(s.user !== undefined ? [`XDG_RUNTIME_DIR=${s.user.runtimeDir}`] : [])];
      const cmd = [...(s.user !== undefined ? ['runuser', '-u', 'ctci', '--'] : []), ...env, 'script', '-qec', inner, '/dev/null'];
      const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000, cwd: '/' });
      assert.equal(r.status, 0, r.stderr + r.stdout);
      // script(1) passes its stdin's EOF (/dev/null) as a byte ct relays: the container's pty echoes it as ^@
      const lines = r.stdout.replace(/\r|\^@/g, '').split('\n').filter((l) => l !== '');
      assert.deepEqual(lines, ['33 91', 'winch', '50 120'], r.stdout);
    });
  });
}

defineSuite('ct container run -it, window size @root', false);
defineSuite('ct container run -it, window size unprivileged @rootless', true);
