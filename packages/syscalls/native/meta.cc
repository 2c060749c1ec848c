// In-process metadata wrappers: extended attributes (values as Buffers) and statx (the raw struct copied into a
// caller's 256-byte Buffer, decoded in TS as bigints).
// Man pages: setxattr(2), getxattr(2), listxattr(2), statx(2).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common.h"

namespace ct {
namespace {

// lsetxattr(path, name, value, flags) / fsetxattr(fd, name, value, flags)
Napi::Value Lsetxattr(const Napi::CallbackInfo& info) {
  auto v = info[2].As<Napi::Buffer<uint8_t>>();
  return Ret(info.Env(), lsetxattr(PathArg(info, 0), PathArg(info, 1), v.Data(), v.Length(), IntArg(info, 3)));
}
Napi::Value Fsetxattr(const Napi::CallbackInfo& info) {
  auto v = info[2].As<Napi::Buffer<uint8_t>>();
  return Ret(info.Env(), fsetxattr(IntArg(info, 0), PathArg(info, 1), v.Data(), v.Length(), IntArg(info, 3)));
}

// Size query then read; retries when the value grew in between (ERANGE).
template <typename Get>
Napi::Value ReadSized(Napi::Env env, Get get) {
  for (int attempt = 0; attempt < 4; attempt++) {
    ssize_t size = get(nullptr, 0);
    if (size < 0) return Napi::Number::New(env, -errno);
    Napi::Buffer<char> buf = Napi::Buffer<char>::New(env, size > 0 ? size : 1);
    ssize_t n = get(buf.Data(), size);
    if (n >= 0) return Napi::Buffer<char>::Copy(env, buf.Data(), n);
    if (errno != ERANGE) return Napi::Number::New(env, -errno);
  }
  return Napi::Number::New(env, -ERANGE);
}

Napi::Value Lgetxattr(const Napi::CallbackInfo& info) {
  const char* path = PathArg(info, 0);
  const char* name = PathArg(info, 1);
  return ReadSized(info.Env(), [&](char* b, size_t n) { return lgetxattr(path, name, b, n); });
}
Napi::Value Fgetxattr(const Napi::CallbackInfo& info) {
  int fd = IntArg(info, 0);
  const char* name = PathArg(info, 1);
  return ReadSized(info.Env(), [&](char* b, size_t n) { return fgetxattr(fd, name, b, n); });
}
Napi::Value Flistxattr(const Napi::CallbackInfo& info) {
  int fd = IntArg(info, 0);
  return ReadSized(info.Env(), [&](char* b, size_t n) { return flistxattr(fd, b, n); });
}
Napi::Value Llistxattr(const Napi::CallbackInfo& info) {
  const char* path = PathArg(info, 0);
  return ReadSized(info.Env(), [&](char* b, size_t n) { return llistxattr(path, b, n); });
}
Napi::Value Lremovexattr(const Napi::CallbackInfo& info) {
  return Ret(info.Env(), lremovexattr(PathArg(info, 0), PathArg(info, 1)));
}
Napi::Value Fremovexattr(const Napi::CallbackInfo& info) {
  return Ret(info.Env(), fremovexattr(IntArg(info, 0), PathArg(info, 1)));
}

// statx(dirfd, path, flags, mask, out: Buffer(>= 256))
Napi::Value Statx(const Napi::CallbackInfo& info) {
  auto out = info[4].As<Napi::Buffer<uint8_t>>();
  if (out.Length() < sizeof(struct statx)) return Napi::Number::New(info.Env(), -EINVAL);
  return Ret(info.Env(), syscall(SYS_statx, IntArg(info, 0), PathArg(info, 1), IntArg(info, 2), UintArg(info, 3),
                                 out.Data()));
}

}  // namespace

void InitMeta(Napi::Env env, Napi::Object exports) {
  CT_EXPORT("lsetxattr", Lsetxattr);
  CT_EXPORT("fsetxattr", Fsetxattr);
  CT_EXPORT("lgetxattr", Lgetxattr);
  CT_EXPORT("fgetxattr", Fgetxattr);
  CT_EXPORT("flistxattr", Flistxattr);
  CT_EXPORT("llistxattr", Llistxattr);
  CT_EXPORT("lremovexattr", Lremovexattr);
  CT_EXPORT("fremovexattr", Fremovexattr);
  CT_EXPORT("statx", Statx);
}

}  // namespace ct
