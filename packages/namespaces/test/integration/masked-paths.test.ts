/**
 * OCI masked and read-only paths from inside the container, runc's chroot path (--no-pivot), the exec FIFO
 * create/start split, and fd hygiene over many containers.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, NamespaceSetupError, runContainer,
} from '../../src/index.js';
import { isRoot } from '@ct/test-utils';
import { guardContainers, probe, runCaptured, sh, toolSpec } from './helpers.js';

describe('masked and read-only paths, from inside the container', function () {
  before(function () { guardContainers(this); });
  const defaults = { maskedPaths: DEFAULT_MASKED_PATHS, readonlyPaths: DEFAULT_READONLY_PATHS };

  it('runContainer, /proc/keys reads empty and /sys/firmware lists nothing when masked', async () => {
    const masked = await runCaptured(toolSpec(sh('wc -c < /proc/keys; ls /sys/firmware | wc -l'), defaults));
    assert.equal(masked.stdout.replace(/ +/g, ''), '0\n0\n');
  });

  it('runContainer, /proc/timer_list has content when not masked', async () => {
    const plain = await runCaptured(toolSpec(probe('cat', '/proc/timer_list')));
    assert.ok(plain.stdout.length > 0);
    const masked = await runCaptured(toolSpec(probe('cat', '/proc/timer_list'), defaults));
    assert.equal(masked.stdout, '');
  });

  it('runContainer, a masked directory is an empty read-only tmpfs', async () => {
    const r = await runCaptured(toolSpec(probe('mkdir', '/sys/firmware/x'), defaults));
    assert.match(r.stdout, /EROFS/);
  });

  it('runContainer, /proc/sys refuses writes with EROFS when read-only', async () => {
    const r = await runCaptured(toolSpec(probe('write', '/proc/sys/kernel/hostname', 'nope'), defaults));
    assert.match(r.stdout, /EROFS/);
    // Without the read-only bind the same write reaches the permission check: allowed for root, EACCES for a
    // container whose root is not the host's (the file belongs to the initial namespace's root).
    const writable = await runCaptured(toolSpec(probe('write', '/proc/sys/kernel/hostname', 'yes')));
    assert.equal(writable.stdout, isRoot() ? 'ok\n' : 'EACCES\n');
  });

  it('runContainer, a path missing in the container is skipped', async () => {
    const r = await runCaptured(toolSpec(probe('exit', '0'), { maskedPaths: ['/proc/no-such-file', '/nothing/here'], readonlyPaths: ['/nope'] }));
    assert.equal(r.status, 0);
  });

  it('runContainer, a path hidden by an earlier mask is skipped in the child (/sys/firmware, then /sys/firmware/memmap)', async function () {
    if (!existsSync('/sys/firmware/memmap')) this.skip(); // the host-side look-up must find it: a firmware without memmap
    const r = await runCaptured(toolSpec(sh('ls /sys/firmware | wc -l'), { maskedPaths: ['/sys/firmware', '/sys/firmware/memmap'] }));
    assert.equal(r.status, 0);
    assert.equal(r.stdout.trim(), '0');
  });

  it('runContainer, masks resolve inside a rootfs whose symlink points at the host', async function () {
    const rootfs = mkdtempSync(join(tmpdir(), 'ct-rootfs-'));
    const victim = mkdtempSync(join(tmpdir(), 'ct-victim-'));
    try {
      execFileSync('sh', ['-c', `mkdir -p ${rootfs}/bin ${rootfs}/etc && cp /bin/busybox ${rootfs}/bin/ && echo secret > ${rootfs}/etc/file && ln -s ${victim} ${rootfs}/escape && echo host > ${victim}/data && chmod -R a+rX ${rootfs}`]);
      const r = await runCaptured({
        root: { kind: 'rootfs', path: rootfs }, consoleTty: null,
        command: { argv: ['/bin/busybox', 'sh', '-c', 'cat /etc/file; echo .; cat /escape/data 2>&1 | head -1'] },
        maskedPaths: ['/etc/file'], readonlyPaths: ['/escape'],
      });
      assert.equal(r.stdout.split('\n')[0], '.');
      assert.equal(readFileSync(join(victim, 'data'), 'utf8'), 'host\n');
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
      rmSync(victim, { recursive: true, force: true });
    }
  });
});

describe('root switch, exec fifo and fd hygiene', function () {
  before(function () { guardContainers(this); });

  it('runContainer, noPivotRoot chroots: / is the container root', async () => {
    const r = await runCaptured(toolSpec(sh('ls /bin | grep -c ct-probe; test -e /work && echo host-visible || echo isolated'), { noPivotRoot: true, lockMounts: false }));
    assert.equal(r.stdout, '1\nisolated\n');
  });

  it('runContainer, execFifo resolves at created and execs only once the FIFO is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-fifo-'));
    const fifo = join(dir, 'exec.fifo');
    execFileSync('mkfifo', ['-m', '0622', fifo]);
    const out = openSync(join(dir, 'out'), 'w+');
    try {
      const handle = await runContainer(toolSpec(sh('echo started'), { execFifo: fifo, stdio: [0, out, 2] }));
      await new Promise((r) => { setTimeout(r, 200); });
      assert.equal(readFileSync(join(dir, 'out'), 'utf8'), '', 'must not run before start');
      const reader = openSync(fifo, 'r');
      const byte = Buffer.alloc(1);
      const { readSync } = await import('node:fs');
      assert.equal(readSync(reader, byte), 1);
      closeSync(reader);
      await handle.execed();
      assert.equal((await handle.wait()).status, 0);
      assert.equal(readFileSync(join(dir, 'out'), 'utf8'), 'started\n');
    } finally {
      closeSync(out);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runContainer, execWrapper: a host program exec\'d by fd runs first and execs the command', async () => {
    const r = await runCaptured(toolSpec(probe('pid'), {
      execWrapper: { path: '/usr/bin/busybox', // not inside the container: /usr is absent there
      argv: ['sh', '-c', 'echo wrapped; exec "$@"', 'wrap'] },
    }));
    assert.equal(r.stdout, 'wrapped\n1\n');
  });

  it('runContainer, execFifo that does not exist fails before any clone with ENOENT', async () => {
    await assert.rejects(runContainer(toolSpec(sh('true'), { execFifo: '/nonexistent/fifo' })), (e: unknown) => (e as { code?: string }).code === 'ENOENT');
  });

  it('runContainer, 50 containers leave the fd count and the temp dirs as they were', async function () {
    this.timeout(120000);
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const roots = (): number => readdirSync(tmpdir()).filter((n) => n.startsWith('ct-root-')).length;
    await runCaptured(toolSpec(probe('exit', '0')));
    const before = { fds: fds(), roots: roots() };
    for (let i = 0; i < 50; i++) {
      const r = await runCaptured(toolSpec(probe('exit', '0'), { capabilities: ['CAP_KILL'], rlimits: [{ type: 'RLIMIT_NOFILE', soft: 64n, hard: 64n }] }));
      assert.equal(r.status, 0);
    }
    await assert.rejects(runContainer(toolSpec(probe('x'), { command: { argv: ['/nope'] } })), NamespaceSetupError);
    // Sockets of the last child close on a later tick: give them a moment; a leak would stay.
    for (let i = 0; i < 20 && fds() > before.fds; i++) await new Promise((r) => { setTimeout(r, 50); });
    // At most as many as before: an earlier suite's socket may close during the loop (seen under CI), a leak of
    // ours would add one per container.
    assert.ok(fds() <= before.fds, `fds: ${fds()} after, ${before.fds} before`);
    assert.equal(roots(), before.roots);
  });
});
