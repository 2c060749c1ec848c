// The flat plan format shared with src/internal/plan-layout.ts (keep the two in step; test/unit checks the op
// names and sizes through the binding's planLayout()). All integers are little-endian.
//
// Header (64 bytes): magic, version, nsteps, nfds, flags, namespaces, stepsOff, fdmapOff, arenaOff, arenaLen,
// totalLen, parentPid, targetFd (enter only), userOwnerFd (enter only: a namespace whose owning user namespace is
// joined first, -1 for none), reserved.
// Fd map: nfds x {int32 from, int32 to}.
// Step record (128 bytes): op, fd, a[6] (int32), b[6] (uint64), soff[6], slen[6] (string slots into the arena;
// soff = kNone when absent; strings are NUL-terminated; lists are consecutive strings, their count in a[]).
#pragma once
#include <cstdint>

namespace ct {

constexpr uint32_t kPlanMagic = 0x4c504354;  // "CTPL"
constexpr uint32_t kPlanVersion = 1;
constexpr uint32_t kNone = 0xffffffffu;
constexpr uint32_t kMaxSteps = 4096;
constexpr uint32_t kMaxFdMap = 256;

enum PlanFlags : uint32_t {
  kFlagLegacyClone = 1,
  kFlagNoOpenat2 = 2,
  kFlagDumpableWhilePaused = 4,
  kFlagEnterFork = 8,  // enter(): fork again after setns (the pid or time namespace changed)
  kFlagForkInit = 16,  // the plan has a forkInit step: the parent waits for the new process's pid (spawn.cc)
};

struct PlanHeader {
  uint32_t magic, version, nsteps, nfds, flags, namespaces;
  uint32_t stepsOff, fdmapOff, arenaOff, arenaLen, totalLen;
  int32_t parentPid, targetFd, userOwnerFd;
  uint32_t reserved[2];
};
static_assert(sizeof(PlanHeader) == 64, "header size");

struct FdMapEntry {
  int32_t from, to;
};

struct StepRecord {
  uint32_t op;
  int32_t fd;
  int32_t a[6];
  uint64_t b[6];
  uint32_t soff[6];
  uint32_t slen[6];
};
static_assert(sizeof(StepRecord) == 128, "record size");

// String slot 5 is always the step's `inRoot` directory; int slot 5 its `optional` flag (mount steps).
constexpr int kSlotInRoot = 5;
constexpr int kSlotOptional = 5;

// Step ops, in the order of kOpNames (1-based; 0 is invalid).
#define CT_STEP_OPS(X)                                                                                         \
  X(Wait, "wait") X(Unshare, "unshare") X(Setns, "setns") X(Mount, "mount") X(Remount, "remount")             \
  X(MountSetattr, "mountSetattr") X(Propagation, "propagation") X(Mkdir, "mkdir") X(Touch, "touch")           \
  X(Symlink, "symlink") X(Chmod, "chmod") X(WriteFile, "writeFile") X(Mknod, "mknod") X(Umount, "umount")     \
  X(Rmdir, "rmdir") X(Chdir, "chdir") X(Chroot, "chroot") X(PivotRoot, "pivotRoot")                          \
  X(Sethostname, "sethostname") X(Setdomainname, "setdomainname") X(LoopbackUp, "loopbackUp")                 \
  X(Setgroups, "setgroups") X(Setresgid, "setresgid") X(Setresuid, "setresuid")                               \
  X(Capabilities, "capabilities") X(KeepCaps, "keepCaps") X(NoNewPrivs, "noNewPrivs")                         \
  X(Pdeathsig, "pdeathsig") X(Rlimit, "rlimit") X(OomScoreAdj, "oomScoreAdj") X(Umask, "umask")               \
  X(Setsid, "setsid") X(Console, "console") X(Dup2, "dup2") X(CloseFrom, "closeFrom") X(Seccomp, "seccomp")   \
  X(WaitFifo, "waitFifo") X(Personality, "personality") X(WriteProcSelf, "writeProcSelf") X(Exec, "exec")     \
  X(BindTree, "bindTree") X(Chown, "chown") X(SessionKeyring, "sessionKeyring") X(ForkInit, "forkInit")

enum StepOp : uint32_t {
  kOpInvalid = 0,
#define CT_ENUM(name, str) kOp##name,
  CT_STEP_OPS(CT_ENUM)
#undef CT_ENUM
  kOpCount
};

// The syscall that failed inside a step (the record's `sc`), named in TS by the same order.
#define CT_SYSCALLS(X)                                                                                      \
  X(None, "none") X(Openat2, "openat2") X(Openat, "openat") X(Mount, "mount") X(Umount2, "umount2")          \
  X(MountSetattr, "mount_setattr") X(Fstatfs, "fstatfs") X(Mkdirat, "mkdirat") X(Symlinkat, "symlinkat")    \
  X(Fchmod, "fchmod") X(Write, "write") X(Mknodat, "mknodat") X(Unlinkat, "unlinkat") X(Chdir, "chdir")     \
  X(Chroot, "chroot") X(PivotRoot, "pivot_root") X(Sethostname, "sethostname")                              \
  X(Setdomainname, "setdomainname") X(Socket, "socket") X(Ioctl, "ioctl") X(Setgroups, "setgroups")         \
  X(Setresgid, "setresgid") X(Setresuid, "setresuid") X(Prctl, "prctl") X(Capset, "capset")                 \
  X(Prlimit, "prlimit64") X(Setsid, "setsid") X(Dup2, "dup2") X(CloseRange, "close_range")                  \
  X(Seccomp, "seccomp") X(Open, "open") X(Personality, "personality") X(Execve, "execve")                   \
  X(Unshare, "unshare") X(Setns, "setns") X(Read, "read") X(Fcntl, "fcntl") X(Sendmsg, "sendmsg")           \
  X(Readlinkat, "readlinkat") X(Fstat, "fstat") X(Ftruncate, "ftruncate") X(Fork, "fork")                  \
  X(Wait4, "wait4") X(Getppid, "getppid") X(Sigaction, "rt_sigaction") X(OpenTree, "open_tree")               \
  X(MoveMount, "move_mount") X(Execveat, "execveat") X(Fchownat, "fchownat") X(Keyctl, "keyctl")           \
  X(Pipe2, "pipe2")

enum SyscallId : uint32_t {
#define CT_ENUM(name, str) kSc##name,
  CT_SYSCALLS(CT_ENUM)
#undef CT_ENUM
  kScCount
};

// Child -> parent record (16 bytes). Parent -> child: one release byte per pause.
// kSyncExecing is sent once right before execve: EOF after it (and no error) means the exec succeeded, EOF
// without it means the child died before reaching exec. kSyncWarning: a step failed with an errno it may ignore
// (the child goes on; the parent records it).
// kSyncInnerPid (a forkInit step, or enter with a second fork): the process that forked sends the new process's
// pid (in the caller's pid namespace) in `err` before the new one runs any step, then exits; spawn.cc reads this
// record itself and hands the new process to the caller.
enum SyncKind : uint32_t { kSyncPaused = 1, kSyncError = 2, kSyncExecing = 3, kSyncWarning = 4, kSyncInnerPid = 5 };
struct SyncRecord {
  uint32_t kind;
  int32_t step;  // -1: before the first step (fd setup)
  int32_t err;   // errno
  uint32_t sc;   // SyscallId
};
static_assert(sizeof(SyncRecord) == 16, "sync record size");

}  // namespace ct
