// In-process bpf(2) wrappers, one per command a cgroup device filter needs: BPF_PROG_LOAD, BPF_PROG_ATTACH,
// BPF_PROG_DETACH, BPF_PROG_QUERY and BPF_PROG_GET_FD_BY_ID. Each is a quick synchronous syscall (the verifier
// runs in the caller's thread, but on a program of a few dozen instructions). The descriptors bpf(2) returns are
// close-on-exec already (the kernel makes every bpf fd O_CLOEXEC).
// Man pages: bpf(2); kernel docs bpf/prog_cgroup_device (BPF_PROG_TYPE_CGROUP_DEVICE), include/uapi/linux/bpf.h.
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "common.h"

namespace ct {
namespace {

long Bpf(int cmd, union bpf_attr* attr) { return syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

uint64_t Ptr(const void* p) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)); }

// bpfProgLoad(progType, insns: Buffer (8 bytes each), license: CStr, log: Buffer | null, expectedAttachType)
//   -> fd | -errno; with a log buffer the verifier writes its log there (log_level 1).
Napi::Value ProgLoad(const Napi::CallbackInfo& info) {
  auto insns = info[1].As<Napi::Buffer<uint8_t>>();
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.prog_type = UintArg(info, 0);
  attr.insns = Ptr(insns.Data());
  attr.insn_cnt = static_cast<uint32_t>(insns.Length() / sizeof(struct bpf_insn));
  attr.license = Ptr(PathArg(info, 2));
  if (!info[3].IsNull() && !info[3].IsUndefined()) {
    auto log = info[3].As<Napi::Buffer<uint8_t>>();
    attr.log_level = 1;
    attr.log_buf = Ptr(log.Data());
    attr.log_size = static_cast<uint32_t>(log.Length());
  }
  attr.expected_attach_type = UintArg(info, 4);
  return Ret(info.Env(), Bpf(BPF_PROG_LOAD, &attr));
}

// bpfProgAttach(targetFd, progFd, attachType, flags) -> 0 | -errno
Napi::Value ProgAttach(const Napi::CallbackInfo& info) {
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.target_fd = UintArg(info, 0);
  attr.attach_bpf_fd = UintArg(info, 1);
  attr.attach_type = UintArg(info, 2);
  attr.attach_flags = UintArg(info, 3);
  return Ret(info.Env(), Bpf(BPF_PROG_ATTACH, &attr));
}

// bpfProgDetach(targetFd, progFd, attachType) -> 0 | -errno
Napi::Value ProgDetach(const Napi::CallbackInfo& info) {
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.target_fd = UintArg(info, 0);
  attr.attach_bpf_fd = UintArg(info, 1);
  attr.attach_type = UintArg(info, 2);
  return Ret(info.Env(), Bpf(BPF_PROG_DETACH, &attr));
}

// bpfProgQuery(targetFd, attachType, ids: Uint32Array, out: Uint32Array(2)) -> 0 | -errno;
// out = [attach flags, program count] (the count may exceed ids' length: the kernel then fails with ENOSPC
// after filling ids, and the caller retries with room for all)
Napi::Value ProgQuery(const Napi::CallbackInfo& info) {
  auto ids = info[2].As<Napi::Uint32Array>();
  auto out = info[3].As<Napi::Uint32Array>();
  if (out.ElementLength() < 2) return Napi::Number::New(info.Env(), -EINVAL);
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.query.target_fd = UintArg(info, 0);
  attr.query.attach_type = UintArg(info, 1);
  attr.query.prog_ids = Ptr(ids.Data());
  attr.query.prog_cnt = static_cast<uint32_t>(ids.ElementLength());
  long r = Bpf(BPF_PROG_QUERY, &attr);
  int saved = errno;
  out[0] = attr.query.attach_flags;
  out[1] = attr.query.prog_cnt;
  errno = saved;
  return Ret(info.Env(), r);
}

// bpfProgGetFdById(id) -> fd | -errno
Napi::Value ProgGetFdById(const Napi::CallbackInfo& info) {
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.prog_id = UintArg(info, 0);
  return Ret(info.Env(), Bpf(BPF_PROG_GET_FD_BY_ID, &attr));
}

}  // namespace

void InitBpf(Napi::Env env, Napi::Object exports) {
  CT_EXPORT("bpfProgLoad", ProgLoad);
  CT_EXPORT("bpfProgAttach", ProgAttach);
  CT_EXPORT("bpfProgDetach", ProgDetach);
  CT_EXPORT("bpfProgQuery", ProgQuery);
  CT_EXPORT("bpfProgGetFdById", ProgGetFdById);
}

}  // namespace ct
