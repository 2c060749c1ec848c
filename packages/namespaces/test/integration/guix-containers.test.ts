/**
 * Twins of Guix's tests/containers.scm (GUIX.md §2), numbered as there. Guix's thunks become busybox or ct-probe
 * commands; "the exit value is EINVAL" becomes the probe printing EINVAL.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import {
  callWithContainer, ContainerEvalError, containerExcursion, containerExcursionEval, containerExcursionValue, NamespaceSetupError,
  runContainer, type ContainerHandle,
  type ContainerSpec,
} from '../../src/index.js';
import { BUSYBOX, guardContainers, probe, runCaptured, sh, toolMounts, toolSpec } from './helpers.js';

/** Guix keeps every capability (its test 4 needs CAP_SYS_ADMIN for sethostname): the twins say so explicitly. */
const runGuix = (spec: ContainerSpec): ReturnType<typeof runCaptured> => runCaptured({ capabilities: 'all', ...spec });

const NS = ['user', 'ipc', 'uts', 'net', 'pid', 'mnt'] as const;

describe('containers.scm twins', function () {
  before(function () { guardContainers(this); });

  it('callWithContainer, exit with 0 when there is no error (1)', async () => {
    assert.equal(await callWithContainer([], [BUSYBOX, 'true'], { namespaces: ['user'], consoleTty: null }), 0);
  });
  it('callWithContainer, user namespace (2)', async () => {
    const r = await runGuix({ command: { argv: [BUSYBOX, 'sh', '-c', `${BUSYBOX} id -u; ${BUSYBOX} id -g`] }, namespaces: ['user'] });
    assert.equal(r.stdout, '0\n0\n');
  });
  it('callWithContainer, user namespace, guest UID/GID (3)', async () => {
    const r = await runGuix({ command: { argv: [BUSYBOX, 'sh', '-c', `${BUSYBOX} id -u; ${BUSYBOX} id -g`] },
      namespaces: ['user'], guestUid: 42, guestGid: 77 });
    assert.equal(r.stdout, '42\n77\n');
  });
  it('callWithContainer, uts namespace (4)', async () => {
    const r = await runGuix({ command: { argv: [BUSYBOX, 'sh', '-c', `${BUSYBOX} hostname test-container && ${BUSYBOX} hostname`] },
      namespaces: ['user', 'uts'] });
    assert.deepEqual(r, { status: 0, stdout: 'test-container\n' });
  });
  it('callWithContainer, pid namespace (5)', async () => {
    const r = await runGuix({ command: { argv: [BUSYBOX, 'sh', '-c', `${BUSYBOX} sh -c 'echo $$'; true`] }, namespaces: ['user', 'pid'] });
    assert.equal(r.stdout, '2\n');
  });
  it('callWithContainer, mnt namespace (6)', async () => {
    const r = await runGuix(toolSpec(sh('stat -f -c %T /testing'), {
      namespaces: ['user', 'mnt'], mounts: [{ type: 'tmpfs', target: '/testing' }] }));
    assert.deepEqual(r, { status: 0, stdout: 'tmpfs\n' });
  });
  it('callWithContainer, mnt namespace, locked mounts (7)', async () => {
    const r = await runGuix(toolSpec(probe('umount', '/testing'), {
      namespaces: ['user', 'mnt'], mounts: [{ type: 'tmpfs', target: '/testing' }] }));
    assert.deepEqual(r, { status: 1, stdout: 'EINVAL\n' });
  });
  it('callWithContainer, mnt namespace, wrong bind mount (8)', async () => {
    await assert.rejects(callWithContainer([{ type: 'bind', source: '/does-not-exist', target: '/foo' }], [BUSYBOX, 'true'],
      { namespaces: ['user', 'mnt'] }), (e: unknown) => (e as { code?: string }).code === 'ENOENT'
      && (e as { path?: string }).path === '/does-not-exist');
  });
  it('callWithContainer, all namespaces (9)', async () => {
    assert.equal(await callWithContainer(toolMounts(), [BUSYBOX, 'true'], { consoleTty: null }), 0);
  });
  it('callWithContainer, mnt namespace, root permissions (10)', async () => {
    const r = await runGuix(toolSpec(sh('stat -c %a /'), { namespaces: ['user', 'mnt'] }));
    assert.equal(r.stdout, '755\n');
  });
  it('callWithContainer, mnt namespace, read-only root (11)', async () => {
    const r = await runGuix(toolSpec(sh('test -d /witness && /bin/ct-probe mkdir /whatever'), {
      namespaces: ['user', 'mnt'], populate: [{ op: 'mkdir', path: '/witness', mode: 0o755 }] }));
    assert.deepEqual(r, { status: 1, stdout: 'EROFS\n' });
  });
  it('callWithContainer, mnt namespace, writable root (12)', async () => {
    const r = await runGuix(toolSpec(probe('mkdir', '/whatever'), { namespaces: ['user', 'mnt'], writableRoot: true }));
    assert.deepEqual(r, { status: 0, stdout: 'ok\n' });
  });

  describe('excursions', () => {
    let container: ContainerHandle | undefined;
    afterEach(async () => {
      container?.kill('SIGKILL');
      await container?.wait();
      container = undefined;
    });
    const hostLinks = (pid: number): string => NS.map((n) => `${readlinkSync(`/proc/${pid}/ns/${n}`)}\n`).join('');

    it('containerExcursion (13)', async () => {
      container = await runContainer(toolSpec(sh('sleep 100'), { lockMounts: false }));
      const script = NS.map((n) => `readlink /proc/self/ns/${n}`).join('; ');
      assert.equal(await containerExcursionValue(container.pid, sh(script)), hostLinks(container.pid));
      assert.equal(await containerExcursion(container.pid, sh(script)), 0);
    });
    it('containerExcursion, same namespaces (14)', async () => {
      assert.equal(await containerExcursion(process.pid, [BUSYBOX, 'sh', '-c', 'exit 42']), 42);
    });
    it('containerExcursionValue (15)', async () => {
      container = await runContainer(toolSpec(sh('sleep 100')));
      const script = NS.map((n) => `readlink /proc/1/ns/${n}`).join('; ');
      assert.equal(await containerExcursionValue(container.pid, sh(script)), hostLinks(container.pid));
    });
    it('containerExcursionValue, same namespaces (16)', async () => {
      assert.equal(await containerExcursionValue(process.pid, [BUSYBOX, 'sh', '-c', 'echo $((6 * 7))']), '42\n');
    });
    it('containerExcursion, with locked mounts: the user namespace owning the pid namespace, so hostname works (Guix)', async () => {
      container = await runContainer(toolSpec(sh('sleep 100')));
      assert.equal(await containerExcursionValue(container.pid, sh('hostname excursion && hostname')), 'excursion\n');
    });
    it('containerExcursion, a pid that is gone: status 1 and no value, as Guix; throwIfGone throws', async () => {
      const gone = spawnSync(BUSYBOX, ['sh', '-c', 'echo $$']).stdout.toString().trim();
      assert.equal(await containerExcursion(Number(gone), [BUSYBOX, 'true']), 1);
      assert.equal(await containerExcursionValue(Number(gone), [BUSYBOX, 'true']), undefined);
      await assert.rejects(containerExcursion(Number(gone), [BUSYBOX, 'true'], { throwIfGone: true }),
        (e: unknown) => e instanceof NamespaceSetupError && (e.cause as { code?: string }).code === 'ESRCH');
    });
    it('containerExcursionEval, a JavaScript function in the container\'s namespaces returns its value (container-excursion*)', async () => {
      container = await runContainer(toolSpec(sh('sleep 100'), { hostname: 'inside' }));
      const value = await containerExcursionEval(container.pid, async (file: string) => {
        const { readdirSync, readFileSync } = await import('node:fs');
        const { hostname } = await import('node:os');
        return { pids: readdirSync('/proc').filter((e) => /^\d+$/.test(e)).sort(), host: hostname(), file: readFileSync(file, 'utf8').length > 0 };
      }, '/bin/busybox');
      assert.deepEqual(value, { pids: ['1', '2'], host: 'inside', file: true });
      await assert.rejects(containerExcursionEval(container.pid, () => { throw new RangeError('from inside'); }),
        (e: unknown) => e instanceof ContainerEvalError && e.remoteName === 'RangeError' && /from inside/.test(e.message));
    });
    it('containerExcursionValue, /proc (17)', async () => {
      container = await runContainer(toolSpec(sh('sleep 100')));
      const out = await containerExcursionValue(container.pid, probe('ls', '/proc'));
      assert.deepEqual(out?.split('\n').filter((e) => /^\d+$/.test(e)).sort(), ['1', '2']);
    });
  });
});
