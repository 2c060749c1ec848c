/**
 * OCI hooks through `ct create/start/delete`: all six kinds run in order with the state JSON on stdin (each hook
 * appends its kind, the state's status and id to a log), the container kinds in the container's namespaces (they
 * see its hostname; createContainer runs before pivot_root, so its paths are the host's, as runc runs it), a timeout
 * kills a hook, a failing create-time hook destroys the container and names the hook, a failing poststop is only a
 * warning.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import { specTemplate } from '@ct/runtime';
import { ciUser, makeBundleDir, readConfig, removeBundle, Runtime, writeConfig } from './runtime-harness.js';

type Json = Record<string, unknown>;

/** A host hook: /bin/sh appending `kind status id` (from the state on stdin) to `log`. */
function hostHook(kind: string, log: string): Json {
  return {
    path: '/bin/sh',
    args: ['sh', '-c', `read -r s; st=$(echo "$s" | sed 's/.*"status":"\\([a-z]*\\)".*/\\1/'); id=$(echo "$s" | sed 's/.*"id":"\\([^"]*\\)".*/\\1/'); echo "${kind} $st $id" >> ${log}`],
    env: ['PATH=/usr/bin:/bin'],
  };
}

/**
 * A container hook writing its state and the hostname it sees into `dir`: /tmp of the rootfs as the container sees
 * it (startContainer, after pivot_root), or that directory's host path (createContainer, before pivot_root).
 */
function containerHook(kind: string, dir = '/tmp'): Json {
  return { path: '/bin/sh', args: ['sh', '-c', `cat > ${dir}/${kind}.state; hostname > ${dir}/${kind}.host`], env: ['PATH=/bin:/usr/bin'] };
}

async function allKinds(ct: Runtime, owner: { uid: number; gid: number } | undefined): Promise<void> {
  const bundle = await makeBundleDir(join(tmpdir(), 'ct-hooks'), owner);
  const log = join(bundle, 'hooks.log');
  const id = `hooks-${process.pid}`;
  try {
    const ids = owner ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    writeConfig(bundle, ['sleep', '30'], specTemplate({ rootless: owner !== undefined || !isRoot(), uid: ids.uid, gid: ids.gid }) as Json);
    const c = readConfig(bundle);
    (c['root'] as Json)['readonly'] = false;
    c['hooks'] = {
      prestart: [hostHook('prestart', log)], createRuntime: [hostHook('createRuntime', log)],
      createContainer: [containerHook('createContainer', join(bundle, 'rootfs/tmp'))], startContainer: [containerHook('startContainer')],
      poststart: [hostHook('poststart', log)], poststop: [hostHook('poststop', log)],
    };
    writeConfig(bundle, ['sleep', '30'], c);
    chmodSync(join(bundle, 'config.json'), 0o644);
    assert.equal(ct.run(['create', '--bundle', bundle, id]).status, 0);
    assert.equal(readFileSync(log, 'utf8'), `prestart created ${id}\ncreateRuntime creating ${id}\n`);
    const created = JSON.parse(readFileSync(join(bundle, 'rootfs/tmp/createContainer.state'), 'utf8')) as Json;
    assert.equal(created['id'], id);
    assert.equal(created['bundle'], bundle);
    assert.equal(readFileSync(join(bundle, 'rootfs/tmp/createContainer.host'), 'utf8'), 'ct\n', 'in the container\'s uts namespace');
    assert.equal(existsSync(join(bundle, 'rootfs/tmp/startContainer.state')), false, 'not before start');
    assert.equal(ct.run(['start', id]).status, 0);
    assert.equal(readFileSync(join(bundle, 'rootfs/tmp/startContainer.host'), 'utf8'), 'ct\n');
    assert.match(readFileSync(log, 'utf8'), new RegExp(`poststart running ${id}\\n$`));
    assert.equal(ct.run(['delete', '--force', id]).status, 0);
    assert.match(readFileSync(log, 'utf8'), new RegExp(`poststop stopped ${id}\\n$`));
  } finally {
    ct.cleanup([id]);
    removeBundle(bundle);
  }
}

describe('ct hooks @root', () => {
  it('hooks, all six kinds in order with the state on stdin; container kinds inside the container', async function () {
    requireFeature(this, isRoot(), 'needs root');
    await allKinds(new Runtime('ct', mkdtempSync(join(tmpdir(), 'ct-hooks-'))), undefined);
  });
  it('hooks, a failing createRuntime hook destroys the container; a timeout kills; a failing poststop is a warning', async function () {
    requireFeature(this, isRoot(), 'needs root');
    const bundle = await makeBundleDir(join(tmpdir(), 'ct-hooks'));
    const ct = new Runtime('ct', mkdtempSync(join(tmpdir(), 'ct-hooks-')));
    const id = `hookfail-${process.pid}`;
    try {
      writeConfig(bundle, ['sleep', '30'], specTemplate({}) as Json);
      const c = readConfig(bundle);
      c['hooks'] = { createRuntime: [{ path: '/bin/false' }] };
      writeConfig(bundle, ['sleep', '30'], c);
      let r = ct.run(['create', '--bundle', bundle, id]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /createRuntime hook 0: \/bin\/false: exit status 1/);
      assert.equal(ct.run(['state', id]).status, 1, 'no container left');
      c['hooks'] = { prestart: [{ path: '/bin/sleep', args: ['sleep', '10'], timeout: 1 }] };
      writeConfig(bundle, ['sleep', '30'], c);
      const t0 = Date.now();
      r = ct.run(['create', '--bundle', bundle, id]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /prestart hook 0: \/bin\/sleep: timed out after 1s/);
      assert.ok(Date.now() - t0 < 8000, 'killed at its timeout');
      const script = join(bundle, 'stdin-copy.sh');
      writeFileSync(script, '#!/bin/sh\ncat > "$1"\nexit 3\n');
      chmodSync(script, 0o755);
      c['hooks'] = { poststop: [{ path: script, args: ['stdin-copy', join(bundle, 'poststop.state')] }] };
      writeConfig(bundle, ['sleep', '30'], c);
      assert.equal(ct.run(['create', '--bundle', bundle, id]).status, 0);
      r = ct.run(['delete', '--force', id]);
      assert.equal(r.status, 0, 'a failing poststop does not fail delete');
      assert.match(r.stderr, /poststop hook 0: .*exit status 3/);
      assert.equal((JSON.parse(readFileSync(join(bundle, 'poststop.state'), 'utf8')) as Json)['status'], 'stopped');
    } finally {
      ct.cleanup([id]);
      removeBundle(bundle);
    }
  });
});

describe('ct hooks unprivileged @rootless', () => {
  it('hooks, all six kinds in order with the state on stdin; container kinds inside the container', async function () {
    const user = ciUser();
    if (isRoot()) {
      requireFeature(this, user !== undefined, 'needs the ctci user');
      await allKinds(new Runtime('ct', `/tmp/ct-hooks-ctci-${process.pid}`, user), user);
    } else {
      await allKinds(new Runtime('ct', mkdtempSync(join(tmpdir(), 'ct-hooks-'))), undefined);
    }
  });
});
