import assert from 'node:assert/strict';
import { NAMESPACES, namespacesToBitMask } from '../../src/namespaces.js';
import { purifyEnvironment } from '../../src/environment.js';

describe('namespaces', () => {
  it('NAMESPACES, Guix order without time', () => {
    assert.deepEqual([...NAMESPACES], ['cgroup', 'mnt', 'pid', 'ipc', 'uts', 'user', 'net']);
  });
  it('namespacesToBitMask, all default namespaces', () => {
    assert.equal(namespacesToBitMask(NAMESPACES), 0x7e020000);
  });
  it('namespacesToBitMask, user only with SIGCHLD as Guix', () => {
    assert.equal(namespacesToBitMask(['user'], true), 0x10000000 | 17);
  });
  it('namespacesToBitMask, time when asked', () => {
    assert.equal(namespacesToBitMask(['time', 'mnt']), 0x80 | 0x20000);
  });
  it('namespacesToBitMask, unknown kind', () => {
    assert.throws(() => namespacesToBitMask(['bogus' as never]), TypeError);
  });
});

describe('purifyEnvironment', () => {
  it('purifyEnvironment, nothing given is empty', () => {
    assert.deepEqual(purifyEnvironment({}, [], { HOME: '/root', PATH: '/bin' }), []);
  });
  it('purifyEnvironment, explicit variables only', () => {
    assert.deepEqual(purifyEnvironment({ A: '1', B: 'x=y' }, [], { HOME: '/root' }), ['A=1', 'B=x=y']);
  });
  it('purifyEnvironment, -E ^FOO keeps FOOBAR', () => {
    const env = purifyEnvironment({ A: '1' }, [/^FOO/], { FOOBAR: 'yes', BAR: 'no' });
    assert.deepEqual(env, ['FOOBAR=yes', 'A=1']);
  });
  it('purifyEnvironment, explicit value wins over preserved', () => {
    assert.deepEqual(purifyEnvironment({ FOO: 'mine' }, [/^FOO$/], { FOO: 'host' }), ['FOO=mine']);
  });
  it('purifyEnvironment, invalid name', () => {
    assert.throws(() => purifyEnvironment({ 'A=B': '1' }), TypeError);
  });
});
