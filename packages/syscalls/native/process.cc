// In-process wrappers that touch mounts and processes: mount(2), umount2(2), pidfd_open(2),
// pidfd_send_signal(2), and the id getters. Mounting from the multithreaded Node process is fine (the mount
// namespace is shared by all threads); unshare/setns are deliberately absent (see README).
// Man pages: mount(2), umount(2), pidfd_open(2), pidfd_send_signal(2), getuid(2), getgid(2), gettid(2).
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

namespace ct {
namespace {

// mount(source|null, target, fstype|null, flags: bigint, data|null)
Napi::Value Mount(const Napi::CallbackInfo& info) {
  return Ret(info.Env(), mount(PathArg(info, 0), PathArg(info, 1), PathArg(info, 2),
                               static_cast<unsigned long>(BigArg(info, 3)), PathArg(info, 4)));
}

Napi::Value Umount2(const Napi::CallbackInfo& info) {
  return Ret(info.Env(), umount2(PathArg(info, 0), IntArg(info, 1)));
}

// pidfd_open(pid, flags); the fd is close-on-exec by the kernel's definition.
Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  return Ret(info.Env(), syscall(SYS_pidfd_open, IntArg(info, 0), UintArg(info, 1)));
}

Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  return Ret(info.Env(), syscall(SYS_pidfd_send_signal, IntArg(info, 0), IntArg(info, 1), nullptr, 0));
}

Napi::Value GetUid(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), getuid()); }
Napi::Value GetEuid(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), geteuid()); }
Napi::Value GetGid(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), getgid()); }
Napi::Value GetEgid(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), getegid()); }

// True on the process's main thread (its tid is the pid), where Node runs the main JS thread; a worker is not.
// Cheaper than loading node:worker_threads for its isMainThread.
Napi::Value IsMainThread(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), syscall(SYS_gettid) == getpid());
}

}  // namespace

void InitProcess(Napi::Env env, Napi::Object exports) {
  CT_EXPORT("mount", Mount);
  CT_EXPORT("umount2", Umount2);
  CT_EXPORT("pidfdOpen", PidfdOpen);
  CT_EXPORT("pidfdSendSignal", PidfdSendSignal);
  CT_EXPORT("getuid", GetUid);
  CT_EXPORT("geteuid", GetEuid);
  CT_EXPORT("getgid", GetGid);
  CT_EXPORT("getegid", GetEgid);
  CT_EXPORT("isMainThread", IsMainThread);
}

}  // namespace ct
