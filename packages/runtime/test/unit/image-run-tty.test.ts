import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { setWindowSize } from '../../src/image-run-tty.js';

describe('image-run-tty', () => {
  it('setWindowSize, resizes a pty master in process (stty reads the size)', () => {
    const m = openSync('/dev/ptmx', constants.O_RDWR | constants.O_NOCTTY);
    try {
      assert.equal(setWindowSize(m, { height: 31, width: 97 }), true);
      assert.equal(execFileSync('stty', ['size'], { stdio: [m, 'pipe', 'pipe'] }).toString().trim(), '31 97');
    } finally {
      closeSync(m);
    }
  });
  it('setWindowSize, a closed master (the container is gone) is no error: false', () => {
    const m = openSync('/dev/ptmx', constants.O_RDWR | constants.O_NOCTTY);
    closeSync(m);
    assert.equal(setWindowSize(m, { height: 10, width: 10 }), false);
  });
});
