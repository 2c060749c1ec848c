/**
 * The pty of a detached `ct container run -dt` (podman run -dt): the monitor receives the container's pty master
 * on a console socket in the bundle (image-run-tty.ts), copies everything the container prints on it to the
 * container log (as stdout records), and keeps the master open until the container's init has exited, so the
 * container's terminal never sees a hangup while it runs. Nothing writes to the master: like podman without -i,
 * the container's stdin is a terminal nobody types on.
 * Man pages: pty(7) (EIO on the master once every slave fd is closed), ioctl_tty(2).
 */
import { readMaster } from '../image-run-tty.js';

/** How long output may still come once the init exited (a background process holding the slave does not keep us). */
const DRAIN_AFTER_EXIT_MS = 200;

/**
 * Copy the output of `master` to `write` until the last slave fd is closed (EIO) or, at the latest, shortly
 * after `exited` settles; then close the master (its reader owns it: image-run-tty.ts readMaster).
 */
export async function holdTerminal(master: number, exited: Promise<unknown>, write: (chunk: Buffer) => void): Promise<void> {
  const reader = readMaster(master, write);
  const afterExit = exited.then(() => new Promise<void>((r) => setTimeout(r, DRAIN_AFTER_EXIT_MS)), () => undefined);
  try {
    await Promise.race([Promise.all([reader.ended, exited]), afterExit]);
  } finally {
    reader.close();
  }
}
