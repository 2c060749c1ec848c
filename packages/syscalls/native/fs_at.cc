// In-process *at(2) file wrappers: openat2, openat, mkdirat, mknodat, symlinkat, readlinkat, linkat, unlinkat,
// renameat2, fchownat, fchmodat/fchmodat2, fchmod, fchown, utimensat. Each is a raw syscall; no policy.
// Man pages: openat2(2), open(2), mkdirat(2), mknodat(2), symlinkat(2), readlinkat(2), linkat(2), unlinkat(2),
// rename(2), chown(2), chmod(2), utimensat(2).
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>

#include "common.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

namespace ct {
namespace {

// openat2(dirfd, path, flags: bigint, mode, resolve: bigint)
Napi::Value Openat2(const Napi::CallbackInfo& info) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = BigArg(info, 2);
  how.mode = UintArg(info, 3);
  how.resolve = BigArg(info, 4);
  return Ret(info.Env(), syscall(SYS_openat2, IntArg(info, 0), PathArg(info, 1), &how, sizeof how));
}

Napi::Value Openat(const Napi::CallbackInfo& info) {
  return Ret(info.Env(), openat(IntArg(info, 0), PathArg(info, 1), IntArg(info, 2), UintArg(info, 3)));
}

Napi::Value Mkdirat(const Napi::CallbackInfo& info) {
  return Ret(info.Env(), mkdirat(IntArg(info, 0), PathArg(info, 1), UintArg(info, 2)));
}

// mknodat(dirfd, path, mode, major, minor)
Napi::Value Mknodat(const Napi::CallbackInfo& info) {
  dev_t dev = makedev(UintArg(info, 3), UintArg(info, 4));
  return Ret(info.Env(), mknodat(IntArg(info, 0), PathArg(info, 1), UintArg(info, 2), dev));
}

// symlinkat(target, dirfd, linkpath)
Napi::Value Symlinkat(const Napi::CallbackInfo& info) {
  return Ret(info.Env(), symlinkat(PathArg(info, 0), IntArg(info, 1), PathArg(info, 2)));
}

// readlinkat(dirfd, path) -> Buffer | -errno. Retries with a larger buffer when the target fills it.
Napi::Value Readlinkat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int dirfd = IntArg(info, 0);
  const char* path = PathArg(info, 1);
  for (size_t size = 256; size <= (1u << 20); size *= 4) {
    Napi::Buffer<char> buf = Napi::Buffer<char>::New(env, size);
    ssize_t n = readlinkat(dirfd, path, buf.Data(), size);
    if (n < 0) return Napi::Number::New(env, -errno);
    if (static_cast<size_t>(n) < size) return Napi::Buffer<char>::Copy(env, buf.Data(), n);
  }
  return Napi::Number::New(env, -ENAMETOOLONG);
}

// linkat(olddirfd, oldpath, newdirfd, newpath, flags)
Napi::Value Linkat(const Napi::CallbackInfo& info) {
  return Ret(info.Env(),
             linkat(IntArg(info, 0), PathArg(info, 1), IntArg(info, 2), PathArg(info, 3), IntArg(info, 4)));
}

Napi::Value Unlinkat(const Napi::CallbackInfo& info) {
  return Ret(info.Env(), unlinkat(IntArg(info, 0), PathArg(info, 1), IntArg(info, 2)));
}

// renameat2(olddirfd, oldpath, newdirfd, newpath, flags)
Napi::Value Renameat2(const Napi::CallbackInfo& info) {
  return Ret(info.Env(), syscall(SYS_renameat2, IntArg(info, 0), PathArg(info, 1), IntArg(info, 2),
                                 PathArg(info, 3), UintArg(info, 4)));
}

// fchownat(dirfd, path, uid, gid, flags); uid/gid -1 keeps the id.
Napi::Value Fchownat(const Napi::CallbackInfo& info) {
  return Ret(info.Env(), syscall(SYS_fchownat, IntArg(info, 0), PathArg(info, 1), IntArg(info, 2), IntArg(info, 3),
                                 IntArg(info, 4)));
}

// fchmodat(dirfd, path, mode, flags): flags need fchmodat2 (Linux 6.6); the old syscall takes none.
Napi::Value Fchmodat(const Napi::CallbackInfo& info) {
  int flags = IntArg(info, 3);
  if (flags == 0)
    return Ret(info.Env(), syscall(SYS_fchmodat, IntArg(info, 0), PathArg(info, 1), UintArg(info, 2)));
  return Ret(info.Env(), syscall(SYS_fchmodat2, IntArg(info, 0), PathArg(info, 1), UintArg(info, 2), flags));
}

Napi::Value Fchmod(const Napi::CallbackInfo& info) {
  return Ret(info.Env(), fchmod(IntArg(info, 0), UintArg(info, 1)));
}

Napi::Value Fchown(const Napi::CallbackInfo& info) {
  return Ret(info.Env(), syscall(SYS_fchown, IntArg(info, 0), IntArg(info, 1), IntArg(info, 2)));
}

// utimensat(dirfd, path|null, atimeSec: bigint, atimeNsec, mtimeSec: bigint, mtimeNsec, flags)
// A nsec of UTIME_NOW / UTIME_OMIT passes through; a null path with AT_EMPTY_PATH-like use means the fd itself.
Napi::Value Utimensat(const Napi::CallbackInfo& info) {
  struct timespec ts[2];
  ts[0].tv_sec = BigSArg(info, 2);
  ts[0].tv_nsec = I64Arg(info, 3);
  ts[1].tv_sec = BigSArg(info, 4);
  ts[1].tv_nsec = I64Arg(info, 5);
  return Ret(info.Env(), syscall(SYS_utimensat, IntArg(info, 0), PathArg(info, 1), ts, IntArg(info, 6)));
}

}  // namespace

void InitFsAt(Napi::Env env, Napi::Object exports) {
  CT_EXPORT("openat2", Openat2);
  CT_EXPORT("openat", Openat);
  CT_EXPORT("mkdirat", Mkdirat);
  CT_EXPORT("mknodat", Mknodat);
  CT_EXPORT("symlinkat", Symlinkat);
  CT_EXPORT("readlinkat", Readlinkat);
  CT_EXPORT("linkat", Linkat);
  CT_EXPORT("unlinkat", Unlinkat);
  CT_EXPORT("renameat2", Renameat2);
  CT_EXPORT("fchownat", Fchownat);
  CT_EXPORT("fchmodat", Fchmodat);
  CT_EXPORT("fchmod", Fchmod);
  CT_EXPORT("fchown", Fchown);
  CT_EXPORT("utimensat", Utimensat);
}

}  // namespace ct
