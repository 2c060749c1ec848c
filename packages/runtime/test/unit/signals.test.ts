import { strict as assert } from 'node:assert';
import { parseSignal } from '../../src/signals.js';
import { RuntimeError } from '../../src/errors.js';

describe('signals', () => {
  it('parseSignal, numbers, names, SIG names, lower case', () => {
    assert.equal(parseSignal('9'), 9);
    assert.equal(parseSignal('KILL'), 9);
    assert.equal(parseSignal('SIGKILL'), 9);
    assert.equal(parseSignal('term'), 15);
    assert.equal(parseSignal('SIGRTMIN+2'), 36);
  });
  it('parseSignal, unknown names and out-of-range numbers are EUSAGE', () => {
    for (const bad of ['SIGFOO', '0', '65', '']) {
      assert.throws(() => parseSignal(bad), (e: unknown) => e instanceof RuntimeError && e.code === 'EUSAGE');
    }
  });
});
