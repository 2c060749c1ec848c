// In-process terminal wrappers on a tty or pty master fd: the window size (TIOCGWINSZ, TIOCSWINSZ) and the
// termios modes (tcgetattr, tcsetattr). All are quick, non-blocking ioctls, so they are synchronous bindings.
// Man pages: ioctl_tty(2) ("Get and set window size"), termios(3), pty(7).
#include <sys/ioctl.h>
#include <termios.h>

#include "common.h"

namespace ct {
namespace {

// getWindowSize(fd, out: Int32Array(4)) -> 0 | -errno; out = [rows, cols, xpixel, ypixel]
Napi::Value GetWindowSize(const Napi::CallbackInfo& info) {
  auto out = info[1].As<Napi::Int32Array>();
  if (out.ElementLength() < 4) return Napi::Number::New(info.Env(), -EINVAL);
  struct winsize ws {};
  int r = ioctl(IntArg(info, 0), TIOCGWINSZ, &ws);
  if (r < 0) return Ret(info.Env(), r);
  out[0] = ws.ws_row;
  out[1] = ws.ws_col;
  out[2] = ws.ws_xpixel;
  out[3] = ws.ws_ypixel;
  return Napi::Number::New(info.Env(), 0);
}

// setWindowSize(fd, rows, cols, xpixel, ypixel) -> 0 | -errno (the TS layer checks the 16-bit ranges)
Napi::Value SetWindowSize(const Napi::CallbackInfo& info) {
  struct winsize ws {};
  ws.ws_row = static_cast<unsigned short>(UintArg(info, 1));
  ws.ws_col = static_cast<unsigned short>(UintArg(info, 2));
  ws.ws_xpixel = static_cast<unsigned short>(UintArg(info, 3));
  ws.ws_ypixel = static_cast<unsigned short>(UintArg(info, 4));
  return Ret(info.Env(), ioctl(IntArg(info, 0), TIOCSWINSZ, &ws));
}

// tcgetattr(fd, flags: Uint32Array(4), cc: Uint8Array(NCCS)) -> 0 | -errno; flags = [iflag, oflag, cflag, lflag]
Napi::Value Tcgetattr(const Napi::CallbackInfo& info) {
  auto flags = info[1].As<Napi::Uint32Array>();
  auto cc = info[2].As<Napi::Uint8Array>();
  if (flags.ElementLength() < 4 || cc.ElementLength() < NCCS) return Napi::Number::New(info.Env(), -EINVAL);
  struct termios t {};
  int r = tcgetattr(IntArg(info, 0), &t);
  if (r < 0) return Ret(info.Env(), r);
  flags[0] = t.c_iflag;
  flags[1] = t.c_oflag;
  flags[2] = t.c_cflag;
  flags[3] = t.c_lflag;
  for (size_t i = 0; i < NCCS; i++) cc[i] = t.c_cc[i];
  return Napi::Number::New(info.Env(), 0);
}

// tcsetattr(fd, when, flags: Uint32Array(4), cc: Uint8Array(NCCS)) -> 0 | -errno. The line discipline and the
// speeds are the terminal's own (read first), so only the four mode words and the control characters change.
Napi::Value Tcsetattr(const Napi::CallbackInfo& info) {
  auto flags = info[2].As<Napi::Uint32Array>();
  auto cc = info[3].As<Napi::Uint8Array>();
  if (flags.ElementLength() < 4 || cc.ElementLength() < NCCS) return Napi::Number::New(info.Env(), -EINVAL);
  int fd = IntArg(info, 0);
  struct termios t {};
  int r = tcgetattr(fd, &t);
  if (r < 0) return Ret(info.Env(), r);
  t.c_iflag = flags[0];
  t.c_oflag = flags[1];
  t.c_cflag = flags[2];
  t.c_lflag = flags[3];
  for (size_t i = 0; i < NCCS; i++) t.c_cc[i] = cc[i];
  return Ret(info.Env(), tcsetattr(fd, IntArg(info, 1), &t));
}

}  // namespace

void InitTty(Napi::Env env, Napi::Object exports) {
  CT_EXPORT("getWindowSize", GetWindowSize);
  CT_EXPORT("setWindowSize", SetWindowSize);
  CT_EXPORT("tcgetattr", Tcgetattr);
  CT_EXPORT("tcsetattr", Tcsetattr);
}

}  // namespace ct
