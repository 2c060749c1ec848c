// Scheduling attributes of another process, set from the parent (a container's init at a pause, before it changes
// its ids): ioprio_set(2) and sched_setattr(2). glibc wraps neither, so both are raw syscalls; the sched_attr
// struct is laid out by the TypeScript side (src/sched.ts) and passed as a Buffer.
// Man pages: ioprio_set(2), sched_setattr(2).
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

namespace ct {
namespace {

// ioprio_set(which, who, ioprio)
Napi::Value IoprioSet(const Napi::CallbackInfo& info) {
  return Ret(info.Env(), syscall(SYS_ioprio_set, IntArg(info, 0), IntArg(info, 1), IntArg(info, 2)));
}

// sched_setattr(pid, attr: Buffer (struct sched_attr, its size in its first field), flags)
Napi::Value SchedSetattr(const Napi::CallbackInfo& info) {
  auto attr = info[1].As<Napi::Buffer<uint8_t>>();
  return Ret(info.Env(), syscall(SYS_sched_setattr, IntArg(info, 0), attr.Data(), UintArg(info, 2)));
}

}  // namespace

void InitSched(Napi::Env env, Napi::Object exports) {
  CT_EXPORT("ioprioSet", IoprioSet);
  CT_EXPORT("schedSetattr", SchedSetattr);
}

}  // namespace ct
