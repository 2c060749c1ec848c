// In-process unix-socket wrappers: socketpair(2), a blocking connect(2) to a unix path (instant for AF_UNIX
// unless the backlog is full), and sendmsg(2)/recvmsg(2) carrying fds with SCM_RIGHTS. Every fd is created
// close-on-exec (SOCK_CLOEXEC, MSG_CMSG_CLOEXEC).
// Man pages: socketpair(2), unix(7), sendmsg(2), recvmsg(2), cmsg(3).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "common.h"

namespace ct {
namespace {

constexpr size_t kMaxFds = 64;

// socketpair(type) -> [fd0, fd1] | -errno (AF_UNIX, SOCK_CLOEXEC added)
Napi::Value Socketpair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sv[2];
  if (socketpair(AF_UNIX, IntArg(info, 0) | SOCK_CLOEXEC, 0, sv) < 0) return Napi::Number::New(env, -errno);
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, Napi::Number::New(env, sv[0]));
  a.Set(1u, Napi::Number::New(env, sv[1]));
  return a;
}

// unixConnect(path, type) -> fd | -errno
Napi::Value UnixConnect(const Napi::CallbackInfo& info) {
  auto p = info[0].As<Napi::Buffer<uint8_t>>();
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  size_t len = p.Length() > 0 ? p.Length() - 1 : 0;  // the TS layer appended a NUL
  if (len >= sizeof addr.sun_path) return Napi::Number::New(info.Env(), -ENAMETOOLONG);
  memcpy(addr.sun_path, p.Data(), len);
  int fd = socket(AF_UNIX, IntArg(info, 1) | SOCK_CLOEXEC, 0);
  if (fd < 0) return Napi::Number::New(info.Env(), -errno);
  int r;
  do r = connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr); while (r < 0 && errno == EINTR);
  if (r < 0) {
    int e = errno;
    close(fd);
    return Napi::Number::New(info.Env(), -e);
  }
  return Napi::Number::New(info.Env(), fd);
}

// sendmsg(fd, data: Buffer, fds: number[], flags) -> bytes | -errno
Napi::Value Sendmsg(const Napi::CallbackInfo& info) {
  auto data = info[1].As<Napi::Buffer<uint8_t>>();
  Napi::Array fds = info[2].As<Napi::Array>();
  size_t nfds = fds.Length();
  if (nfds > kMaxFds) return Napi::Number::New(info.Env(), -EINVAL);
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  memset(control, 0, sizeof control);
  struct iovec iov = {data.Data(), data.Length()};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (nfds > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    int* out = reinterpret_cast<int*>(CMSG_DATA(c));
    for (size_t i = 0; i < nfds; i++) out[i] = fds.Get(i).As<Napi::Number>().Int32Value();
  }
  ssize_t r;
  do r = sendmsg(IntArg(info, 0), &msg, IntArg(info, 3) | MSG_NOSIGNAL); while (r < 0 && errno == EINTR);
  return Ret(info.Env(), r);
}

// recvmsg(fd, buf: Buffer, fdsOut: Int32Array, flags) -> [bytes, nfds, msgFlags] | -errno
Napi::Value Recvmsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto buf = info[1].As<Napi::Buffer<uint8_t>>();
  auto fdsOut = info[2].As<Napi::Int32Array>();
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  struct iovec iov = {buf.Data(), buf.Length()};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t r;
  do r = recvmsg(IntArg(info, 0), &msg, IntArg(info, 3) | MSG_CMSG_CLOEXEC); while (r < 0 && errno == EINTR);
  if (r < 0) return Napi::Number::New(env, -errno);
  size_t n = 0;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const int* in = reinterpret_cast<const int*>(CMSG_DATA(c));
    for (size_t i = 0; i < count; i++) {
      if (n < fdsOut.ElementLength()) fdsOut[n++] = in[i];
      else close(in[i]);  // no room: never leak a received fd
    }
  }
  Napi::Array a = Napi::Array::New(env, 3);
  a.Set(0u, Napi::Number::New(env, r));
  a.Set(1u, Napi::Number::New(env, n));
  a.Set(2u, Napi::Number::New(env, msg.msg_flags));
  return a;
}

}  // namespace

void InitSocket(Napi::Env env, Napi::Object exports) {
  CT_EXPORT("socketpair", Socketpair);
  CT_EXPORT("unixConnect", UnixConnect);
  CT_EXPORT("sendmsg", Sendmsg);
  CT_EXPORT("recvmsg", Recvmsg);
}

}  // namespace ct
