import assert from 'node:assert/strict';
import { withDefaults } from '../../src/spec.js';
import { ContainerSpecError } from '../../src/errors.js';

const cmd = { argv: ['/bin/true'] };
const fieldOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ContainerSpecError) return e.field;
    throw e;
  }
  return 'no error';
};

describe('withDefaults', () => {
  it('withDefaults, Guix defaults', () => {
    const s = withDefaults({ command: cmd });
    assert.deepEqual(s.namespaces.map((n) => n.kind), ['cgroup', 'mnt', 'pid', 'ipc', 'uts', 'user', 'net']);
    assert.deepEqual(s.root, { kind: 'tmpfs' });
    assert.equal(s.writableRoot, false);
    assert.equal(s.lockMounts, true);
    assert.equal(s.loopbackNetwork, true);
    assert.equal(s.init, false);
    assert.equal(s.guestUid, 0);
    assert.equal(s.command.cwd, '/');
    assert.equal(s.writeEtcHosts, '127.0.0.1 localhost\n::1 localhost\n');
    assert.deepEqual(s.relayedSignals, ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH']);
  });
  it('withDefaults, lock mounts only with new user and mnt namespaces', () => {
    assert.equal(withDefaults({ command: cmd, namespaces: ['user'], root: { kind: 'host' } }).lockMounts, false);
  });
  it('withDefaults, no mnt namespace means the host root, as Guix', () => {
    assert.deepEqual(withDefaults({ command: cmd, namespaces: ['user'] }).root, { kind: 'host' });
  });
  it('withDefaults, childIsPid1 false means init', () => {
    assert.equal(withDefaults({ command: cmd, childIsPid1: false }).init, true);
  });
  it('withDefaults, joined namespace by path', () => {
    const s = withDefaults({ command: cmd, namespaces: ['mnt', 'pid', { kind: 'net', path: '/proc/1/ns/net' }] });
    assert.deepEqual(s.namespaces[2], { kind: 'net', path: '/proc/1/ns/net' });
    assert.equal(s.writeEtcHosts, undefined);
  });
  it('withDefaults, joined namespaces beside a new user namespace, and new ones in a joined one (runc\'s order)', () => {
    assert.doesNotThrow(() => withDefaults({ command: cmd, namespaces: ['user', 'mnt', { kind: 'net', path: '/proc/1/ns/net' }] }));
    assert.doesNotThrow(() => withDefaults({ command: cmd, namespaces: [{ kind: 'user', path: '/proc/1/ns/user' }, 'mnt'] }));
  });
  it('withDefaults, a new user namespace mounting in a joined mnt namespace is refused', () => {
    assert.equal(fieldOf(() => withDefaults({ command: cmd, namespaces: ['user', { kind: 'mnt', path: '/proc/1/ns/mnt' }] })), 'namespaces');
  });
  it('withDefaults, id maps for a joined user namespace are refused', () => {
    const maps = { uidMap: [{ inside: 0, outside: 0, count: 1 }], gidMap: [{ inside: 0, outside: 0, count: 1 }] };
    assert.equal(fieldOf(() => withDefaults({ command: cmd, namespaces: [{ kind: 'user', path: '/proc/1/ns/user' }, 'mnt'], ...maps })), 'uidMap');
  });
  it('withDefaults, a hostname with a joined uts namespace', () => {
    assert.equal(withDefaults({ command: cmd, namespaces: ['mnt', { kind: 'uts', path: '/proc/1/ns/uts' }], hostname: 'h' }).hostname, 'h');
  });
  it('withDefaults, errors name the field', () => {
    assert.equal(fieldOf(() => withDefaults({ command: { argv: [] } })), 'command.argv');
    assert.equal(fieldOf(() => withDefaults({ command: cmd, mounts: [{ type: 'tmpfs', target: 'tmp' }] })), 'mounts[0].target');
    assert.equal(fieldOf(() => withDefaults({ command: cmd, namespaces: ['user', 'user'] })), 'namespaces[1]');
    assert.equal(fieldOf(() => withDefaults({ command: cmd, namespaces: ['user'], hostname: 'x', root: { kind: 'host' } })), 'hostname');
    assert.equal(fieldOf(() => withDefaults({ command: cmd, init: true, childIsPid1: true })), 'init');
    assert.equal(fieldOf(() => withDefaults({ command: cmd, guestUid: -1 })), 'guestUid');
    assert.equal(fieldOf(() => withDefaults({ command: cmd, namespaces: ['user'], root: { kind: 'tmpfs' } })), 'root');
  });
});
