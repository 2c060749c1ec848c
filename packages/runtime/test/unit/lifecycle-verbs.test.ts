import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempDir } from '@ct/test-utils';
import { createContext } from '../../src/context.js';
import { containerState, listContainers } from '../../src/container-state.js';
import { killContainer } from '../../src/container-kill.js';
import { deleteContainer } from '../../src/container-delete.js';
import { startContainer } from '../../src/container-start.js';
import { RuntimeError } from '../../src/errors.js';
import { acquireLock } from '../../src/lock.js';
import { specVersion } from '../../src/oci-version.js';
import { readProcStat } from '../../src/proc-stat.js';
import { containerPaths, writeRecord, type ContainerRecord } from '../../src/state-store.js';

// The verbs that only read state and signal (state, list, kill, delete) on a recorded ordinary process: no
// namespaces are needed to check their rules.
describe('lifecycle verbs on a recorded process', () => {
  const root = tempDir('ct-root-');
  const ctx = createContext({ root, log: join(root, 'log.json'), logFormat: 'json' });
  const children: ChildProcess[] = [];
  after(() => { for (const c of children) c.kill('SIGKILL'); });

  function record(id: string, opts: { fifo: boolean }): { rec: ContainerRecord; child: ChildProcess } {
    const child = spawn('sleep', ['100'], { stdio: 'ignore' });
    children.push(child);
    const pid = child.pid ?? 0;
    const paths = containerPaths(root, id);
    mkdirSync(paths.dir, { recursive: true });
    if (opts.fifo) writeFileSync(paths.execFifo, '');
    const rec: ContainerRecord = {
      ociVersion: '1.0.0', id, pid, initStartTime: String(readProcStat(pid)?.startTime), bundle: '/b', rootfs: '/b/rootfs',
      created: new Date().toISOString(), owner: 'me', annotations: { a: 'b' }, rootless: false,
    };
    writeRecord(paths, rec);
    return { rec, child };
  }
  const code = (c: string) => (e: unknown) => e instanceof RuntimeError && e.code === c;
  const exited = (c: ChildProcess) => new Promise<number | null>((r) => c.once('exit', (status) => r(status)));

  it('containerState, a live process without FIFO is running, with runc\'s fields', () => {
    const { rec } = record('run1', { fifo: false });
    const s = containerState(ctx, 'run1');
    assert.deepEqual(Object.keys(s), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner', 'annotations']);
    assert.equal(s.status, 'running');
    assert.equal(s.pid, rec.pid);
  });
  it('containerState, ociVersion is the spec version ct implements (as runc and crun give theirs), not the config\'s', () => {
    record('ver1', { fifo: false });
    assert.equal(containerState(ctx, 'ver1').ociVersion, specVersion);
    assert.notEqual(specVersion, '1.0.0');
  });
  it('containerState, a missing id is ENOCONTAINER saying "does not exist"', () => {
    assert.throws(() => containerState(ctx, 'nope'), (e: unknown) => code('ENOCONTAINER')(e) && /container nope does not exist/.test((e as Error).message));
  });
  it('killContainer, signals the init; the container is then stopped with pid 0', async () => {
    const { child } = record('kill1', { fifo: false });
    const gone = exited(child);
    await killContainer(ctx, 'kill1', 'KILL');
    await gone;
    const s = containerState(ctx, 'kill1');
    assert.equal(s.status, 'stopped');
    assert.equal(s.pid, 0);
  });
  it('killContainer, a stopped container is ENOTRUNNING ("container not running")', async () => {
    await assert.rejects(killContainer(ctx, 'kill1', '9'), (e: unknown) => code('ENOTRUNNING')(e) && /container not running/.test((e as Error).message));
  });
  it('killContainer --all, a stopped container is accepted (runc 1.2) and what is left in its cgroup is signalled', async () => {
    await killContainer(ctx, 'kill1', '9', { all: true });
    // an exec'd process that outlived the init (shared pid namespace) in the container's (here: a fake) cgroup
    const left = spawn('sleep', ['100'], { stdio: 'ignore' });
    children.push(left);
    const gone = exited(left);
    const cgroup = tempDir('ct-fake-cgroup-');
    writeFileSync(join(cgroup, 'cgroup.procs'), `${left.pid}\n`);
    const paths = containerPaths(root, 'kill1');
    writeRecord(paths, { ...JSON.parse(readFileSync(paths.state, 'utf8')) as ContainerRecord, cgroupPaths: [cgroup], cgroupRoot: tmpdir() });
    assert.equal(containerState(ctx, 'kill1').status, 'stopped');
    await killContainer(ctx, 'kill1', 'KILL', { all: true });
    assert.equal(await gone, null);
    assert.equal(left.signalCode, 'SIGKILL');
  });
  it('killContainer, a recycled pid (start time changed) is never signalled', async () => {
    const { rec, child } = record('recycled', { fifo: false });
    writeRecord(containerPaths(root, 'recycled'), { ...rec, initStartTime: '1' });
    await assert.rejects(killContainer(ctx, 'recycled', 'KILL'), code('ENOTRUNNING'));
    assert.equal(child.exitCode, null);
    assert.equal(readProcStat(rec.pid)?.state !== undefined, true);
  });
  it('deleteContainer, a running container needs --force (EBADSTATE)', async () => {
    record('del1', { fifo: false });
    await assert.rejects(deleteContainer(ctx, 'del1'), code('EBADSTATE'));
    assert.equal(existsSync(join(root, 'del1')), true);
  });
  it('deleteContainer, --force kills and removes the state', async () => {
    const { child } = record('del2', { fifo: false });
    const gone = exited(child);
    await deleteContainer(ctx, 'del2', { force: true });
    await gone;
    assert.equal(existsSync(join(root, 'del2')), false);
  });
  it('deleteContainer, a created container (FIFO present) is deleted without --force', async () => {
    const { child } = record('created1', { fifo: true });
    assert.equal(containerState(ctx, 'created1').status, 'created');
    const gone = exited(child);
    await deleteContainer(ctx, 'created1');
    await gone;
    assert.equal(existsSync(join(root, 'created1')), false);
  });
  it('deleteContainer, --force clears a directory a killed create left without state.json', async () => {
    mkdirSync(join(root, 'half'), { recursive: true });
    await assert.rejects(deleteContainer(ctx, 'half'), code('ENOCONTAINER'));
    await deleteContainer(ctx, 'half', { force: true });
    assert.equal(existsSync(join(root, 'half')), false);
  });
  it('deleteContainer, --force of a container that does not exist succeeds (runc and crun exit 0), without it ENOCONTAINER', async () => {
    await assert.rejects(deleteContainer(ctx, 'never-made'), code('ENOCONTAINER'));
    await deleteContainer(ctx, 'never-made', { force: true });
    assert.equal(existsSync(join(root, 'never-made')), false);
  });
  it('startContainer, returns once the init (holding the FIFO read-write) has taken the byte and closed the FIFO', async () => {
    const { child } = record('late', { fifo: false });
    const paths = containerPaths(root, 'late');
    spawnSync('mkfifo', [paths.execFifo]);
    const took = join(root, 'late-took');
    // the stand-in for ct-exec-fifo: holds the FIFO read-write (as create opens it for the init; nothing reopens it
    // by path), reads the byte only 300 ms after it is ready, marks that, then closes the FIFO
    const script = `const fs=require('fs');const fd=fs.openSync(process.argv[1],'r+');process.stdout.write('ready');` +
      `setTimeout(()=>{const b=Buffer.alloc(1);fs.readSync(fd,b);fs.writeFileSync(process.argv[2],b);fs.closeSync(fd);},300)`;
    const init = spawn(process.execPath, ['-e', script, paths.execFifo, took], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(init);
    const initDone = exited(init);
    await new Promise((r) => init.stdout?.once('data', r));
    await startContainer(ctx, 'late');
    assert.equal(readFileSync(took, 'utf8'), '0', 'the init had read the byte when start returned');
    assert.equal(containerState(ctx, 'late').status, 'running');
    assert.equal(await initDone, 0);
    child.kill('SIGKILL');
  });
  it('startContainer, an init that no longer holds the FIFO is ENOTRUNNING, not a hang', async () => {
    const { child } = record('dies', { fifo: false });
    const paths = containerPaths(root, 'dies');
    spawnSync('mkfifo', [paths.execFifo]);
    await assert.rejects(startContainer(ctx, 'dies'), code('ENOTRUNNING'));
    child.kill('SIGKILL');
  });
  it('listContainers, lists every container with its live status', () => {
    const ids = listContainers(ctx).map((s) => `${s.id}:${s.status}`);
    assert.ok(ids.includes('run1:running'));
    assert.ok(ids.includes('kill1:stopped'));
  });
  it('logger, an error line in json has level, msg and time', () => {
    ctx.logger.log('error', 'container x does not exist');
    const lines = readFileSync(join(root, 'log.json'), 'utf8').trim().split('\n');
    const last = JSON.parse(lines[lines.length - 1] ?? '{}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(last), ['level', 'msg', 'time']);
    assert.equal(last['level'], 'error');
    assert.match(String(last['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
  it('acquireLock, a second taker waits until the first releases', async () => {
    const path = join(root, 'lockfile');
    const first = await acquireLock(path);
    let secondHeld = false;
    const second = acquireLock(path).then((l) => { secondHeld = true; return l; });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(secondHeld, false);
    first.release();
    (await second).release();
    assert.equal(secondHeld, true);
  });
});
