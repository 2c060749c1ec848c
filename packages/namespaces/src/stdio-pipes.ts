/**
 * `stdio: ['pipe', 'pipe', 'pipe']` for runContainer: each 'pipe' is an AF_UNIX socketpair, one end the
 * container's fd, the other a Node stream in the caller (`handle.stdin` writable, `handle.stdout`/`stderr`
 * readable), so output can be captured without temporary files. The caller's ends are closed with the streams;
 * the container's are closed in the caller once the clone has its copies.
 *
 * Man pages: socketpair(2), unix(7).
 */
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { socketpair } from '@ct/syscalls';
import { ContainerSpecError } from './errors.js';
import type { StdioSpec } from './spec.js';

/** One of the container's 0, 1, 2: a host fd, or 'pipe' for a stream in the caller. */
export type StdioEntry = number | 'pipe';

/** The caller's streams of the 'pipe' entries. */
export interface StdioStreams {
  readonly stdin: Writable | undefined;
  readonly stdout: Readable | undefined;
  readonly stderr: Readable | undefined;
}

/** The fds to give the container, the caller's streams, and their clean-up. */
export interface StdioPipes {
  readonly stdio: StdioSpec | undefined;
  readonly streams: StdioStreams;
  /** Close the container's ends in the caller (after the clone). */
  closeChildEnds(): void;
  /** Close everything (the start failed). */
  destroy(): void;
}

/** Make a socketpair for each 'pipe' of `stdio`. */
export function openStdioPipes(stdio: readonly [StdioEntry, StdioEntry, StdioEntry] | undefined): StdioPipes {
  const childEnds: number[] = [];
  const sockets: (Socket | undefined)[] = [undefined, undefined, undefined];
  const fds = stdio?.map((entry, i) => {
    if (entry !== 'pipe') {
      if (typeof entry !== 'number') throw new ContainerSpecError(`stdio[${i}]`, `not an fd or 'pipe': ${String(entry)}`);
      return entry;
    }
    const [mine, theirs] = socketpair();
    childEnds.push(theirs);
    sockets[i] = new Socket({ fd: mine, readable: i !== 0, writable: i === 0 });
    return theirs;
  });
  const closeChildEnds = (): void => {
    for (const fd of childEnds.splice(0)) closeSync(fd);
  };
  return {
    stdio: fds === undefined ? undefined : [fds[0] ?? 0, fds[1] ?? 1, fds[2] ?? 2],
    streams: { stdin: sockets[0], stdout: sockets[1], stderr: sockets[2] },
    closeChildEnds,
    destroy() {
      closeChildEnds();
      for (const s of sockets) s?.destroy();
    },
  };
}
