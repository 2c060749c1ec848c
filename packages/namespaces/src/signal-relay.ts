/**
 * Relaying the caller's signals to the container (Guix's `#:relayed-signals`). The handlers are installed before
 * the clone (Guix installs them after `run-container` returns, leaving a window); a signal that arrives before
 * the target is attached is held and sent then. runContainer attaches it once the command is exec'd (with ct-init,
 * once ct-init has its handlers), or at the exec FIFO's "created" pause.
 *
 * Man pages: signal(7), pidfd_send_signal(2).
 */

/** Something that can receive a signal (a child handle). */
export interface SignalTarget {
  kill(signal: NodeJS.Signals): void;
}

/** An installed relay: attach the target once it exists, remove when the container is gone. */
export interface SignalRelay {
  /** Start forwarding to `target` (and send what arrived before). */
  attach(target: SignalTarget): void;
  /** Remove the handlers. Idempotent. */
  remove(): void;
}

/** Install handlers for `signals` that forward to the container. */
export function installSignalRelay(signals: readonly NodeJS.Signals[]): SignalRelay {
  let target: SignalTarget | undefined;
  const pending: NodeJS.Signals[] = [];
  const handlers = signals.map((signal) => {
    const handler = (): void => {
      if (target === undefined) pending.push(signal);
      else target.kill(signal);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  let removed = false;
  return {
    attach(t) {
      target = t;
      for (const signal of pending.splice(0)) t.kill(signal);
    },
    remove() {
      if (removed) return;
      removed = true;
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
  };
}
