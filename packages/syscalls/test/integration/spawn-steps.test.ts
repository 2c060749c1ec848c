import { strict as assert } from 'node:assert';
import { chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import {
  CAP, CLONE, MOUNT_ATTR, MS, RLIMIT, S, SyscallError, spawn, type ChildHandle, type SpawnPlan, type Step,
} from '../../src/index.js';
import { answerIdmap, idmapWait, runCaptured, scratch, sh, spawnCaptured, tmpfsRootSteps, userNamespacesWork } from './spawn-helpers.js';

const NS = CLONE.NEWUSER | CLONE.NEWNS;

/** Runs steps + a script in a mapped user (and mount) namespace; returns the output lines. */
async function inUserNs(steps: Step[], script: string, namespaces = NS): Promise<string[]> {
  const { output, status } = await runCaptured({ namespaces, steps: [idmapWait, ...steps, sh(script)] }, answerIdmap);
  assert.equal(status.status, 0, output);
  return output.trim().split('\n');
}

/** Runs a plan expected to fail at `step` and returns the error. */
async function failing(plan: SpawnPlan, step: number): Promise<SyscallError> {
  const { child } = spawnCaptured(plan);
  let err: unknown;
  for (;;) {
    try {
      const ev = await child.nextEvent();
      if (ev.kind !== 'paused') break;
      answerIdmap(child, ev.label);
      child.release();
    } catch (e) {
      err = e;
      break;
    }
  }
  await child.wait();
  assert.ok(err instanceof SyscallError, `expected a step error, got ${String(err)}`);
  assert.equal(err.step, step);
  return err;
}

function statusField(lines: string[], name: string): string {
  const line = lines.find((l) => l.startsWith(`${name}:`));
  assert.ok(line, `${name} in /proc/self/status`);
  return line.split(/\s+/)[1]!;
}

describe('spawn, process and credential steps', () => {
  before(async function () {
    requireFeature(this, await userNamespacesWork(), 'unprivileged user namespaces');
  });

  it('spawn, capabilities step sets bounding, effective, permitted, inheritable and ambient', async () => {
    const keep = (1n << BigInt(CAP.CAP_NET_BIND_SERVICE)) | (1n << BigInt(CAP.CAP_CHOWN));
    const lines = await inUserNs([
      { op: 'capabilities', bounding: keep, effective: keep, permitted: keep, inheritable: keep, ambient: 1n << 10n },
    ], 'cat /proc/self/status');
    // execve as uid 0 recomputes: permitted = bounding (root), effective = permitted; ambient survives.
    assert.equal(BigInt('0x' + statusField(lines, 'CapBnd')), keep);
    assert.equal(BigInt('0x' + statusField(lines, 'CapInh')), keep);
    assert.equal(BigInt('0x' + statusField(lines, 'CapAmb')), 1n << 10n);
  });

  it('spawn, noNewPrivs, umask, personality, rlimit and oomScoreAdj', async () => {
    const lines = await inUserNs([
      { op: 'noNewPrivs' },
      { op: 'umask', mask: 0o027 },
      { op: 'personality', persona: 0x0040000 },
      { op: 'rlimit', resource: RLIMIT.NOFILE, soft: 100n, hard: 200n },
      { op: 'oomScoreAdj', value: 500 },
      { op: 'keepCaps', on: true },
    ], 'grep NoNewPrivs /proc/self/status; umask; cat /proc/self/personality; ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj');
    assert.deepEqual(lines, ['NoNewPrivs:\t1', '0027', '00040000', '100', '200', '500']);
  });

  it('spawn, seccomp filter installed from bytes', async () => {
    const allow = Buffer.alloc(8);
    allow.writeUInt16LE(0x06, 0);          // BPF_RET | BPF_K
    allow.writeUInt32LE(0x7fff0000, 4);    // SECCOMP_RET_ALLOW
    const lines = await inUserNs([{ op: 'noNewPrivs' }, { op: 'seccomp', bpf: allow, flags: 0 }], 'cat /proc/self/status');
    assert.equal(statusField(lines, 'Seccomp'), '2');
  });

  it('spawn, setdomainname, unshare and loopbackUp', async () => {
    const lines = await inUserNs([
      { op: 'unshare', flags: CLONE.NEWUTS | CLONE.NEWNET },
      { op: 'setdomainname', name: 'example.test' },
      { op: 'loopbackUp' },
    ], 'cat /proc/sys/kernel/domainname; ip -o link show lo', CLONE.NEWUSER);
    assert.equal(lines[0], 'example.test');
    assert.match(lines[1]!, /<LOOPBACK,UP,LOWER_UP>/);
  });

  it('spawn, writeProcSelf sets time namespace offsets (unshare CLONE_NEWTIME, then exec enters it)', async () => {
    const lines = await inUserNs([
      { op: 'unshare', flags: CLONE.NEWTIME },
      { op: 'writeProcSelf', file: 'timens_offsets', data: 'boottime 864000 0' },
    ], 'read a _ </proc/uptime; echo ${a%.*}', CLONE.NEWUSER);
    const host = Number(readFileSync('/proc/uptime', 'utf8').split('.')[0]);
    assert.ok(Number(lines[0]) - host >= 864000 - 5, `${lines[0]} vs host ${host}`);
  });

  it('spawn, dup2 and closeFrom', async () => {
    const lines = await inUserNs([
      { op: 'dup2', from: 1, to: 9 },
      { op: 'dup2', from: 1, to: 12 },
      { op: 'closeFrom', first: 10 },
    ], 'echo via-nine >&9; ls /proc/self/fd | sort -n | tr "\\n" " "; echo');
    assert.equal(lines[0], 'via-nine');
    assert.ok(!lines[1]!.split(' ').includes('12'), lines[1]);
    assert.ok(lines[1]!.split(' ').includes('9'), lines[1]);
  });

  it('spawn, setgroups after setgroups "deny" is EPERM at its step', async () => {
    const e = await failing({ namespaces: CLONE.NEWUSER, steps: [idmapWait, { op: 'setgroups', gids: [] }, sh('true')] }, 1);
    assert.equal(e.code, 'EPERM');
    assert.equal(e.syscall, 'setgroups');
  });

  it('spawn, setresuid to an unmapped uid is EINVAL at its step', async () => {
    const e = await failing({
      namespaces: CLONE.NEWUSER, steps: [idmapWait, { op: 'setresgid', gid: 0 }, { op: 'setresuid', uid: 4242 }, sh('true')],
    }, 2);
    assert.equal(e.code, 'EINVAL');
    assert.equal(e.syscall, 'setresuid');
  });

  it('spawn, an ambient capability outside permitted and inheritable is EPERM at its step', async () => {
    const e = await failing({
      namespaces: CLONE.NEWUSER,
      steps: [idmapWait, { op: 'capabilities', bounding: 0n, effective: 0n, permitted: 0n, inheritable: 0n, ambient: 1n }, sh('true')],
    }, 1);
    assert.equal(e.code, 'EPERM');
    assert.equal(e.syscall, 'prctl');
  });
});

describe('spawn, file and mount steps', () => {
  let dir: string;
  let cleanup: () => void;
  before(async function () {
    requireFeature(this, await userNamespacesWork(), 'unprivileged user namespaces');
  });
  beforeEach(() => ({ dir, cleanup } = scratch('ct-steps-')));
  afterEach(() => cleanup());

  it('spawn, mknod a FIFO, umount and mountSetattr read-only', async () => {
    mkdirSync(join(dir, 'm'));
    mkdirSync(join(dir, 'ro'));
    const lines = await inUserNs([
      { op: 'propagation', target: '/', flags: MS.PRIVATE | MS.REC },
      { op: 'mknod', path: 'fifo', mode: S.IFIFO | 0o600, major: 0, minor: 0, inRoot: dir },
      { op: 'mount', source: 'tmpfs', target: 'm', fstype: 'tmpfs', flags: 0n, inRoot: dir },
      { op: 'umount', path: 'm', flags: 0, inRoot: dir },
      { op: 'mount', source: 'tmpfs', target: 'ro', fstype: 'tmpfs', flags: 0n, inRoot: dir },
      { op: 'mountSetattr', target: 'ro', attrSet: MOUNT_ATTR.RDONLY, attrClr: 0n, propagation: 0n, recursive: true, inRoot: dir },
    ], `stat -c %F ${dir}/fifo; grep -c " ${dir}/m " /proc/self/mountinfo; touch ${dir}/ro/x 2>/dev/null || echo ro`);
    assert.deepEqual(lines, ['fifo', '0', 'ro']);
  });

  it('spawn, chroot into a prepared root', async () => {
    const lines = await inUserNs([...tmpfsRootSteps(dir), { op: 'chroot', path: dir }, { op: 'chdir', path: '/' }],
      'ls /; pwd');
    assert.deepEqual(lines, ['bin', '/']);
  });

  it('spawn, bindTree with the new mount API', async () => {
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'f'), 'tree');
    mkdirSync(join(dir, 'dst'));
    const lines = await inUserNs([
      { op: 'propagation', target: '/', flags: MS.PRIVATE | MS.REC },
      { op: 'bindTree', source: join(dir, 'src'), target: 'dst', recursive: true, attrSet: MOUNT_ATTR.RDONLY, inRoot: dir },
    ], `cat ${dir}/dst/f; echo; touch ${dir}/dst/g 2>/dev/null || echo ro`);
    assert.deepEqual(lines, ['tree', 'ro']);
  });

  it('spawn, preopen execs a host program after pivot_root', async () => {
    const root = join(dir, 'root');
    mkdirSync(root);
    const pivotSteps: Step[] = [
      idmapWait,
      { op: 'propagation', target: '/', flags: MS.PRIVATE | MS.REC },
      { op: 'mount', source: 'tmpfs', target: root, fstype: 'tmpfs', flags: 0n },
      { op: 'pivotRoot', newRoot: root },
    ];
    const missing = await failing({ namespaces: NS, steps: [...pivotSteps, sh('true')] }, 4);
    assert.equal(missing.code, 'ENOENT', 'busybox is not inside the empty root');
    const { output, status } = await runCaptured({
      namespaces: NS,
      steps: [
        ...pivotSteps,
        { op: 'exec', path: '/bin/busybox', argv: ['echo', 'from outside the root'], env: [], search: false, preopen: true },
      ],
    }, answerIdmap);
    assert.equal(status.status, 0, output);
    assert.equal(output, 'from outside the root\n');
  });
});

describe('spawn, idmapped mounts @root', () => {
  let dir: string;
  let cleanup: () => void;
  let holder: ChildHandle;
  before(function () {
    if (!isRoot()) this.skip();
  });
  beforeEach(async () => {
    ({ dir, cleanup } = scratch('ct-idmap-'));
    holder = spawn({ namespaces: CLONE.NEWUSER, steps: [{ op: 'wait', label: 'hold' }, sh('true')] });
    await holder.nextEvent();
    // On-disk id 0 is read as id 0 of this namespace, which is host id 1000.
    writeFileSync(`/proc/${holder.pid}/uid_map`, '0 1000 1');
    writeFileSync(`/proc/${holder.pid}/gid_map`, '0 1000 1');
  });
  afterEach(async () => {
    holder.kill('SIGKILL');
    await holder.wait();
    cleanup();
  });

  it('spawn, bindTree with MOUNT_ATTR_IDMAP shows root-owned files as the mapped id', async () => {
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'dst'));
    writeFileSync(join(dir, 'src', 'f'), '');
    chownSync(join(dir, 'src', 'f'), 0, 0);
    const { output, status } = await runCaptured({
      namespaces: CLONE.NEWNS,
      steps: [
        { op: 'propagation', target: '/', flags: MS.PRIVATE | MS.REC },
        {
          op: 'bindTree', source: join(dir, 'src'), target: join(dir, 'dst'), recursive: false,
          attrSet: MOUNT_ATTR.IDMAP, usernsPath: `/proc/${holder.pid}/ns/user`,
        },
        sh(`stat -c %u ${dir}/dst/f`),
      ],
    });
    assert.equal(status.status, 0, output);
    assert.equal(output, '1000\n');
    assert.equal(statSync(join(dir, 'src', 'f')).uid, 0);
    assert.equal(readFileSync(join(dir, 'src', 'f'), 'utf8'), '');
  });
});
