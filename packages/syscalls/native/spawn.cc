// Parent side of the clone engine: checks the flat plan the TS layer built (bounds only; the TS layer
// validated the meaning), builds the exec step's argv/envp pointer arrays, creates the close-on-exec sync
// socketpair, blocks every signal, clones (clone3 with CLONE_PIDFD, or clone(2) + pidfd_open), and in the
// child hands over to ChildMain (child_main.cc); for a plan that forks, takes over the new process (HandOff).
// Runs on the JS main thread only: PR_SET_PDEATHSIG follows the thread that cloned, so a libuv worker's exit would
// kill the child.
// Man pages: clone(2) (clone3, CLONE_PARENT), pidfd_open(2), socketpair(2), pthread_sigmask(3), waitid(2).
#include <linux/sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "child.h"
#include "common.h"

namespace ct {
namespace {

bool SlotOk(const PlanHeader& h, const char* arena, uint32_t off, uint32_t len) {
  if (off == kNone) return true;
  if (off > h.arenaLen || len > h.arenaLen - off || off + len >= h.arenaLen + 1) return false;
  return off + len < h.arenaLen && arena[off + len] == 0;
}

// Builds a NULL-terminated pointer array over `count` consecutive NUL-terminated strings.
bool BuildList(const char* arena, uint32_t off, uint32_t len, int32_t count, std::vector<char*>& out) {
  out.clear();
  if (off == kNone) {
    out.push_back(nullptr);
    return count == 0;
  }
  const char* p = arena + off;
  const char* end = p + len;
  for (int32_t i = 0; i < count; i++) {
    if (p >= end + 1) return false;
    out.push_back(const_cast<char*>(p));
    p += strlen(p) + 1;
  }
  out.push_back(nullptr);
  return p <= end + 1;
}

/** Checks every offset of the plan against its buffer; returns 0 or -EINVAL. */
int CheckPlan(uint8_t* data, size_t size, ChildCtx& c, std::vector<char*>& argv, std::vector<char*>& envp) {
  if (size < sizeof(PlanHeader)) return -EINVAL;
  auto* h = reinterpret_cast<PlanHeader*>(data);
  if (h->magic != kPlanMagic || h->version != kPlanVersion || h->totalLen != size) return -EINVAL;
  if (h->nsteps > kMaxSteps || h->nfds > kMaxFdMap) return -EINVAL;
  if (h->stepsOff > size || h->nsteps * sizeof(StepRecord) > size - h->stepsOff) return -EINVAL;
  if (h->fdmapOff > size || h->nfds * sizeof(FdMapEntry) > size - h->fdmapOff) return -EINVAL;
  if (h->arenaOff > size || h->arenaLen > size - h->arenaOff) return -EINVAL;
  if (h->stepsOff % 8 || h->arenaOff % 8) return -EINVAL;
  c.h = h;
  c.steps = reinterpret_cast<StepRecord*>(data + h->stepsOff);
  c.fdmap = reinterpret_cast<const FdMapEntry*>(data + h->fdmapOff);
  c.arena = reinterpret_cast<const char*>(data + h->arenaOff);
  bool sawExec = false;
  for (uint32_t i = 0; i < h->nsteps; i++) {
    const StepRecord& r = c.steps[i];
    if (r.op == kOpInvalid || r.op >= kOpCount) return -EINVAL;
    for (int s = 0; s < 6; s++)
      if (!SlotOk(*h, c.arena, r.soff[s], r.slen[s])) return -EINVAL;
    if (r.op == kOpExec) {
      if (sawExec || i + 1 != h->nsteps) return -EINVAL;
      sawExec = true;
      if (r.soff[0] == kNone) return -EINVAL;
      if (!BuildList(c.arena, r.soff[1], r.slen[1], r.a[0], argv)) return -EINVAL;
      if (!BuildList(c.arena, r.soff[2], r.slen[2], r.a[1], envp)) return -EINVAL;
    }
  }
  if (!sawExec) return -EINVAL;
  c.argv = argv.data();
  c.envp = envp.data();
  return 0;
}

long Clone3(uint64_t flags, int* pidfd) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  args.exit_signal = SIGCHLD;
  return syscall(SYS_clone3, &args, sizeof args);
}

// A plan that forks (a forkInit step, enter's second fork): the cloned process sends the new process's pid and
// exits at once (child_main.cc ForkInit). That record comes first (the new process waits on a gate until it is
// sent) and is read here, blocking briefly: before forkInit only setns and unshare steps run (plan-encode.ts). The
// forking process is reaped, and the new one, our own child through CLONE_PARENT, is handed to the caller with a
// pidfd. Anything else first (a failed setns, an early death) stays on the socket for the handle to report, with
// the first process's pid. Returns 0 or -errno.
int HandOff(int sync, long* pid, int* pidfd) {
  SyncRecord rec;
  ssize_t n;
  do n = recv(sync, &rec, sizeof rec, MSG_PEEK | MSG_WAITALL); while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof rec) || rec.kind != kSyncInnerPid) return 0;
  do n = recv(sync, &rec, sizeof rec, MSG_WAITALL); while (n < 0 && errno == EINTR);
  siginfo_t si;
  while (waitid(P_PID, static_cast<id_t>(*pid), &si, WEXITED) < 0 && errno == EINTR) {
  }
  close(*pidfd);
  pid_t inner = rec.err;
  int fd = static_cast<int>(syscall(SYS_pidfd_open, inner, 0));
  if (fd < 0) {  // cannot watch it: kill and reap so no zombie is left
    int err = errno;
    kill(inner, SIGKILL);
    waitid(P_PID, static_cast<id_t>(inner), &si, WEXITED);
    return -err;
  }
  *pid = inner;
  *pidfd = fd;
  return 0;
}

// spawn(plan: Buffer) -> [pid, pidfd, syncFd] | -errno. Also serves enter(): the header's targetFd and flags
// tell the child to setns (and fork again) before its steps.
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto buf = info[0].As<Napi::Buffer<uint8_t>>();
  ChildCtx c;
  memset(&c, 0, sizeof c);
  std::vector<char*> argv, envp;
  int rc = CheckPlan(buf.Data(), buf.Length(), c, argv, envp);
  if (rc < 0) return Napi::Number::New(env, rc);
  bool enter = c.h->targetFd >= 0;
  uint64_t cloneNs = enter ? 0 : c.h->namespaces;
  bool legacy = c.h->flags & kFlagLegacyClone;

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return Napi::Number::New(env, -errno);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int pidfd = -1;
  long pid = -1;
  if (!legacy) {
    pid = Clone3(cloneNs, &pidfd);
    if (pid < 0 && errno == ENOSYS) legacy = true;
  }
  if (legacy) pid = syscall(SYS_clone, static_cast<unsigned long>(cloneNs) | SIGCHLD, 0, nullptr, nullptr, 0);
  if (pid == 0) {
    close(sv[0]);
    c.syncFd = sv[1];
    ChildMain(c);
  }
  int err = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(sv[1]);
  if (pid < 0) {
    close(sv[0]);
    return Napi::Number::New(env, -err);
  }
  if (legacy) {
    pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {  // cannot watch it: kill and reap so no zombie is left
      err = errno;
      kill(static_cast<pid_t>(pid), SIGKILL);
      siginfo_t si;
      waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED);
      close(sv[0]);
      return Napi::Number::New(env, -err);
    }
  }
  if (c.h->flags & (kFlagEnterFork | kFlagForkInit)) {
    int rc = HandOff(sv[0], &pid, &pidfd);
    if (rc < 0) {
      close(sv[0]);
      return Napi::Number::New(env, rc);
    }
  }
  Napi::Array a = Napi::Array::New(env, 3);
  a.Set(0u, Napi::Number::New(env, static_cast<double>(pid)));
  a.Set(1u, Napi::Number::New(env, pidfd));
  a.Set(2u, Napi::Number::New(env, sv[0]));
  return a;
}

// planLayout() -> {header, record, ops: string[], syscalls: string[]} so tests can check the TS mirror.
Napi::Value PlanLayout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("header", Napi::Number::New(env, sizeof(PlanHeader)));
  o.Set("record", Napi::Number::New(env, sizeof(StepRecord)));
  Napi::Array ops = Napi::Array::New(env);
  uint32_t i = 0;
#define CT_NAME(name, str) ops.Set(i++, Napi::String::New(env, str));
  CT_STEP_OPS(CT_NAME)
  o.Set("ops", ops);
  Napi::Array scs = Napi::Array::New(env);
  i = 0;
#define CT_SC(name, str) scs.Set(i++, Napi::String::New(env, str));
  CT_SYSCALLS(CT_SC)
#undef CT_SC
#undef CT_NAME
  o.Set("syscalls", scs);
  return o;
}

}  // namespace

void InitSpawn(Napi::Env env, Napi::Object exports) {
  CT_EXPORT("spawn", Spawn);
  CT_EXPORT("planLayout", PlanLayout);
}

}  // namespace ct
