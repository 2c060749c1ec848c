// Starts the fork server (forkserver.cc) for src/fork-server.ts with posix_spawn(3): glibc clones with
// CLONE_VM | CLONE_VFORK, so starting it copies none of the Node process's page tables (child_process.spawn
// forks the whole process, which is the cost the server exists to avoid). The server gets /dev/null on fds 0-2,
// the control socket on fd 3, every signal at its default and unblocked, an empty environment, the caller's
// pid as argv[1] and the signals it ignores as argv[2] (the server ignores those, glibc's reserved ones too); it is this thread's child (PR_SET_PDEATHSIG in the server follows this thread: call it on the
// main thread, as spawn() is).
// Man pages: posix_spawn(3), posix_spawn_file_actions_adddup2(3), posix_spawnattr_setsigdefault(3).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <string>

#include "common.h"

namespace ct {
namespace {

// startForkServer(path: CStr, controlFd, ignoredSignalsHex: CStr) -> pid | -errno
Napi::Value StartForkServer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* path = PathArg(info, 0);
  int control = IntArg(info, 1);
  const char* ignored = PathArg(info, 2);  // the caller's SigIgn (hex), for the server to take: argv[2]
  // adddup2 onto the same number would leave it close-on-exec (before glibc 2.29): move it off fd 3 first
  int moved = control == 3 ? fcntl(control, F_DUPFD_CLOEXEC, 4) : control;
  if (moved < 0) return Napi::Number::New(env, -errno);
  std::string pid = std::to_string(getpid());
  char* argv[] = {const_cast<char*>(path), const_cast<char*>(pid.c_str()), const_cast<char*>(ignored), nullptr};
  char* envp[] = {nullptr};
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_adddup2(&fa, 0, 1);
  posix_spawn_file_actions_adddup2(&fa, 0, 2);
  posix_spawn_file_actions_adddup2(&fa, moved, 3);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t child = -1;
  int rc = posix_spawn(&child, path, &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (moved != control) close(moved);
  return Napi::Number::New(env, rc == 0 ? child : -rc);
}

}  // namespace

void InitForkServer(Napi::Env env, Napi::Object exports) {
  CT_EXPORT("startForkServer", StartForkServer);
}

}  // namespace ct
