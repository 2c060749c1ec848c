import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CtError, SyscallError, TCSA, TERMIOS, getWindowSize, setWindowSize, tcgetattr, tcsetattr } from '../../src/index.js';

const indexTs = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/** A pty master opened in this process (the slave end is not needed for the master's size). */
function openMaster(): number {
  return openSync('/dev/ptmx', constants.O_RDWR | constants.O_NOCTTY);
}

/** `stty ARGS` with `fd` as its stdin: an independent reader/writer of the size. */
function stty(fd: number, args: string[]): string {
  return execFileSync('stty', args, { stdio: [fd, 'pipe', 'pipe'] }).toString().trim();
}

function isSyscallError(code: string) {
  return (e: unknown): boolean => e instanceof SyscallError && e.syscall === 'ioctl' && e.code === code;
}

describe('tty window size (TIOCGWINSZ, TIOCSWINSZ)', () => {
  it('setWindowSize, a pty master takes the size and stty reads it back', () => {
    const m = openMaster();
    try {
      setWindowSize(m, { rows: 37, cols: 121, xpixel: 800, ypixel: 600 });
      assert.equal(stty(m, ['size']), '37 121');
      assert.deepEqual(getWindowSize(m), { rows: 37, cols: 121, xpixel: 800, ypixel: 600 });
    } finally {
      closeSync(m);
    }
  });
  it('getWindowSize, reads a size set by stty', () => {
    const m = openMaster();
    try {
      stty(m, ['rows', '21', 'cols', '55']);
      const ws = getWindowSize(m);
      assert.equal(ws.rows, 21);
      assert.equal(ws.cols, 55);
    } finally {
      closeSync(m);
    }
  });
  it('setWindowSize, pixel sizes default to 0', () => {
    const m = openMaster();
    try {
      setWindowSize(m, { rows: 5, cols: 6, xpixel: 9, ypixel: 9 });
      setWindowSize(m, { rows: 7, cols: 8 });
      assert.deepEqual(getWindowSize(m), { rows: 7, cols: 8, xpixel: 0, ypixel: 0 });
    } finally {
      closeSync(m);
    }
  });
  it('setWindowSize, on the slave of a real pty pair (script(1)) the foreground program sees it', function () {
    // script gives the child a pty slave as stdin; the child sets the size on it and stty (another process on the
    // same slave) reads it, then the child reads it back through getWindowSize.
    const code = `import { getWindowSize, setWindowSize } from ${JSON.stringify(indexTs)};
import { execFileSync } from 'node:child_process';
setWindowSize(0, { rows: 43, cols: 101 });
const seen = execFileSync('stty', ['size'], { stdio: [0, 'pipe', 'inherit'] }).toString().trim();
const ws = getWindowSize(0);
process.stdout.write('RESULT ' + seen + ' / ' + ws.rows + ' ' + ws.cols + ' END');`;
    const cmd = `${process.execPath} --import tsx --input-type=module -e ${shellQuote(code)}`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30000 });
    const out = r.stdout.toString();
    assert.equal(r.status, 0, `script failed: ${out} ${r.stderr.toString()}`);
    assert.match(out, /RESULT 43 101 \/ 43 101 END/);
  });
  it('getWindowSize and setWindowSize, /dev/null is a character device but no terminal: ENOTTY', () => {
    const fds: [number, number] = [openSync('/dev/null', 'r'), openSync('/dev/null', 'w')];
    try {
      assert.throws(() => getWindowSize(fds[0]), isSyscallError('ENOTTY'));
      assert.throws(() => setWindowSize(fds[1], { rows: 1, cols: 1 }), isSyscallError('ENOTTY'));
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
  });
  it('getWindowSize, a closed fd: EBADF', () => {
    const m = openMaster();
    closeSync(m);
    assert.throws(() => getWindowSize(m), isSyscallError('EBADF'));
  });
  it('setWindowSize, out-of-range values are refused before the call', () => {
    const m = openMaster();
    try {
      setWindowSize(m, { rows: 3, cols: 4 });
      for (const bad of [{ rows: 70000, cols: 1 }, { rows: 1, cols: -1 }, { rows: 1.5, cols: 1 }, { rows: 1, cols: 1, xpixel: 1e6 }]) {
        assert.throws(() => setWindowSize(m, bad), (e: unknown) => e instanceof CtError && e.code === 'EINVAL');
      }
      assert.equal(getWindowSize(m).rows, 3);
    } finally {
      closeSync(m);
    }
  });
});

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}


describe('tty modes (tcgetattr, tcsetattr)', () => {
  it('tcsetattr, output processing turned off on a pty is seen by stty; tcgetattr reads it back', () => {
    const m = openMaster();
    try {
      const before = tcgetattr(m);
      tcsetattr(m, TCSA.NOW, { ...before, oflag: before.oflag & ~TERMIOS.OPOST });
      assert.match(stty(m, ['-a']), /(^|\s)-opost(\s|$)/m);
      assert.equal(tcgetattr(m).oflag & TERMIOS.OPOST, 0);
      tcsetattr(m, TCSA.NOW, before);
      assert.match(stty(m, ['-a']), /(^|\s)opost(\s|$)/m);
      assert.deepEqual(tcgetattr(m), before);
    } finally {
      closeSync(m);
    }
  });
  it('tcgetattr, a file that is not a terminal is ENOTTY', () => {
    const fd = openSync('/dev/null', 'r');
    try {
      assert.throws(() => tcgetattr(fd), (e: unknown) => e instanceof SyscallError && e.syscall === 'tcgetattr' && e.code === 'ENOTTY');
    } finally {
      closeSync(fd);
    }
  });
});
