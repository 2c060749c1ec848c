import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  checkUnprivilegedUserNamespace, setgroupsSupported, unprivilegedUserNamespaceSupported, userNamespaceSupported,
} from '../../src/probes.js';

describe('probes', () => {
  let procRoot: string;
  const put = (file: string, text: string): void => {
    mkdirSync(dirname(join(procRoot, file)), { recursive: true });
    writeFileSync(join(procRoot, file), text);
  };
  beforeEach(() => { procRoot = mkdtempSync(join(tmpdir(), 'ct-proc-')); });
  afterEach(() => rmSync(procRoot, { recursive: true, force: true }));

  it('userNamespaceSupported, no /proc/self/ns/user', () => {
    assert.equal(userNamespaceSupported({ procRoot }), false);
    assert.equal(unprivilegedUserNamespaceSupported({ procRoot }), false);
  });
  it('userNamespaceSupported, /proc/self/ns/user present', () => {
    put('self/ns/user', '');
    assert.equal(userNamespaceSupported({ procRoot }), true);
    assert.equal(unprivilegedUserNamespaceSupported({ procRoot }), true);
  });
  it('unprivilegedUserNamespaceSupported, unprivileged_userns_clone 0', () => {
    put('self/ns/user', '');
    put('sys/kernel/unprivileged_userns_clone', '0\n');
    const verdict = checkUnprivilegedUserNamespace({ procRoot });
    assert.equal(verdict.supported, false);
    assert.match(verdict.reason ?? '', /unprivileged_userns_clone: 0$/);
  });
  it('unprivilegedUserNamespaceSupported, unprivileged_userns_clone 1', () => {
    put('self/ns/user', '');
    put('sys/kernel/unprivileged_userns_clone', '1\n');
    assert.equal(unprivilegedUserNamespaceSupported({ procRoot }), true);
  });
  it('unprivilegedUserNamespaceSupported, max_user_namespaces 0', () => {
    put('self/ns/user', '');
    put('sys/user/max_user_namespaces', '0\n');
    assert.equal(unprivilegedUserNamespaceSupported({ procRoot }), false);
  });
  it('unprivilegedUserNamespaceSupported, AppArmor restriction on', () => {
    put('self/ns/user', '');
    put('sys/user/max_user_namespaces', '63000\n');
    put('sys/kernel/apparmor_restrict_unprivileged_userns', '1\n');
    assert.match(checkUnprivilegedUserNamespace({ procRoot }).reason ?? '', /apparmor_restrict_unprivileged_userns/);
  });
  it('setgroupsSupported, with and without /proc/self/setgroups', () => {
    assert.equal(setgroupsSupported({ procRoot }), false);
    put('self/setgroups', 'allow\n');
    assert.equal(setgroupsSupported({ procRoot }), true);
  });
  it('probes, the real /proc of this machine', () => {
    assert.equal(userNamespaceSupported(), true);
    assert.equal(setgroupsSupported(), true);
  });
});
