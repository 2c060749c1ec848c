/**
 * bpf(2) wrappers on this kernel, as root: a cgroup device program loaded, attached to a child of the cgroup v2
 * mount (this hybrid layout has one at /sys/fs/cgroup/unified), seen by BPF_PROG_QUERY, reached by id, refusing a
 * process placed there its device opens, and detached; a program the verifier refuses gives a SyscallError with the
 * verifier's log as its cause; an unprivileged caller gets EPERM.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, openSync, rmdirSync } from 'node:fs';
import { isRoot, requireFeature } from '@ct/test-utils';
import {
  BPF_ATTACH_TYPE, BPF_F, BPF_PROG_TYPE, bpfProgAttach, bpfProgDetach, bpfProgGetFdById, bpfProgLoad, bpfProgQuery, SyscallError,
} from '../../src/index.js';

const UNIFIED = '/sys/fs/cgroup/unified';

/** struct bpf_insn: opcode, dst/src registers, offset, immediate. */
function insn(op: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = op;
  b[1] = (src << 4) | dst;
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return b;
}
/** r0 = verdict; exit: a device program that answers the same for every access. */
const constant = (verdict: number): Buffer => Buffer.concat([insn(0xb4, 0, 0, 0, verdict), insn(0x95, 0, 0, 0, 0)]);

describe('bpf(2) device programs @root', function () {
  before(function () {
    requireFeature(this, isRoot() && existsSync(`${UNIFIED}/cgroup.procs`), `root and a cgroup v2 mount at ${UNIFIED}`);
  });

  it('bpfProgLoad + bpfProgAttach, a deny-all program refuses a process of the cgroup /dev/null; query, get by id, detach', () => {
    const dir = `${UNIFIED}/ct-bpf-${process.pid}`;
    mkdirSync(dir);
    const dirFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    const prog = bpfProgLoad({ type: BPF_PROG_TYPE.CGROUP_DEVICE, instructions: constant(0), license: 'Apache-2.0' });
    try {
      bpfProgAttach(dirFd, prog, BPF_ATTACH_TYPE.CGROUP_DEVICE, BPF_F.ALLOW_MULTI);
      const attached = bpfProgQuery(dirFd, BPF_ATTACH_TYPE.CGROUP_DEVICE);
      assert.equal(attached.attachFlags, BPF_F.ALLOW_MULTI);
      assert.equal(attached.ids.length, 1);
      // a shell that moves itself into the cgroup, then opens /dev/null
      const r = spawnSync('/bin/busybox', ['sh', '-c', `echo $$ > ${dir}/cgroup.procs && echo x > /dev/null`], { encoding: 'utf8' });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /Operation not permitted/);
      const byId = bpfProgGetFdById(attached.ids[0] ?? 0);
      bpfProgDetach(dirFd, byId, BPF_ATTACH_TYPE.CGROUP_DEVICE);
      closeSync(byId);
      assert.deepEqual(bpfProgQuery(dirFd, BPF_ATTACH_TYPE.CGROUP_DEVICE).ids, []);
    } finally {
      closeSync(prog);
      closeSync(dirFd);
      rmdirSync(dir);
    }
  });

  it('bpfProgLoad, a program the verifier refuses (r0 never set): EACCES, the verifier log as cause', () => {
    assert.throws(() => bpfProgLoad({ type: BPF_PROG_TYPE.CGROUP_DEVICE, instructions: insn(0x95, 0, 0, 0, 0), license: 'Apache-2.0' }),
      (e: unknown) => e instanceof SyscallError && e.syscall === 'bpf' && e.code === 'EACCES' && e.path === 'BPF_PROG_LOAD'
        && /R0 !read_ok/.test(String((e.cause as Error | undefined)?.message)));
  });

  it('bpfProgDetach, a program not attached there: ENOENT', () => {
    const dir = `${UNIFIED}/ct-bpf-none-${process.pid}`;
    mkdirSync(dir);
    const dirFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    const prog = bpfProgLoad({ type: BPF_PROG_TYPE.CGROUP_DEVICE, instructions: constant(1), license: 'Apache-2.0' });
    try {
      assert.throws(() => bpfProgDetach(dirFd, prog, BPF_ATTACH_TYPE.CGROUP_DEVICE), (e: unknown) => e instanceof SyscallError && e.code === 'ENOENT');
    } finally {
      closeSync(prog);
      closeSync(dirFd);
      rmdirSync(dir);
    }
  });
});

describe('bpf(2) unprivileged @nonroot', function () {
  it('bpfProgLoad, a caller without CAP_BPF/CAP_SYS_ADMIN: EPERM', function () {
    assert.throws(() => bpfProgLoad({ type: BPF_PROG_TYPE.CGROUP_DEVICE, instructions: constant(1), license: 'Apache-2.0' }),
      (e: unknown) => e instanceof SyscallError && e.code === 'EPERM');
  });
});
