// ct-forkserver: clones children for a Node process from this small process instead of the Node process itself
// (issue 21). A clone copies the parent's page tables and makes its private pages copy-on-write: for Node's
// ~50 MB that costs the clone, and Node pays the faults afterwards; here there is almost nothing to copy.
// Started once per Node process by src/fork-server.ts, with its control socket as fd 3, that process's pid as
// argv[1] and the signals it ignores as argv[2] (hex, taken as this server's). One request at a time (the Node
// side waits for each reply):
//   request: ForkRequest, then int32 table[nfds] (for each fd of the SCM_RIGHTS array sent with the header, in
//            order, the Node process's number for it; kFdSync: the child's end of the sync socket, kFdCwd: Node's
//            working directory), then the flat plan (plan_layout.h), as the addon's spawn() takes it
//   reply:   int32: the child's pid, or -errno (plan or table refused, or the clone failed)
// The child is cloned with CLONE_PARENT, so it is the Node process's own child: Node watches it with a pidfd,
// signals and reaps it as when it clones by itself (a forkInit's CLONE_PARENT lands there too), and the child's
// getppid() is the parentPid its pdeathsig step checks. Before the clone the plan's fd numbers (the fd map's
// sources, the steps' fds, enter's target and user-owner fds) are rewritten to the copies received here, and the
// server takes Node's fds 0-2 (closing those Node has not open; close-on-exec where Node's are, as Node makes its
// stdio), umask and working directory: what a clone of Node would inherit. Then ChildMain (child_main.cc) runs the plan, the same code the addon runs. Afterwards fds 0-2
// are /dev/null again and every received fd is closed. The server holds nothing else, is not dumpable, and dies
// with the Node process (PR_SET_PDEATHSIG) or at EOF on the control socket.
// Man pages: clone(2) (clone3, CLONE_PARENT), unix(7), cmsg(3), prctl(2), umask(2), fchdir(2).
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "plan_check.h"

namespace ct {
namespace {

constexpr uint32_t kRequestMagic = 0x53464354;  // "CTFS"
constexpr uint32_t kRequestVersion = 1;
constexpr uint32_t kMaxPassed = 64;              // the addon's sendmsg limit
constexpr uint32_t kMaxPlanBytes = 128u << 20;  // above the largest plan: a 64 MiB arena (plan-layout.ts)
constexpr int kControlFd = 3;
constexpr int32_t kFdSync = -2;
constexpr int32_t kFdCwd = -3;

struct ForkRequest {
  uint32_t magic, version, planLen, nfds, umask, cloexec;  // cloexec: bit k set when Node's fd k (0-2) is FD_CLOEXEC
};
static_assert(sizeof(ForkRequest) == 24, "request size");

/** The fds of one request and the Node process's number for each. */
struct Passed {
  int fds[kMaxPassed];
  int32_t table[kMaxPassed];
  uint32_t n;
};

int devNull = -1;

int ReadAll(int fd, void* buf, size_t len) {
  auto* p = static_cast<char*>(buf);
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= static_cast<size_t>(n);
  }
  return 0;
}

/** Reads the header and the fds sent with it. Returns 1, or 0 at EOF or on a broken stream. */
int ReceiveHeader(ForkRequest& q, Passed& p) {
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassed)];
  struct iovec iov = {&q, sizeof q};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = recvmsg(kControlFd, &msg, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
  if (n <= 0) return 0;
  p.n = 0;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const int* in = reinterpret_cast<const int*>(CMSG_DATA(c));
    for (size_t i = 0; i < count; i++) {
      if (p.n < kMaxPassed) p.fds[p.n++] = in[i];
      else close(in[i]);
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) return 0;
  if (static_cast<size_t>(n) < sizeof q && ReadAll(kControlFd, reinterpret_cast<char*>(&q) + n, sizeof q - n) < 0)
    return 0;
  return q.magic == kRequestMagic && q.version == kRequestVersion && q.nfds <= kMaxPassed &&
         q.planLen <= kMaxPlanBytes;
}

/** The copy received for the Node process's fd `node`; -1 stays -1 (none); INT_MIN when it was not sent. */
int Local(const Passed& p, int32_t node) {
  if (node == -1) return -1;
  for (uint32_t i = 0; i < p.n; i++)
    if (p.table[i] == node) return p.fds[i];
  return INT_MIN;
}

/** Rewrites the plan's fd numbers to the copies received; 0 or -EBADF. */
int RewriteFds(ChildCtx& c, const Passed& p) {
  auto* h = const_cast<PlanHeader*>(c.h);
  auto* fdmap = const_cast<FdMapEntry*>(c.fdmap);
  for (uint32_t i = 0; i < h->nfds; i++)
    if ((fdmap[i].from = Local(p, fdmap[i].from)) == INT_MIN) return -EBADF;
  for (uint32_t i = 0; i < h->nsteps; i++)
    if (c.steps[i].fd >= 0 && (c.steps[i].fd = Local(p, c.steps[i].fd)) == INT_MIN) return -EBADF;
  if (h->targetFd >= 0 && (h->targetFd = Local(p, h->targetFd)) == INT_MIN) return -EBADF;
  if (h->userOwnerFd >= 0 && (h->userOwnerFd = Local(p, h->userOwnerFd)) == INT_MIN) return -EBADF;
  return 0;
}

/** Takes the Node process's fds 0-2 (with their close-on-exec flag), working directory and umask; 0 or -errno. */
int TakeContext(const Passed& p, const ForkRequest& q) {
  for (int k = 0; k <= 2; k++) {
    int fd = Local(p, k);
    if (fd == INT_MIN ? close(k) < 0 && errno != EBADF : dup2(fd, k) < 0) return -errno;
    if (fd != INT_MIN && (q.cloexec >> k & 1) && fcntl(k, F_SETFD, FD_CLOEXEC) < 0) return -errno;
  }
  int cwd = Local(p, kFdCwd);
  if (cwd < 0 || fchdir(cwd) < 0) return cwd < 0 ? -EBADF : -errno;
  umask(static_cast<mode_t>(q.umask & 0777));
  return 0;
}

long CloneParent(uint64_t namespaces, bool legacy) {
  if (!legacy) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_PARENT | namespaces;  // exit_signal stays 0: CLONE_PARENT takes the caller's (clone(2))
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid >= 0 || errno != ENOSYS) return pid;
  }
  return syscall(SYS_clone, static_cast<unsigned long>(namespaces) | CLONE_PARENT, 0, nullptr, nullptr, 0);
}

/** Serves one request; returns false when the control socket is gone or out of step. */
bool Serve() {
  ForkRequest q;
  Passed p;
  if (!ReceiveHeader(q, p)) return false;
  std::vector<uint64_t> plan((q.planLen + 7) / 8);  // 8-byte aligned: the records hold uint64_t
  if (ReadAll(kControlFd, p.table, q.nfds * sizeof(int32_t)) < 0 || ReadAll(kControlFd, plan.data(), q.planLen) < 0) {
    for (uint32_t i = 0; i < p.n; i++) close(p.fds[i]);
    return false;
  }
  long rc = p.n == q.nfds ? 0 : -EINVAL;
  ChildCtx c;
  memset(&c, 0, sizeof c);
  std::vector<char*> argv, envp;
  if (rc == 0) rc = CheckPlan(reinterpret_cast<uint8_t*>(plan.data()), q.planLen, c, argv, envp);
  if (rc == 0) rc = RewriteFds(c, p);
  int sync = rc == 0 ? Local(p, kFdSync) : -1;
  if (rc == 0 && sync < 0) rc = -EBADF;
  if (rc == 0) rc = TakeContext(p, q);
  if (rc == 0) {
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    bool enter = c.h->targetFd >= 0;
    rc = CloneParent(enter ? 0 : c.h->namespaces, c.h->flags & kFlagLegacyClone);
    if (rc == 0) {
      c.syncFd = sync;
      ChildMain(c);
    }
    if (rc < 0) rc = -errno;
    sigprocmask(SIG_SETMASK, &old, nullptr);
  }
  for (int k = 0; k <= 2; k++) dup2(devNull, k);
  for (uint32_t i = 0; i < p.n; i++) close(p.fds[i]);
  int32_t reply = static_cast<int32_t>(rc);
  return send(kControlFd, &reply, sizeof reply, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof reply);
}

}  // namespace
}  // namespace ct

namespace ct {
namespace {

/** The kernel's struct sigaction (x86-64) for rt_sigaction(2): glibc's sigaction refuses its reserved signals. */
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  uint64_t mask;
};

/**
 * Ignore exactly the signals of `hex` (the Node process's SigIgn), every other one at its default: the state a clone
 * of the Node process would carry through execve (posix_spawn left glibc's reserved 32 and 33 ignored here, as
 * handled in the parent). An empty `hex`: left as posix_spawn made it.
 */
int TakeIgnoredSignals(const char* hex) {
  if (*hex == '\0') return 0;
  char* end = nullptr;
  errno = 0;
  unsigned long long ignored = strtoull(hex, &end, 16);
  if (errno != 0 || *end != '\0') return -1;
  for (int sig = 1; sig <= 64; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    KernelSigaction sa = {(ignored >> (sig - 1) & 1) ? SIG_IGN : SIG_DFL, 0, nullptr, 0};
    if (syscall(SYS_rt_sigaction, sig, &sa, nullptr, sizeof sa.mask) < 0) return -1;
  }
  return 0;
}

}  // namespace
}  // namespace ct

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  pid_t parent = static_cast<pid_t>(atoi(argv[1]));
  if (ct::TakeIgnoredSignals(argv[2]) < 0) return 1;
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent) return 1;
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (fcntl(ct::kControlFd, F_SETFD, FD_CLOEXEC) < 0) return 1;
  ct::devNull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (ct::devNull < 0) return 1;
  for (int k = 0; k <= 2; k++)  // keep 0-2 taken so that no received fd lands there
    if (fcntl(k, F_GETFD) < 0 && dup2(ct::devNull, k) < 0) return 1;
  while (ct::Serve()) {
  }
  return 0;
}
