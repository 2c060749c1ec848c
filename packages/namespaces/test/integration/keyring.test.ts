/**
 * The session keyring, seen from inside the container by a static probe the test compiles with gcc (keyctl(2)
 * GET_KEYRING_ID and DESCRIBE on the session keyring): runContainer gives a new anonymous keyring by default
 * (runc's permissions), a named one when asked, the caller's with `sessionKeyring: false` and in the Guix-shaped
 * callWithContainer. Runs as root and unprivileged.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, requireFeature } from '@ct/test-utils';
import { callWithContainer, ContainerSpecError, runContainer } from '../../src/index.js';
import { guardContainers, runCaptured, toolSpec } from './helpers.js';

/** The keyring probe's C source (shared with the other keyring suites). */
const KEYPROBE_C = join(repoRoot(), 'packages/syscalls/test/fixtures/keyprobe.c');
const INSIDE = '/bin/keyprobe';

describe('session keyring, from inside the container', function () {
  let dir = ''; // empty when before() skipped
  let probe: string;
  before(function () {
    guardContainers(this);
    requireFeature(this, existsSync('/usr/bin/gcc'), 'gcc (to build the keyring probe)');
    dir = mkdtempSync(join(tmpdir(), 'ct-keyring-'));
    probe = join(dir, 'keyprobe');
    execFileSync('gcc', ['-static', '-O1', '-o', probe, KEYPROBE_C]);
  });
  after(() => { if (dir !== '') rmSync(dir, { recursive: true, force: true }); });

  const parse = (line: string): { serial: string; type: string; perm: string; name: string } => {
    const [serial = '', description = ''] = line.trim().split(' ');
    const [type = '', , , perm = '', name = ''] = description.split(';');
    return { serial, type, perm, name };
  };
  const host = (): ReturnType<typeof parse> => parse(execFileSync(probe, { encoding: 'utf8' }));
  const inside = async (sessionKeyring?: string | false): Promise<ReturnType<typeof parse>> => {
    const r = await runCaptured(toolSpec({ argv: [INSIDE], env: {} }, {
      mounts: [{ type: 'bind', source: probe, target: INSIDE, readOnly: true }],
      ...(sessionKeyring === undefined ? {} : { sessionKeyring }),
    }));
    assert.equal(r.status, 0, r.stdout);
    return parse(r.stdout);
  };

  it('runContainer, by default a new anonymous session keyring with runc\'s permissions (user namespace: other search)', async () => {
    const k = await inside();
    assert.match(k.serial, /^\d+$/);
    assert.notEqual(k.serial, host().serial);
    assert.deepEqual([k.type, k.name, k.perm], ['keyring', '_ses', '3f130008']);
    const again = await inside();
    assert.notEqual(again.serial, k.serial, 'each container its own');
  });

  it('runContainer, sessionKeyring: a name gives a keyring of that name', async () => {
    const k = await inside(`ct-test-${process.pid}`);
    assert.notEqual(k.serial, host().serial);
    assert.equal(k.name, `ct-test-${process.pid}`);
  });

  /**
   * The caller's keyring seen from inside: the same serial when the caller has a session keyring (a login's
   * pam_keyinit "_ses"); without one the kernel falls back to the user-session keyring ("_uid_ses.N", one per
   * user namespace, so another serial) and the container, which joined nothing, gets that fallback too.
   */
  const assertCallers = (k: ReturnType<typeof parse>): void => {
    const h = host();
    if (h.name.startsWith('_uid_ses.')) assert.match(k.name, /^_uid_ses\./, 'no session keyring joined');
    else assert.equal(k.serial, h.serial);
  };

  it('runContainer, sessionKeyring: false keeps the caller\'s keyring', async () => {
    assertCallers(await inside(false));
  });

  it('callWithContainer, the caller\'s keyring (Guix does not touch keyrings)', async () => {
    const out = openSync(join(dir, 'out'), 'w+', 0o600);
    try {
      const spec = toolSpec({ argv: [INSIDE], env: {} }, { mounts: [{ type: 'bind', source: probe, target: INSIDE, readOnly: true }] });
      const status = await callWithContainer(spec.mounts ?? [], spec.command, { consoleTty: null, populate: spec.populate ?? [], stdio: [0, out, 2] });
      assert.equal(status, 0);
      assertCallers(parse(readFileSync(join(dir, 'out'), 'utf8')));
    } finally {
      closeSync(out);
    }
  });

  it('runContainer, an empty keyring name is a ContainerSpecError naming the field', async () => {
    await assert.rejects(runContainer({ command: { argv: ['/x'] }, sessionKeyring: '' }),
      (e: unknown) => e instanceof ContainerSpecError && e.field === 'sessionKeyring');
  });
});
