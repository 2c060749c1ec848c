/**
 * Unix sockets carrying fds: socketpair(2), connect(2) to a unix path, sendmsg(2)/recvmsg(2) with SCM_RIGHTS.
 * All fds are close-on-exec. recvmsg blocks unless the fd is non-blocking or MSG_DONTWAIT is passed: call it
 * once data is known to be there (after a poll or an event), or with MSG_DONTWAIT.
 *
 * Man pages: socketpair(2), unix(7), sendmsg(2), recvmsg(2), cmsg(3).
 */
import { native } from './native.js';
import { check, cPath, type PathLike } from './internal/c-path.js';

/** socketpair(AF_UNIX, type | SOCK_CLOEXEC): two connected fds. */
export function socketpair(type = 1): [number, number] {
  const r = native.socketpair(type);
  if (typeof r === 'number') check(r, 'socketpair');
  return r as [number, number];
}

/** Connects a new AF_UNIX socket (SOCK_STREAM by default) to `path`; returns its fd. */
export function unixConnect(path: PathLike, type = 1): number {
  return check(native.unixConnect(cPath(path), type), 'connect', path);
}

/** sendmsg(2) of `data` with `fds` as SCM_RIGHTS (at most 64). Returns bytes sent. MSG_NOSIGNAL is implied. */
export function sendmsg(fd: number, data: Uint8Array, fds: readonly number[] = [], flags = 0): number {
  return check(native.sendmsg(fd, Buffer.from(data), fds, flags), 'sendmsg');
}

/** What recvmsg read. */
export interface ReceivedMessage {
  /** The bytes received. */
  readonly data: Buffer;
  /** The fds received (close-on-exec; the caller owns them). */
  readonly fds: number[];
  /** msg_flags (MSG_TRUNC, MSG_CTRUNC). */
  readonly flags: number;
}

/** recvmsg(2) of up to `maxBytes` bytes and up to `maxFds` fds (extra fds are closed, never leaked). */
export function recvmsg(fd: number, maxBytes = 4096, maxFds = 16, flags = 0): ReceivedMessage {
  const buf = Buffer.alloc(maxBytes);
  const fds = new Int32Array(maxFds);
  const r = native.recvmsg(fd, buf, fds, flags);
  if (typeof r === 'number') {
    check(r, 'recvmsg');
    throw new Error('unreachable');
  }
  return { data: buf.subarray(0, r[0]), fds: Array.from(fds.subarray(0, r[1])), flags: r[2] };
}
