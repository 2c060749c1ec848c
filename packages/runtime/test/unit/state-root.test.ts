import { strict as assert } from 'node:assert';
import { resolveStateRoot } from '../../src/state-root.js';
import { isInUserNamespace, isRootless } from '../../src/rootless.js';

const initialMap = '         0          0 4294967295\n';
const foreignMap = '         0       1000          1\n';
const none = (): undefined => undefined;

describe('state root', () => {
  it('resolveStateRoot, --root wins and is made absolute', () => {
    const r = resolveStateRoot({ root: 'rel/dir', env: {}, identity: { euid: 1000, uidMap: initialMap }, dirOwner: none });
    assert.equal(r.reason, 'flag');
    assert.equal(r.path, `${process.cwd()}/rel/dir`);
  });
  it('resolveStateRoot, real root uses /run/ct even with XDG_RUNTIME_DIR set', () => {
    const r = resolveStateRoot({ env: { XDG_RUNTIME_DIR: '/run/user/0' }, identity: { euid: 0, uidMap: initialMap } });
    assert.deepEqual(r, { path: '/run/ct', reason: 'root' });
  });
  it('resolveStateRoot, unprivileged user uses $XDG_RUNTIME_DIR/ct', () => {
    const r = resolveStateRoot({ env: { XDG_RUNTIME_DIR: '/run/user/1000' }, identity: { euid: 1000, uidMap: initialMap } });
    assert.deepEqual(r, { path: '/run/user/1000/ct', reason: 'xdg-runtime-dir' });
  });
  it('resolveStateRoot, unprivileged without XDG_RUNTIME_DIR falls back to /run/user/UID when it is ours', () => {
    const r = resolveStateRoot({ env: {}, identity: { euid: 1000, uidMap: initialMap }, dirOwner: (p) => (p === '/run/user/1000' ? 1000 : undefined) });
    assert.deepEqual(r, { path: '/run/user/1000/ct', reason: 'run-user' });
  });
  it('resolveStateRoot, /run/user/UID owned by someone else is not used', () => {
    const r = resolveStateRoot({ env: { TMPDIR: '/var/tmp' }, identity: { euid: 1000, uidMap: initialMap }, dirOwner: () => 0 });
    assert.deepEqual(r, { path: '/var/tmp/ct-1000', reason: 'tmpdir' });
  });
  it('resolveStateRoot, euid 0 in a foreign user namespace honours XDG_RUNTIME_DIR', () => {
    const r = resolveStateRoot({ env: { XDG_RUNTIME_DIR: '/run/user/1000', USER: 'alice' }, identity: { euid: 0, uidMap: foreignMap } });
    assert.deepEqual(r, { path: '/run/user/1000/ct', reason: 'xdg-runtime-dir' });
  });
  it('resolveStateRoot, euid 0 in a foreign user namespace with USER=root ignores XDG_RUNTIME_DIR', () => {
    const r = resolveStateRoot({ env: { XDG_RUNTIME_DIR: '/run/user/1000', USER: 'root', TMPDIR: '/tmp' }, identity: { euid: 0, uidMap: foreignMap }, dirOwner: none });
    assert.deepEqual(r, { path: '/tmp/ct-0', reason: 'tmpdir' });
  });
  it('isInUserNamespace, the initial map is not a user namespace', () => {
    assert.equal(isInUserNamespace(initialMap), false);
    assert.equal(isInUserNamespace(foreignMap), true);
    assert.equal(isInUserNamespace('0 0 4294967295\n1 1 1\n'), true);
    assert.equal(isInUserNamespace(undefined), false);
  });
  it('isRootless, auto follows euid and uid_map; true/false force it', () => {
    assert.equal(isRootless({ euid: 0, uidMap: initialMap }), false);
    assert.equal(isRootless({ euid: 0, uidMap: foreignMap }), true);
    assert.equal(isRootless({ euid: 1000, uidMap: initialMap }), true);
    assert.equal(isRootless({ euid: 0, uidMap: initialMap }, 'true'), true);
    assert.equal(isRootless({ euid: 1000, uidMap: initialMap }, 'false'), false);
  });
});
