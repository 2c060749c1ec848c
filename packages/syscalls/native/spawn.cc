// Parent side of the clone engine: checks the flat plan the TS layer built (plan_check.cc: bounds only; the TS
// layer validated the meaning) and builds the exec step's argv/envp pointer arrays, creates the close-on-exec sync
// socketpair, blocks every signal, clones (clone3 with CLONE_PIDFD, or clone(2) + pidfd_open), and in the
// child hands over to ChildMain (child_main.cc); for a plan that forks, takes over the new process (HandOff).
// The fork server (forkserver.cc) clones from the same plan; `adopt` is the parent's part for its children.
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
#include "plan_check.h"

namespace ct {
namespace {

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

// The parent's part after a clone, for spawn() and for a child the fork server cloned (src/fork-server.ts): opens
// a pidfd when the clone gave none (kills and reaps the child when that fails, so no zombie is left), then, for a
// plan that forks, takes over the new process (HandOff). Returns 0 or -errno.
int Adopt(int sync, uint32_t flags, long* pid, int* pidfd) {
  if (*pidfd < 0) {
    int fd = static_cast<int>(syscall(SYS_pidfd_open, *pid, 0));
    if (fd < 0) {
      int err = errno;
      kill(static_cast<pid_t>(*pid), SIGKILL);
      siginfo_t si;
      waitid(P_PID, static_cast<id_t>(*pid), &si, WEXITED);
      return -err;
    }
    *pidfd = fd;
  }
  if (flags & (kFlagEnterFork | kFlagForkInit)) return HandOff(sync, pid, pidfd);
  return 0;
}

// adopt(pid, syncFd, planFlags) -> [pid, pidfd] | -errno: Adopt for a child of this process cloned by the fork
// server (CLONE_PARENT). The sync fd stays the caller's, also on failure.
Napi::Value AdoptChild(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  long pid = IntArg(info, 0);
  int pidfd = -1;
  int rc = Adopt(IntArg(info, 1), UintArg(info, 2), &pid, &pidfd);
  if (rc < 0) return Napi::Number::New(env, rc);
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, Napi::Number::New(env, static_cast<double>(pid)));
  a.Set(1u, Napi::Number::New(env, pidfd));
  return a;
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
  rc = Adopt(sv[0], c.h->flags, &pid, &pidfd);
  if (rc < 0) {
    close(sv[0]);
    return Napi::Number::New(env, rc);
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
  CT_EXPORT("adopt", AdoptChild);
}

}  // namespace ct
