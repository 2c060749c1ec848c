// Waiting for a child without blocking the event loop: the pidfd is watched by a uv_poll handle (a pidfd
// becomes readable when the process exits), then waitid(P_PIDFD, WEXITED | WNOHANG) reaps it and the JS
// callback gets (code, signal) or (-errno). The handle keeps the loop alive until the child is reaped, like a
// child_process; unref() lets a caller opt out.
// Man pages: pidfd_open(2) ("Use cases for PID file descriptors"), waitid(2); libuv uv_poll_t.
#include <sys/syscall.h>
#include <sys/wait.h>
#include <uv.h>

#include <unordered_map>

#include "common.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace ct {
namespace {

struct Watch {
  uv_poll_t poll;
  napi_env env;
  Napi::FunctionReference callback;
  int pidfd;
};

// Live watches by pidfd (unique while open), for unrefWatch(). Main thread only.
std::unordered_map<int, Watch*> watches;

void OnClose(uv_handle_t* h) { delete reinterpret_cast<Watch*>(h->data); }

void OnReadable(uv_poll_t* handle, int status, int) {
  auto* w = reinterpret_cast<Watch*>(handle->data);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int rc = status < 0 ? -1 : waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(w->pidfd), &si,
                                    WEXITED | WNOHANG);
  int err = status < 0 ? EIO : errno;
  if (rc == 0 && si.si_pid == 0) return;  // spurious wakeup: not exited yet
  uv_poll_stop(handle);
  watches.erase(w->pidfd);
  Napi::Env env(w->env);
  Napi::HandleScope scope(env);
  std::vector<napi_value> args;
  if (rc < 0) {
    args = {Napi::Number::New(env, -err), env.Null()};
  } else if (si.si_code == CLD_EXITED) {
    args = {Napi::Number::New(env, si.si_status), env.Null()};
  } else {
    args = {env.Null(), Napi::Number::New(env, si.si_status)};
  }
  Napi::FunctionReference cb = std::move(w->callback);
  uv_close(reinterpret_cast<uv_handle_t*>(handle), OnClose);
  cb.MakeCallback(env.Global(), args);
}

// watchPidfd(pidfd, cb(code|-errno|null, signal|null)) -> handle id (0) | -errno
Napi::Value WatchPidfd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return Napi::Number::New(env, -EINVAL);
  auto* w = new Watch();
  w->env = env;
  w->pidfd = IntArg(info, 0);
  w->callback = Napi::Persistent(info[1].As<Napi::Function>());
  w->poll.data = w;
  int rc = uv_poll_init(loop, &w->poll, w->pidfd);
  if (rc < 0) {
    delete w;
    return Napi::Number::New(env, rc);
  }
  rc = uv_poll_start(&w->poll, UV_READABLE, OnReadable);
  if (rc < 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnClose);
    return Napi::Number::New(env, rc);
  }
  if (info.Length() > 2 && info[2].ToBoolean().Value()) uv_unref(reinterpret_cast<uv_handle_t*>(&w->poll));
  watches[w->pidfd] = w;
  return Napi::Number::New(env, 0);
}

// unrefWatch(pidfd) -> 0 | -ENOENT: the watch no longer keeps the event loop alive (a detached container).
Napi::Value UnrefWatch(const Napi::CallbackInfo& info) {
  auto it = watches.find(IntArg(info, 0));
  if (it == watches.end()) return Napi::Number::New(info.Env(), -ENOENT);
  uv_unref(reinterpret_cast<uv_handle_t*>(&it->second->poll));
  return Napi::Number::New(info.Env(), 0);
}

}  // namespace

void InitPidfdWatch(Napi::Env env, Napi::Object exports) {
  CT_EXPORT("watchPidfd", WatchPidfd);
  CT_EXPORT("unrefWatch", UnrefWatch);
}

}  // namespace ct
