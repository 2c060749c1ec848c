// The cloned child's context and step families (child_main.cc, child_fs.cc, child_mount.cc, child_creds.cc,
// child_tty.cc, child_exec.cc). Everything declared here runs between clone and execve/_exit in a copy of the
// multithreaded Node process: async-signal-safe calls only (signal-safety(7)), no allocation, no locks, no
// exceptions, no N-API. Every buffer is on the stack or in the plan the parent prepared before the clone.
#pragma once
#include <cerrno>
#include <cstddef>
#include <cstdint>

#include <sys/prctl.h>

#include "plan_layout.h"

namespace ct {

/** The child's view of the plan plus the failure slot a step fills before returning -1. */
struct ChildCtx {
  const PlanHeader* h;
  StepRecord* steps;
  const char* arena;
  const FdMapEntry* fdmap;
  int syncFd;
  char* const* argv;  // built by the parent for the exec step
  char* const* envp;
  int err;             // errno of the failure
  uint32_t sc;         // SyscallId of the failure
  int step;            // index of the step running (for warnings)
};

/** Records errno and the failing syscall; returns -1 so a step can `return Fail(c, kScMount);`. */
inline int Fail(ChildCtx& c, uint32_t sc) {
  c.err = errno;
  c.sc = sc;
  return -1;
}
/** Records an explicit errno. */
inline int FailWith(ChildCtx& c, uint32_t sc, int err) {
  c.err = err;
  c.sc = sc;
  return -1;
}

/**
 * Reports a failure the step may ignore (kSyncWarning with errno and the syscall) and returns 0: the child goes
 * on. A failed write is ignored too (the parent may be gone; the step's outcome does not depend on it).
 */
int Warn(ChildCtx& c, uint32_t sc);

/** A string slot of a record, or nullptr when absent. */
inline const char* Str(const ChildCtx& c, const StepRecord& r, int slot) {
  return r.soff[slot] == kNone ? nullptr : c.arena + r.soff[slot];
}

/**
 * Runs fn with the child dumpable, then non-dumpable again: the /proc/self files of a non-dumpable process belong
 * to root, so an unprivileged child could not write its own oom_score_adj or timens_offsets otherwise.
 */
template <typename Fn>
int WithDumpable(ChildCtx& c, Fn fn) {
  if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) return Fail(c, kScPrctl);
  int rc = fn();
  int e = errno;
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return Fail(c, kScPrctl);
  errno = e;
  return rc;
}

/** Runs the plan and never returns (execve or _exit). */
[[noreturn]] void ChildMain(ChildCtx& c);

// Small helpers (child_fs.cc).
size_t StrLen(const char* s);
/** Writes "/proc/self/fd/N" into buf (>= 32 bytes). */
void ProcFdPath(char* buf, int fd);
/** Formats n in decimal into buf (>= 24 bytes); returns the length. */
size_t FormatInt(char* buf, int64_t n);
/** Closes fd keeping errno. */
void CloseKeep(int fd);
/** write(2) of the whole buffer, retrying on EINTR and short writes. */
int WriteAll(int fd, const void* buf, size_t len);

/**
 * Resolves a step path: inside `inRoot` (slot 5) by openat2 RESOLVE_IN_ROOT or the O_NOFOLLOW walk, else as
 * given. Returns an fd opened with `flags | O_CLOEXEC`, or -1 with c.err/c.sc set.
 */
int ResolveStepPath(ChildCtx& c, const StepRecord& r, const char* path, int flags, unsigned mode);

/** Size of the buffer OpenParentDir needs (the parent's path and the last component). */
constexpr size_t kSplitBuf = 2 * 4096;
/**
 * Opens the parent directory of `path` (O_PATH, resolved like ResolveStepPath) and points *base at the last
 * component (stored in buf). Returns the fd, or -1 with c.err/c.sc set.
 */
int OpenParentDir(ChildCtx& c, const StepRecord& r, const char* path, char* buf, const char** base);

// Step families: each returns 0 or -1 with c.err/c.sc set.
int StepFs(ChildCtx& c, StepRecord& r);      // mkdir touch symlink chmod writeFile mknod rmdir
int StepMount(ChildCtx& c, StepRecord& r);   // mount remount mountSetattr propagation umount chdir chroot pivotRoot
int StepCreds(ChildCtx& c, StepRecord& r);   // setgroups setres*id capabilities keepCaps noNewPrivs pdeathsig
                                             // rlimit oomScoreAdj umask personality seccomp
int StepNs(ChildCtx& c, StepRecord& r);      // unshare setns sethostname setdomainname loopbackUp writeProcSelf
                                             // sessionKeyring
int StepTty(ChildCtx& c, StepRecord& r);     // setsid console dup2 closeFrom waitFifo
int StepExec(ChildCtx& c, StepRecord& r);    // exec (returns only on failure)

}  // namespace ct
