import { strict as assert } from 'node:assert';
import { CtError, InvalidPlanError, spawn, CLONE, type SpawnPlan, type Step } from '../../src/index.js';
import { encodePlan } from '../../src/internal/plan-encode.js';
import { HEADER_SIZE, OP_NAMES, RECORD_SIZE, STEP_FIELDS, SYSCALL_NAMES } from '../../src/internal/plan-layout.js';
import { native } from '../../src/native.js';

const exec: Step = { op: 'exec', path: '/bin/true', argv: ['true'], env: [], search: false };

function refused(plan: unknown, step?: number): void {
  assert.throws(() => spawn(plan as SpawnPlan), (e: unknown) =>
    e instanceof InvalidPlanError && e instanceof CtError && e.code === 'EINVALIDPLAN' && (step === undefined || e.step === step));
}

describe('plan encoding', () => {
  it('planLayout, the TS mirror matches the addon', () => {
    const layout = native.planLayout();
    assert.equal(layout.header, HEADER_SIZE);
    assert.equal(layout.record, RECORD_SIZE);
    assert.deepEqual(layout.ops, [...OP_NAMES]);
    assert.deepEqual(layout.syscalls, [...SYSCALL_NAMES]);
    assert.deepEqual(Object.keys(STEP_FIELDS).sort(), [...OP_NAMES].sort());
  });
  it('spawn, unknown op refused', () => refused({ namespaces: 0, steps: [{ op: 'format-disk' }, exec] }, 0));
  it('spawn, unknown field refused', () => refused({ namespaces: 0, steps: [{ op: 'umask', mask: 0, extra: 1 }, exec] }, 0));
  it('spawn, oversized string refused', () =>
    refused({ namespaces: 0, steps: [{ op: 'sethostname', name: 'x'.repeat(32 * 4096) }, exec] }, 0));
  it('encodePlan, an environment string as long as execve takes (MAX_ARG_STRLEN with its NUL) is encoded', () => {
    const env = [`X=${'v'.repeat(32 * 4096 - 1 - 2)}`];
    const { buffer } = encodePlan({ steps: [{ ...exec, env } as Step] }, { namespaces: 0, flags: 0, targetFd: -1 });
    assert.ok(buffer.includes(Buffer.from(env[0]!)));
  });
  it('spawn, more than 4096 steps refused', () =>
    refused({ namespaces: 0, steps: [...Array.from({ length: 4096 }, () => ({ op: 'setsid' })), exec] }));
  it('spawn, bad namespace flags refused', () => refused({ namespaces: 0x100, steps: [exec] }));
  it('spawn, exec not last refused', () => refused({ namespaces: 0, steps: [exec, { op: 'setsid' }] }, 0));
  it('spawn, no exec refused', () => refused({ namespaces: 0, steps: [{ op: 'setsid' }] }, 0));
  it('spawn, NUL in a path refused', () => refused({ namespaces: 0, steps: [{ op: 'chdir', path: 'a\0b' }, exec] }, 0));
  it('spawn, mount flags must be bigint', () =>
    refused({ namespaces: 0, steps: [{ op: 'mount', target: '/x', flags: 1 }, exec] }, 0));
  it('spawn, mode out of range refused', () => refused({ namespaces: 0, steps: [{ op: 'umask', mask: 0o1000 }, exec] }, 0));
  it('spawn, seccomp program must be whole instructions', () =>
    refused({ namespaces: 0, steps: [{ op: 'seccomp', bpf: new Uint8Array(7), flags: 0 }, exec] }, 0));
  it('spawn, writeProcSelf cannot leave /proc/self', () =>
    refused({ namespaces: 0, steps: [{ op: 'writeProcSelf', file: '../1/uid_map', data: 'x' }, exec] }, 0));
  it('spawn, time namespace with the legacy clone refused', () =>
    refused({ namespaces: CLONE.NEWTIME, forceLegacyClone: true, steps: [exec] }));
  it('spawn, unshare flags outside CLONE_NEW* refused', () =>
    refused({ namespaces: 0, steps: [{ op: 'unshare', flags: 0x100 }, exec] }, 0));
  it('spawn, forkInit twice refused', () =>
    refused({ namespaces: 0, steps: [{ op: 'forkInit' }, { op: 'forkInit' }, exec] }, 0));
  it('spawn, forkInit after a step other than setns or unshare refused', () =>
    refused({ namespaces: 0, steps: [{ op: 'wait', label: 'x' }, { op: 'forkInit' }, exec] }, 1));
  it('spawn, forkInit with a new pid namespace made by the clone refused', () =>
    refused({ namespaces: CLONE.NEWPID, steps: [{ op: 'forkInit' }, exec] }, 0));
  it('encodePlan, forkInit sets the header flag the addon waits on', () => {
    const { buffer } = encodePlan({ steps: [{ op: 'unshare', flags: CLONE.NEWPID }, { op: 'forkInit' }, exec] }, { namespaces: 0, flags: 0, targetFd: -1 });
    assert.equal(buffer.readUInt32LE(16) & 16, 16);
  });
  it('spawn, bad fd map refused', () => refused({ namespaces: 0, fds: [{ from: -1, to: 0 }], steps: [exec] }));

  it('encodePlan, strings land NUL-terminated in the arena', () => {
    const { buffer, ownedFds } = encodePlan({ steps: [{ op: 'sethostname', name: 'box' }, exec] }, { namespaces: 0, flags: 0, targetFd: -1 });
    assert.deepEqual(ownedFds, []);
    assert.equal(buffer.readUInt32LE(8), 2);
    const stepsOff = buffer.readUInt32LE(24);
    const arenaOff = buffer.readUInt32LE(32);
    const off = buffer.readUInt32LE(stepsOff + 80);
    assert.equal(buffer.readUInt32LE(stepsOff + 104), 3);
    assert.equal(buffer.subarray(arenaOff + off, arenaOff + off + 4).toString('latin1'), 'box\0');
  });
});
