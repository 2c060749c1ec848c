import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { IOPRIO_CLASS, IOPRIO_WHO, ioprioSet, ioprioValue, SCHED, schedSetattr, SyscallError } from '../../src/index.js';

/** Fields of /proc/PID/stat after the command name: nice is field 19, policy field 41 (1-based). */
function statField(pid: number, field: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[field - 3]);
}

describe('sched', () => {
  let child: ChildProcess;
  beforeEach(() => { child = spawn('sleep', ['60'], { stdio: 'ignore' }); });
  afterEach(() => { child.kill('SIGKILL'); });

  it('schedSetattr, another process gets the policy and nice value (proc stat fields 41 and 19)', () => {
    const pid = child.pid ?? 0;
    schedSetattr(pid, { policy: SCHED.BATCH, nice: 7 });
    assert.equal(statField(pid, 41), SCHED.BATCH);
    assert.equal(statField(pid, 19), 7);
  });
  it('schedSetattr, a policy the kernel does not have is a SyscallError (EINVAL)', () => {
    assert.throws(() => schedSetattr(child.pid ?? 0, { policy: 42 }), (e: unknown) => e instanceof SyscallError && e.syscall === 'sched_setattr' && e.code === 'EINVAL');
  });
  it('ioprioSet, another process gets the class and priority (as ionice reads them)', () => {
    const pid = child.pid ?? 0;
    ioprioSet(IOPRIO_WHO.PROCESS, pid, ioprioValue(IOPRIO_CLASS.BE, 6));
    const r = spawnSync('ionice', ['-p', String(pid)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'best-effort: prio 6');
  });
});
