/**
 * The compiled addon, loaded by src/internal/native-loader.ts (a source build in build/Release, else the prebuilt
 * binary in prebuilds/linux-x64); with the loader, the only module in the repository that touches a `.node` file.
 * The interface types every binding (see native/*.cc). Convention: a number result is >= 0 on success and -errno
 * on failure; paths and names are NUL-terminated Buffers built by src/internal/c-path.ts.
 */
import { fileURLToPath } from 'node:url';
import { loadNative } from './internal/native-loader.js';

/** A NUL-terminated C string. */
type CStr = Buffer;

/** The shape of the compiled binding. */
export interface NativeBinding {
  // fs_at.cc
  openat2(dirfd: number, path: CStr, flags: bigint, mode: number, resolve: bigint): number;
  openat(dirfd: number, path: CStr, flags: number, mode: number): number;
  mkdirat(dirfd: number, path: CStr, mode: number): number;
  mknodat(dirfd: number, path: CStr, mode: number, major: number, minor: number): number;
  symlinkat(target: CStr, dirfd: number, linkpath: CStr): number;
  readlinkat(dirfd: number, path: CStr): Buffer | number;
  linkat(olddirfd: number, oldpath: CStr, newdirfd: number, newpath: CStr, flags: number): number;
  unlinkat(dirfd: number, path: CStr, flags: number): number;
  renameat2(olddirfd: number, oldpath: CStr, newdirfd: number, newpath: CStr, flags: number): number;
  fchownat(dirfd: number, path: CStr, uid: number, gid: number, flags: number): number;
  fchmodat(dirfd: number, path: CStr, mode: number, flags: number): number;
  fchmod(fd: number, mode: number): number;
  fchown(fd: number, uid: number, gid: number): number;
  utimensat(
    dirfd: number, path: CStr | null, atimeSec: bigint, atimeNsec: number, mtimeSec: bigint, mtimeNsec: number,
    flags: number,
  ): number;
  // meta.cc
  lsetxattr(path: CStr, name: CStr, value: Buffer, flags: number): number;
  fsetxattr(fd: number, name: CStr, value: Buffer, flags: number): number;
  lgetxattr(path: CStr, name: CStr): Buffer | number;
  fgetxattr(fd: number, name: CStr): Buffer | number;
  flistxattr(fd: number): Buffer | number;
  llistxattr(path: CStr): Buffer | number;
  lremovexattr(path: CStr, name: CStr): number;
  fremovexattr(fd: number, name: CStr): number;
  statx(dirfd: number, path: CStr, flags: number, mask: number, out: Buffer): number;
  // locks.cc
  fcntlLock(
    fd: number, cmd: number, type: number, whence: number, start: number, len: number,
  ): number | [number, number];
  flock(fd: number, op: number): number;
  flockAsync(fd: number, op: number): Promise<number>;
  ofdSetlkwAsync(fd: number, type: number, whence: number, start: number, len: number): Promise<number>;
  // process.cc
  mount(source: CStr | null, target: CStr, fstype: CStr | null, flags: bigint, data: CStr | null): number;
  umount2(target: CStr, flags: number): number;
  pidfdOpen(pid: number, flags: number): number;
  pidfdSendSignal(pidfd: number, signal: number): number;
  getuid(): number;
  geteuid(): number;
  getgid(): number;
  getegid(): number;
  /** True on the process's main thread (gettid() == getpid()). */
  isMainThread(): boolean;
  // sched.cc
  ioprioSet(which: number, who: number, ioprio: number): number;
  /** `attr` is a struct sched_attr (its size in its first u32). */
  schedSetattr(pid: number, attr: Buffer, flags: number): number;
  // socket.cc
  socketpair(type: number): [number, number] | number;
  unixConnect(path: CStr, type: number): number;
  sendmsg(fd: number, data: Buffer, fds: readonly number[], flags: number): number;
  recvmsg(fd: number, buf: Buffer, fdsOut: Int32Array, flags: number): [number, number, number] | number;
  // spawn.cc
  /** Clones with a flat plan (src/internal/plan-encode.ts): [pid, pidfd, syncFd] or -errno. */
  spawn(plan: Buffer): [number, number, number] | number;
  planLayout(): { header: number; record: number; ops: string[]; syscalls: string[] };
  /** The parent's part for a child the fork server cloned (CLONE_PARENT): [pid, pidfd] (after a hand-off) or -errno. */
  adopt(pid: number, syncFd: number, planFlags: number): [number, number] | number;
  // forkserver_start.cc
  /** posix_spawn of the fork server with controlFd as its fd 3: its pid or -errno. */
  startForkServer(path: CStr, controlFd: number, ignoredSignalsHex: CStr): number;
  // pidfd_watch.cc
  /** Watches a pidfd on the event loop; cb(code, null) on exit, (null, signal) when killed, (-errno, null). */
  watchPidfd(pidfd: number, cb: (code: number | null, signal: number | null) => void, unref?: boolean): number;
  /** Lets a watch stop keeping the event loop alive: 0 or -ENOENT. */
  unrefWatch(pidfd: number): number;
  // tty.cc
  /** TIOCGWINSZ into out = [rows, cols, xpixel, ypixel]: 0 or -errno. */
  getWindowSize(fd: number, out: Int32Array): number;
  /** TIOCSWINSZ: 0 or -errno. */
  setWindowSize(fd: number, rows: number, cols: number, xpixel: number, ypixel: number): number;
  /** tcgetattr into flags = [iflag, oflag, cflag, lflag] and cc (NCCS bytes): 0 or -errno. */
  tcgetattr(fd: number, flags: Uint32Array, cc: Uint8Array): number;
  /** tcsetattr(fd, when) with those words and control characters (line and speeds kept): 0 or -errno. */
  tcsetattr(fd: number, when: number, flags: Uint32Array, cc: Uint8Array): number;
  // bpf.cc
  /** BPF_PROG_LOAD of `insns` (8 bytes each): the program fd or -errno; the verifier log goes to `log` when given. */
  bpfProgLoad(progType: number, insns: Buffer, license: CStr, log: Buffer | null, expectedAttachType: number): number;
  /** BPF_PROG_ATTACH: 0 or -errno. */
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number): number;
  /** BPF_PROG_DETACH: 0 or -errno. */
  bpfProgDetach(targetFd: number, progFd: number, attachType: number): number;
  /** BPF_PROG_QUERY into ids; out = [attach flags, program count]: 0 or -errno (ENOSPC: ids too small). */
  bpfProgQuery(targetFd: number, attachType: number, ids: Uint32Array, out: Uint32Array): number;
  /** BPF_PROG_GET_FD_BY_ID: the program fd or -errno. */
  bpfProgGetFdById(id: number): number;
}

/** The loaded binding (the package root is one level up from both src/ and dist/). */
export const native = loadNative(fileURLToPath(new URL('..', import.meta.url)), 'syscalls') as NativeBinding;
