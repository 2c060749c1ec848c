/**
 * Attaching a device program to a cgroup v2 directory for real (NODE_CGROUP_FS.attachDeviceFilter): load it, attach
 * it with BPF_F_ALLOW_MULTI (so programs of the parent cgroups keep running too, each must allow an access), then
 * take off the device programs this cgroup had before, so the new rules alone apply to it (runc does the same when it
 * updates a cgroup; a fresh cgroup has none). The cgroup keeps the program alive; our descriptors are closed.
 *
 * Man pages: bpf(2), open(2); kernel docs bpf/prog_cgroup_device.
 */
import { closeSync, constants, openSync } from 'node:fs';
import {
  BPF_ATTACH_TYPE, BPF_F, BPF_PROG_TYPE, bpfProgAttach, bpfProgDetach, bpfProgGetFdById, bpfProgLoad, bpfProgQuery,
} from '@ct/syscalls';

/** The license string the program is loaded under (it calls no GPL-only helper). */
const LICENSE = 'Apache-2.0';

/** Attach `program` to the cgroup v2 directory `dir`, replacing the device programs attached there before. */
export function attachDeviceFilter(dir: string, program: Uint8Array): void {
  const dirFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    const before = bpfProgQuery(dirFd, BPF_ATTACH_TYPE.CGROUP_DEVICE).ids;
    const progFd = bpfProgLoad({ type: BPF_PROG_TYPE.CGROUP_DEVICE, instructions: program, license: LICENSE, expectedAttachType: BPF_ATTACH_TYPE.CGROUP_DEVICE });
    try {
      bpfProgAttach(dirFd, progFd, BPF_ATTACH_TYPE.CGROUP_DEVICE, BPF_F.ALLOW_MULTI);
    } finally {
      closeSync(progFd);
    }
    for (const id of before) {
      let old: number;
      try {
        old = bpfProgGetFdById(id);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // detached and freed meanwhile
        throw error;
      }
      try {
        bpfProgDetach(dirFd, old, BPF_ATTACH_TYPE.CGROUP_DEVICE);
      } finally {
        closeSync(old);
      }
    }
  } finally {
    closeSync(dirFd);
  }
}
