// Node-API entry of @ct/syscalls (placeholder until the clone engine lands: see issue #3).
#include <napi.h>
#include <unistd.h>

namespace {
Napi::Value GetEuid(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), geteuid()); }
}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("geteuid", Napi::Function::New(env, GetEuid));
  return exports;
}
NODE_API_MODULE(syscalls, Init)
