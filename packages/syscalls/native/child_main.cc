// The cloned child's main loop: signal reset, fd placement, the enter() namespace join, the fork of a new process
// (CLONE_PARENT) for a pid or time namespace, and the closed switch over the plan's steps. A failure sends one
// fixed SyncRecord {error, step, errno, syscall} on the close-on-exec sync socket and _exits; a successful execve
// closes the socket (EOF = exec).
//
// Calls made here (all async-signal-safe, see signal-safety(7)): prctl, sigaction, sigprocmask, sigfillset,
// sigemptyset, fcntl, dup2, close, syscall(SYS_close_range), read, write, setns, pipe2, syscall(SYS_clone), _exit.
// Step families are in child_fs.cc, child_mount.cc, child_creds.cc, child_ns.cc, child_tty.cc, child_exec.cc;
// each lists its own calls.
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"

namespace ct {
namespace {

void ResetSignals() {
  struct sigaction sa;
  for (size_t i = 0; i < sizeof sa; i++) reinterpret_cast<char*>(&sa)[i] = 0;
  sa.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; s++) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    sigaction(s, &sa, nullptr);  // EINVAL for glibc's reserved signals: nothing to reset there
  }
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);
}

}  // namespace

int Warn(ChildCtx& c, uint32_t sc) {
  SyncRecord rec = {kSyncWarning, c.step, errno, sc};
  WriteAll(c.syncFd, &rec, sizeof rec);
  return 0;
}

namespace {

[[noreturn]] void Report(ChildCtx& c, int step) {
  SyncRecord rec = {kSyncError, step, c.err, c.sc};
  WriteAll(c.syncFd, &rec, sizeof rec);
  _exit(1);
}

// Closes every fd >= 3 the child was not given (fd map targets) and does not need (sync socket, step fds,
// enter's target): the Node process's own fds must not stay open in a child paused for long (runc's
// create/start split), nor reach the program if one lacks CLOEXEC.
int CloseOthers(ChildCtx& c) {
  int keep[kMaxSteps + kMaxFdMap + 2];
  uint32_t n = 0;
  keep[n++] = c.syncFd;
  if (c.h->targetFd >= 0) keep[n++] = c.h->targetFd;
  if (c.h->userOwnerFd >= 0) keep[n++] = c.h->userOwnerFd;
  for (uint32_t i = 0; i < c.h->nsteps; i++)
    if (c.steps[i].fd >= 0) keep[n++] = c.steps[i].fd;
  for (uint32_t i = 0; i < c.h->nfds; i++) keep[n++] = c.fdmap[i].to;
  for (uint32_t i = 1; i < n; i++)  // insertion sort: a handful of entries in practice
    for (uint32_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
      int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  unsigned lo = 3;
  for (uint32_t i = 0; i < n; i++) {
    if (keep[i] < static_cast<int>(lo)) continue;
    unsigned k = static_cast<unsigned>(keep[i]);
    if (k > lo && syscall(SYS_close_range, lo, k - 1, 0) < 0) return Fail(c, kScCloseRange);
    lo = k + 1;
  }
  if (syscall(SYS_close_range, lo, ~0U, 0) < 0) return Fail(c, kScCloseRange);
  return 0;
}

// Moves every fd the child needs above the highest target of the fd map, then dup2s the map into place, so a
// mapping can never clobber the sync socket or a step's fd.
int PlaceFds(ChildCtx& c) {
  int hi = 3;
  for (uint32_t i = 0; i < c.h->nfds; i++)
    if (c.fdmap[i].to + 1 > hi) hi = c.fdmap[i].to + 1;
  auto lift = [&](int* fd) -> int {
    if (*fd < 0 || *fd >= hi) return 0;
    int n = fcntl(*fd, F_DUPFD_CLOEXEC, hi);
    if (n < 0) return Fail(c, kScFcntl);
    *fd = n;
    return 0;
  };
  if (lift(&c.syncFd) < 0) return -1;
  int targetFd = c.h->targetFd;
  if (lift(&targetFd) < 0) return -1;
  const_cast<PlanHeader*>(c.h)->targetFd = targetFd;
  int userOwnerFd = c.h->userOwnerFd;
  if (lift(&userOwnerFd) < 0) return -1;
  const_cast<PlanHeader*>(c.h)->userOwnerFd = userOwnerFd;
  for (uint32_t i = 0; i < c.h->nsteps; i++)
    if (lift(&c.steps[i].fd) < 0) return -1;
  int lifted[kMaxFdMap];
  for (uint32_t i = 0; i < c.h->nfds; i++) {
    lifted[i] = fcntl(c.fdmap[i].from, F_DUPFD_CLOEXEC, hi);
    if (lifted[i] < 0) return Fail(c, kScFcntl);
  }
  for (uint32_t i = 0; i < c.h->nfds; i++) {
    if (dup2(lifted[i], c.fdmap[i].to) < 0) return Fail(c, kScDup2);
    close(lifted[i]);
  }
  return CloseOthers(c);
}

// The rest of the plan runs in a new process: a pid or time namespace, joined by setns or made by unshare, applies
// to children only (pid_namespaces(7), time_namespaces(7)). The new process is cloned with CLONE_PARENT, so it is
// the caller's own child (watched through a pidfd, signalled, reaped by the caller) and this one exits at once,
// as runc's nsexec does. A gate holds the new process until its pid is sent, so that record comes before any of
// the new process's own. The parent-death signal is not inherited (prctl(2)): a later pdeathsig step sets it.
int ForkInit(ChildCtx& c) {
  int gate[2];
  if (pipe2(gate, O_CLOEXEC) < 0) return Fail(c, kScPipe2);
  // Block signals so none sent to the new process before it restored its mask runs a handler of the copy.
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, nullptr, nullptr, 0);
  if (pid < 0) {
    Fail(c, kScFork);
    close(gate[0]);
    close(gate[1]);
    return -1;
  }
  if (pid > 0) {
    SyncRecord rec = {kSyncInnerPid, c.step, static_cast<int32_t>(pid), 0};
    WriteAll(c.syncFd, &rec, sizeof rec);
    char one = 1;
    WriteAll(gate[1], &one, 1);
    _exit(0);
  }
  close(gate[1]);
  char b;
  ssize_t n;
  do n = read(gate[0], &b, 1); while (n < 0 && errno == EINTR);
  close(gate[0]);
  if (n != 1) _exit(2);  // the forking process died before sending our pid: nobody knows of us
  sigprocmask(SIG_SETMASK, &old, nullptr);
  return 0;
}

// Joins the user namespace that owns the namespace open as userOwnerFd (NS_GET_USERNS), unless it is ours already
// (setns into one's own user namespace is EINVAL): Guix's excursion joins the owner of the target's pid namespace,
// which with locked mounts is not the target's own (inner, mount-locking) user namespace.
int JoinOwnerUserNamespace(ChildCtx& c) {
  int fd = c.h->userOwnerFd;
  if (fd < 0) return 0;
  int user = ioctl(fd, NS_GET_USERNS);
  if (user < 0) return Fail(c, kScIoctl);
  struct stat a, b;
  bool same = fstat(user, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
  int r = same ? 0 : setns(user, CLONE_NEWUSER);
  close(user);
  if (r < 0) return Fail(c, kScSetns);
  close(fd);
  return 0;
}

int EnterNamespaces(ChildCtx& c) {
  if (c.h->targetFd < 0) return 0;
  if (JoinOwnerUserNamespace(c) < 0) return -1;
  // One setns on the pidfd joins every namespace at once; the kernel installs the user namespace first and the
  // mount namespace last (and root/cwd become the target's), so no ordering is left to get wrong here.
  if (c.h->namespaces != 0 && setns(c.h->targetFd, static_cast<int>(c.h->namespaces)) < 0)
    return Fail(c, kScSetns);
  close(c.h->targetFd);
  // A pid (or time) namespace applies to children only.
  return c.h->flags & kFlagEnterFork ? ForkInit(c) : 0;
}

int StepWait(ChildCtx& c, int index) {
  bool dumpable = c.h->flags & kFlagDumpableWhilePaused;
  // An unprivileged parent can only open /proc/PID/{uid_map,gid_map,setgroups} of a dumpable child (the files
  // of a non-dumpable one belong to root). The pause is the only window where it is dumpable.
  if (dumpable && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) return Fail(c, kScPrctl);
  SyncRecord rec = {kSyncPaused, index, 0, 0};
  if (WriteAll(c.syncFd, &rec, sizeof rec) < 0) return Fail(c, kScWrite);
  char b;
  ssize_t n;
  do n = read(c.syncFd, &b, 1); while (n < 0 && errno == EINTR);
  if (n <= 0) _exit(2);  // the parent closed the channel or died: nobody to release or report to
  if (dumpable && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return Fail(c, kScPrctl);
  return 0;
}

int RunStep(ChildCtx& c, StepRecord& r, int index) {
  switch (r.op) {
    case kOpWait: return StepWait(c, index);
    case kOpMkdir: case kOpTouch: case kOpSymlink: case kOpChmod: case kOpChown: case kOpWriteFile: case kOpMknod:
    case kOpRmdir:
      return StepFs(c, r);
    case kOpMount: case kOpRemount: case kOpMountSetattr: case kOpPropagation: case kOpUmount: case kOpChdir:
    case kOpChroot: case kOpPivotRoot: case kOpBindTree:
      return StepMount(c, r);
    case kOpSetgroups: case kOpSetresgid: case kOpSetresuid: case kOpCapabilities: case kOpKeepCaps:
    case kOpNoNewPrivs: case kOpPdeathsig: case kOpRlimit: case kOpOomScoreAdj: case kOpUmask:
    case kOpPersonality: case kOpSeccomp:
      return StepCreds(c, r);
    case kOpUnshare: case kOpSetns: case kOpSethostname: case kOpSetdomainname: case kOpLoopbackUp:
    case kOpWriteProcSelf: case kOpSessionKeyring:
      return StepNs(c, r);
    case kOpSetsid: case kOpConsole: case kOpDup2: case kOpCloseFrom: case kOpWaitFifo:
      return StepTty(c, r);
    case kOpForkInit: return ForkInit(c);
    case kOpExec: return StepExec(c, r);
    default: return FailWith(c, kScNone, EINVAL);
  }
}

}  // namespace

[[noreturn]] void ChildMain(ChildCtx& c) {
  // A copy of the Node process (heap, environment, tokens): no core dumps, no ptrace by the same uid, no
  // /proc/PID/{mem,environ} for others, until execve replaces the image.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ResetSignals();
  c.step = -1;
  if (PlaceFds(c) < 0 || EnterNamespaces(c) < 0) Report(c, -1);
  for (uint32_t i = 0; i < c.h->nsteps; i++) {
    c.step = static_cast<int>(i);
    if (RunStep(c, c.steps[i], static_cast<int>(i)) < 0) Report(c, static_cast<int>(i));
  }
  _exit(0);  // unreachable for validated plans, which end with exec
}

}  // namespace ct
