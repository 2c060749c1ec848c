import { strict as assert } from 'node:assert';
import { geteuid } from '../../src/index.js';

describe('geteuid', () => {
  it('geteuid, matches process.geteuid', () => {
    assert.equal(geteuid(), process.geteuid!());
  });
});
