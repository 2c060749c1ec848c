/**
 * Relaying the caller's signals to the container (Guix's `#:relayed-signals`). The handlers are installed before
 * the clone (Guix installs them after `run-container` returns, leaving a window); a signal that arrives before
 * the target is attached is held and sent then. runContainer attaches it once the command is exec'd (with ct-init,
 * once ct-init has its handlers), or at the exec FIFO's "created" pause.
 *
 * Each container has its own relay, but the process has one listener per signal (a dispatcher keyed by relay),
 * installed while some relay wants that signal: a program running fifty containers adds seven listeners, not 350
 * (Node warns past ten per signal), and removing one container's relay leaves the others' alone.
 *
 * Man pages: signal(7), pidfd_send_signal(2).
 */

/** Something that can receive a signal (a child handle). */
export interface SignalTarget {
  /** Deliver `signal` to the container (a handle's `kill`). */
  kill(signal: NodeJS.Signals): void;
}

/** An installed relay: attach the target once it exists, remove when the container is gone. */
export interface SignalRelay {
  /** Start forwarding to `target` (and send what arrived before). */
  attach(target: SignalTarget): void;
  /** Stop relaying (the process-wide listener goes with the last relay of its signal). Idempotent. */
  remove(): void;
}

/** The relays of each signal, and the one process listener that feeds them. */
const dispatch = new Map<NodeJS.Signals, { readonly relays: Set<(signal: NodeJS.Signals) => void>; readonly listener: () => void }>();

function subscribe(signal: NodeJS.Signals, deliver: (signal: NodeJS.Signals) => void): void {
  let entry = dispatch.get(signal);
  if (entry === undefined) {
    const relays = new Set<(signal: NodeJS.Signals) => void>();
    const listener = (): void => {
      for (const relay of [...relays]) relay(signal);
    };
    entry = { relays, listener };
    dispatch.set(signal, entry);
    process.on(signal, listener);
  }
  entry.relays.add(deliver);
}

function unsubscribe(signal: NodeJS.Signals, deliver: (signal: NodeJS.Signals) => void): void {
  const entry = dispatch.get(signal);
  if (entry === undefined) return;
  entry.relays.delete(deliver);
  if (entry.relays.size > 0) return;
  process.off(signal, entry.listener);
  dispatch.delete(signal);
}

/** Install a relay of `signals` to one container (through the process-wide dispatcher). */
export function installSignalRelay(signals: readonly NodeJS.Signals[]): SignalRelay {
  let target: SignalTarget | undefined;
  const pending: NodeJS.Signals[] = [];
  const deliver = (signal: NodeJS.Signals): void => {
    if (target === undefined) pending.push(signal);
    else target.kill(signal);
  };
  const own = [...new Set(signals)];
  for (const signal of own) subscribe(signal, deliver);
  let removed = false;
  return {
    attach(t) {
      target = t;
      for (const signal of pending.splice(0)) t.kill(signal);
    },
    remove() {
      if (removed) return;
      removed = true;
      for (const signal of own) unsubscribe(signal, deliver);
    },
  };
}
