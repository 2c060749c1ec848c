/**
 * Signal relays per container through one process-wide dispatcher (issue 19): each relay gets the signals it asked
 * for, held until its target is attached; the process has one listener per signal however many relays there are,
 * and it goes with the last relay of that signal.
 */
import assert from 'node:assert/strict';
import { installSignalRelay } from '../../src/signal-relay.js';

describe('signal relays', () => {
  // signals no other test relays (process.emit calls the listeners only: nothing is really sent)
  const signal = 'SIGPWR';

  it('installSignalRelay, twelve relays add one process listener per signal; removing them all removes it', () => {
    const base = process.listenerCount(signal);
    const relays = Array.from({ length: 12 }, () => installSignalRelay([signal, 'SIGXFSZ']));
    assert.equal(process.listenerCount(signal), base + 1);
    assert.equal(process.listenerCount('SIGXFSZ'), 1);
    relays.slice(1).forEach((r) => r.remove());
    assert.equal(process.listenerCount(signal), base + 1, 'one relay left');
    relays[0]?.remove();
    relays[0]?.remove();
    assert.equal(process.listenerCount(signal), base);
    assert.equal(process.listenerCount('SIGXFSZ'), 0);
  });

  it('installSignalRelay, each relay gets the signal, held until its target is attached; a removed one gets none', () => {
    const got: string[] = [];
    const target = (name: string) => ({ kill: (s: NodeJS.Signals) => { got.push(`${name}:${s}`); } });
    const a = installSignalRelay([signal]);
    const b = installSignalRelay([signal]);
    const c = installSignalRelay(['SIGXFSZ']);
    a.attach(target('a'));
    c.attach(target('c'));
    process.emit(signal, signal);
    assert.deepEqual(got, [`a:${signal}`], 'b holds it, c did not ask for it');
    b.attach(target('b'));
    assert.deepEqual(got, [`a:${signal}`, `b:${signal}`]);
    a.remove();
    process.emit(signal, signal);
    assert.deepEqual(got, [`a:${signal}`, `b:${signal}`, `b:${signal}`]);
    b.remove();
    c.remove();
  });
});
