/**
 * The sessionKeyring step and the child's warnings: the child joins a new, named session keyring (its serial
 * differs from the caller's, its description names it, `perm` is applied), and a keyctl refused with ENOSYS (a
 * seccomp filter stands in for a kernel without keyrings) is a warning the child goes on after, while EPERM is a
 * failure. The keyring is read by a small C program the test compiles with gcc (keyctl(2) through syscall()).
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, requireFeature } from '@ct/test-utils';
import { SyscallError, type Step } from '../../src/index.js';
import { runCaptured, scratch, spawnCaptured } from './spawn-helpers.js';

/** The keyring probe's C source (shared with the other keyring suites). */
const KEYPROBE_C = join(repoRoot(), 'packages/syscalls/test/fixtures/keyprobe.c');

const SYS_KEYCTL_X86_64 = 250;
/** A seccomp filter (x86_64) failing keyctl with `errno`, allowing everything else. */
function keyctlFilter(errno: number): Uint8Array {
  const insn = (code: number, jt: number, jf: number, k: number): Buffer => {
    const b = Buffer.alloc(8);
    b.writeUInt16LE(code, 0);
    b.writeUInt8(jt, 2);
    b.writeUInt8(jf, 3);
    b.writeUInt32LE(k >>> 0, 4);
    return b;
  };
  return Buffer.concat([
    insn(0x20, 0, 0, 0), // ld [nr]
    insn(0x15, 0, 1, SYS_KEYCTL_X86_64), // jeq keyctl
    insn(0x06, 0, 0, 0x00050000 | errno), // ret ERRNO(errno)
    insn(0x06, 0, 0, 0x7fff0000), // ret ALLOW
  ]);
}

describe('spawn, session keyring', function () {
  let dir: string;
  let cleanup: () => void;
  let probe: string;
  before(function () {
    requireFeature(this, existsSync('/usr/bin/gcc'), 'gcc (to build the keyring probe)');
    ({ dir, cleanup } = scratch('ct-keyring-'));
        probe = join(dir, 'keyprobe');
    execFileSync('gcc', ['-O1', '-o', probe, KEYPROBE_C]);
  });
  after(() => cleanup());
  const exec = (): Step => ({ op: 'exec', path: probe, argv: ['keyprobe'], env: [], search: false });
  const keyring = async (steps: Step[]): Promise<{ serial: string; description: string }> => {
    const r = await runCaptured({ namespaces: 0, steps: [...steps, exec()] });
    assert.equal(r.status.status, 0, r.output);
    const [serial = '', description = ''] = r.output.trim().split(' ');
    return { serial, description };
  };

  it('sessionKeyring, a new keyring named as asked, not the caller\'s', async () => {
    const inherited = await keyring([]);
    const own = await keyring([{ op: 'sessionKeyring', name: `ct-test-${process.pid}` }]);
    assert.match(inherited.serial, /^\d+$/);
    assert.match(own.serial, /^\d+$/);
    assert.notEqual(own.serial, inherited.serial);
    assert.match(own.description, new RegExp(`^keyring;\\d+;\\d+;[0-9a-f]{8};ct-test-${process.pid}$`));
  });

  it('sessionKeyring, without a name the kernel\'s "_ses"; perm applied', async () => {
    const k = await keyring([{ op: 'sessionKeyring', perm: 0x3f1b0000 }]);
    const [type, , , perm, name] = k.description.split(';');
    assert.deepEqual([type, perm, name], ['keyring', '3f1b0000', '_ses']);
  });

  it('sessionKeyring, ENOSYS is a warning: the child goes on and execs', async () => {
    const filter: Step[] = [{ op: 'noNewPrivs' }, { op: 'seccomp', bpf: keyctlFilter(38), flags: 0 }];
    const { child, output } = spawnCaptured({ namespaces: 0, steps: [...filter, { op: 'sessionKeyring', name: 'never' }, exec()] });
    assert.deepEqual(await child.nextEvent(), { kind: 'exec' });
    assert.equal((await child.wait()).status, 0);
    assert.equal(child.warnings?.length, 1);
    const w = child.warnings?.[0];
    assert.ok(w instanceof SyscallError);
    assert.deepEqual([w.syscall, w.code, w.step, w.stepOp], ['keyctl', 'ENOSYS', 2, 'sessionKeyring']);
    // The filter refuses the probe's keyctl too: it reached exec and ran.
    assert.match(await output, /^-1 /);
  });

  it('sessionKeyring, EPERM is a failure naming the step', async () => {
    const filter: Step[] = [{ op: 'noNewPrivs' }, { op: 'seccomp', bpf: keyctlFilter(1), flags: 0 }];
    const { child, output } = spawnCaptured({ namespaces: 0, steps: [...filter, { op: 'sessionKeyring', name: 'never' }, exec()] });
    await assert.rejects(child.nextEvent(), (e: unknown) => e instanceof SyscallError && e.code === 'EPERM' && e.step === 2 && e.syscall === 'keyctl');
    assert.equal((await child.wait()).status, 1);
    assert.equal(await output, '');
    assert.deepEqual(child.warnings, []);
  });
});
