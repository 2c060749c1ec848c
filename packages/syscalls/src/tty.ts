/**
 * Terminal window size on a tty or pty master fd: TIOCGWINSZ and TIOCSWINSZ. Setting it on a pty master (or
 * slave) changes the pair's size, and the kernel sends SIGWINCH to the slave's foreground process group, which
 * is how a terminal relay passes its own resizes on to a container. And the terminal's modes (tcgetattr,
 * tcsetattr): a relay puts its own terminal in raw mode as cfmakeraw(3) does, output processing too (OPOST),
 * which Node's setRawMode leaves on.
 *
 * Man pages: ioctl_tty(2) ("Get and set window size"), pty(7), termios(3).
 */
import { native } from './native.js';
import { check } from './internal/c-path.js';
import { CtError } from './errors.js';

/** `struct winsize`: character rows and columns; the pixel sizes are unused by most programs (0). */
export interface WindowSize {
  /** Character rows. */
  readonly rows: number;
  /** Character columns. */
  readonly cols: number;
  /** Width in pixels (default 0). */
  readonly xpixel?: number;
  /** Height in pixels (default 0). */
  readonly ypixel?: number;
}

/**
 * ioctl(fd, TIOCGWINSZ): the window size of the terminal behind `fd` (pixel sizes always present).
 * Throws a SyscallError `{syscall: 'ioctl', code: 'ENOTTY'}` when `fd` is not a terminal, `EBADF` when closed.
 */
export function getWindowSize(fd: number): Required<WindowSize> {
  const out = new Int32Array(4);
  check(native.getWindowSize(fd, out), 'ioctl');
  return { rows: out[0] ?? 0, cols: out[1] ?? 0, xpixel: out[2] ?? 0, ypixel: out[3] ?? 0 };
}

function u16(size: WindowSize, field: keyof WindowSize): number {
  const v = size[field] ?? 0;
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) {
    throw new CtError('EINVAL', `ioctl TIOCSWINSZ: ${field}: ${String(v)}: not an integer in 0..65535`);
  }
  return v;
}

/**
 * ioctl(fd, TIOCSWINSZ): set the window size of the terminal behind `fd` (`xpixel`/`ypixel` default to 0).
 * Values outside 0..65535 are refused before the call (CtError `EINVAL`); a non-terminal fd gives a SyscallError
 * `{syscall: 'ioctl', code: 'ENOTTY'}`.
 */
export function setWindowSize(fd: number, size: WindowSize): void {
  const rows = u16(size, 'rows');
  const cols = u16(size, 'cols');
  const xpixel = u16(size, 'xpixel');
  const ypixel = u16(size, 'ypixel');
  check(native.setWindowSize(fd, rows, cols, xpixel, ypixel), 'ioctl');
}

/** The number of control characters in `struct termios` (glibc's NCCS). */
const NCCS = 32;

/** termios(3) flag bits ct uses (Linux values). @enum */
export const TERMIOS = {
  /** c_oflag: output processing (ONLCR and the rest apply only with it). */
  OPOST: 0o1,
  /** c_oflag: map NL to CR-NL on output. */
  ONLCR: 0o4,
} as const;

/** tcsetattr(3)'s `when`. @enum */
export const TCSA = { NOW: 0, DRAIN: 1, FLUSH: 2 } as const;

/** A terminal's modes: the four flag words and the control characters (termios(3)). */
export interface Termios {
  /** c_iflag: input modes. */
  readonly iflag: number;
  /** c_oflag: output modes. */
  readonly oflag: number;
  /** c_cflag: control modes. */
  readonly cflag: number;
  /** c_lflag: local modes. */
  readonly lflag: number;
  /** c_cc, NCCS bytes. */
  readonly cc: Uint8Array;
}

/**
 * tcgetattr(fd): the terminal's modes. A SyscallError `{syscall: 'tcgetattr', code: 'ENOTTY'}` when `fd` is not a
 * terminal.
 */
export function tcgetattr(fd: number): Termios {
  const flags = new Uint32Array(4);
  const cc = new Uint8Array(NCCS);
  check(native.tcgetattr(fd, flags, cc), 'tcgetattr');
  return { iflag: flags[0] ?? 0, oflag: flags[1] ?? 0, cflag: flags[2] ?? 0, lflag: flags[3] ?? 0, cc };
}

/**
 * tcsetattr(fd, when): set the terminal's modes (its line discipline and speeds stay as they are).
 * @throws CtError EINVAL when `t.cc` is not 32 bytes (glibc's NCCS; refused before the call); SyscallError
 *   `{syscall: 'tcsetattr'}` (ENOTTY, EBADF).
 */
export function tcsetattr(fd: number, when: (typeof TCSA)[keyof typeof TCSA], t: Termios): void {
  if (t.cc.length !== NCCS) throw new CtError('EINVAL', `tcsetattr: cc: ${t.cc.length} bytes, not ${NCCS}`);
  check(native.tcsetattr(fd, when, Uint32Array.of(t.iflag, t.oflag, t.cflag, t.lflag), t.cc), 'tcsetattr');
}
