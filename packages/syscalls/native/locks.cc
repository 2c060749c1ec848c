// In-process file locks: flock(2) and open-file-description locks (fcntl F_OFD_SETLK/F_OFD_SETLKW/F_OFD_GETLK).
// The blocking forms (flock without LOCK_NB, F_OFD_SETLKW) run on a libuv worker thread through Napi::AsyncWorker
// and resolve a Promise with 0 or -errno, so the event loop never waits on a lock.
// Man pages: flock(2), fcntl(2) ("Open file description locks").
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>

#include "common.h"

namespace ct {
namespace {

int Lock(int fd, int cmd, int type, int whence, int64_t start, int64_t len, struct flock* out) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = static_cast<short>(type);
  fl.l_whence = static_cast<short>(whence);
  fl.l_start = start;
  fl.l_len = len;
  int r;
  do r = fcntl(fd, cmd, &fl); while (r < 0 && errno == EINTR && cmd != F_OFD_SETLKW);
  if (r < 0) return -errno;
  if (out) *out = fl;
  return r;
}

// fcntlLock(fd, cmd, type, whence, start, len) for F_OFD_SETLK / F_OFD_GETLK / F_SETLK / F_GETLK.
// F_OFD_GETLK returns the conflicting lock's type (F_UNLCK when none) and pid (-1 for OFD locks) as [type, pid].
Napi::Value FcntlLock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int cmd = IntArg(info, 1);
  if (cmd == F_OFD_SETLKW || cmd == F_SETLKW) return Napi::Number::New(env, -EINVAL);  // use the async form
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  int r = Lock(IntArg(info, 0), cmd, IntArg(info, 2), IntArg(info, 3), I64Arg(info, 4), I64Arg(info, 5), &fl);
  if (r < 0 || (cmd != F_OFD_GETLK && cmd != F_GETLK)) return Napi::Number::New(env, r);
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, Napi::Number::New(env, fl.l_type));
  a.Set(1u, Napi::Number::New(env, fl.l_pid));
  return a;
}

Napi::Value Flock(const Napi::CallbackInfo& info) {
  int op = IntArg(info, 1);
  if (!(op & LOCK_NB) && !(op & LOCK_UN)) return Napi::Number::New(info.Env(), -EINVAL);  // use the async form
  return Ret(info.Env(), flock(IntArg(info, 0), op));
}

/** Runs one blocking lock call on a worker thread; resolves with 0 or -errno. */
class LockWorker : public Napi::AsyncWorker {
 public:
  LockWorker(Napi::Env env, bool isFlock, int fd, int op, int type, int whence, int64_t start, int64_t len)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), isFlock_(isFlock), fd_(fd), op_(op),
        type_(type), whence_(whence), start_(start), len_(len) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    if (isFlock_) {
      result_ = flock(fd_, op_) < 0 ? -errno : 0;
    } else {
      result_ = Lock(fd_, F_OFD_SETLKW, type_, whence_, start_, len_, nullptr);
    }
  }
  void OnOK() override { deferred_.Resolve(Napi::Number::New(Env(), result_)); }

 private:
  Napi::Promise::Deferred deferred_;
  bool isFlock_;
  int fd_, op_, type_, whence_;
  int64_t start_, len_;
  int result_ = 0;
};

// flockAsync(fd, op) -> Promise<0 | -errno>
Napi::Value FlockAsync(const Napi::CallbackInfo& info) {
  auto* w = new LockWorker(info.Env(), true, IntArg(info, 0), IntArg(info, 1), 0, 0, 0, 0);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// ofdSetlkwAsync(fd, type, whence, start, len) -> Promise<0 | -errno>
Napi::Value OfdSetlkwAsync(const Napi::CallbackInfo& info) {
  auto* w = new LockWorker(info.Env(), false, IntArg(info, 0), 0, IntArg(info, 1), IntArg(info, 2), I64Arg(info, 3),
                           I64Arg(info, 4));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace

void InitLocks(Napi::Env env, Napi::Object exports) {
  CT_EXPORT("fcntlLock", FcntlLock);
  CT_EXPORT("flock", Flock);
  CT_EXPORT("flockAsync", FlockAsync);
  CT_EXPORT("ofdSetlkwAsync", OfdSetlkwAsync);
}

}  // namespace ct
