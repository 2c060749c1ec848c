/**
 * The session keyring, seen from inside by a static probe the test compiles with gcc (keyctl(2) GET_KEYRING_ID and
 * DESCRIBE on the session keyring): by default the container joins a new keyring named `_ses.<id>` (runc's), an
 * exec'd process joins the same one, and `--no-new-keyring` keeps the caller's. As root and unprivileged.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, repoRoot, requireFeature } from '@ct/test-utils';
import { specTemplate } from '@ct/runtime';
import { ciUser, makeBundleDir, removeBundle, Runtime, writeConfig } from './runtime-harness.js';

type Json = Record<string, unknown>;

/** The keyctl probe's source, shared with the syscalls and namespaces keyring tests. */
const KEYPROBE_C = join(repoRoot(), 'packages/syscalls/test/fixtures/keyprobe.c');

/** "serial type;uid;gid;perm;name" → serial and name. */
function parse(line: string): { serial: string; name: string } {
  const [serial = '', description = ''] = line.trim().split(' ');
  return { serial, name: description.split(';')[4] ?? '' };
}

async function check(ct: Runtime, owner: { uid: number; gid: number } | undefined, probe: string): Promise<void> {
  const bundle = await makeBundleDir(join(tmpdir(), 'ct-keyring'), owner);
  const id = `key-${process.pid}`;
  try {
    copyFileSync(probe, join(bundle, 'rootfs/bin/keyprobe'));
    chmodSync(join(bundle, 'rootfs/bin/keyprobe'), 0o755);
    const ids = owner ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const spec = specTemplate({ rootless: owner !== undefined || !isRoot(), uid: ids.uid, gid: ids.gid }) as Json;
    writeConfig(bundle, ['sh', '-c', 'keyprobe; sleep 30'], spec);
    let r = ct.run(['run', '-d', '--bundle', bundle, id]);
    assert.equal(r.status, 0, r.stderr);
    r = ct.run(['exec', id, 'keyprobe']);
    assert.equal(r.status, 0, r.stderr);
    const execed = parse(r.stdout);
    assert.equal(execed.name, `_ses.${id}`, `runc's keyring name: ${r.stdout}`);
    assert.match(execed.serial, /^\d+$/);
    assert.equal(ct.run(['delete', '--force', id]).status, 0);
    // the init's own view, and --no-new-keyring
    writeConfig(bundle, ['keyprobe'], spec);
    r = ct.run(['run', '--bundle', bundle, id]);
    assert.equal(r.status, 0, r.stderr);
    const init = parse(r.stdout);
    assert.equal(init.name, `_ses.${id}`, r.stdout);
    r = ct.run(['run', '--no-new-keyring', '--bundle', bundle, id]);
    assert.equal(r.status, 0, r.stderr);
    assert.notEqual(parse(r.stdout).name, `_ses.${id}`, `the caller's keyring: ${r.stdout}`);
  } finally {
    ct.cleanup([id]);
    removeBundle(bundle);
  }
}

describe('ct session keyring', function () {
  let dir = '';
  let probe = '';
  before(function () {
    requireFeature(this, existsSync('/usr/bin/gcc'), 'gcc (to build the keyring probe)');
    dir = mkdtempSync(join(tmpdir(), 'ct-keyprobe-'));
    chmodSync(dir, 0o755);
    probe = join(dir, 'keyprobe');
    execFileSync('gcc', ['-static', '-O1', '-o', probe, KEYPROBE_C]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('as root @root', () => {
    it('run and exec join _ses.<id>; --no-new-keyring keeps the caller\'s', async function () {
      requireFeature(this, isRoot(), 'needs root');
      await check(new Runtime('ct', mkdtempSync(join(tmpdir(), 'ct-keyring-'))), undefined, probe);
    });
  });

  describe('unprivileged @rootless', () => {
    it('run and exec join _ses.<id>; --no-new-keyring keeps the caller\'s', async function () {
      const user = ciUser();
      if (isRoot()) {
        requireFeature(this, user !== undefined, 'needs the ctci user');
        await check(new Runtime('ct', `/tmp/ct-keyring-ctci-${process.pid}`, user), user, probe);
      } else {
        await check(new Runtime('ct', mkdtempSync(join(tmpdir(), 'ct-keyring-'))), undefined, probe);
      }
    });
  });
});
