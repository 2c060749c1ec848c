// In-process terminal window-size wrappers: TIOCGWINSZ and TIOCSWINSZ on a tty or pty master fd.
// Both are quick, non-blocking ioctls, so they are synchronous bindings.
// Man pages: ioctl_tty(2) ("Get and set window size"), pty(7).
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

}  // namespace

void InitTty(Napi::Env env, Napi::Object exports) {
  CT_EXPORT("getWindowSize", GetWindowSize);
  CT_EXPORT("setWindowSize", SetWindowSize);
}

}  // namespace ct
