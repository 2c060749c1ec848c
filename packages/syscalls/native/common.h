// Shared helpers for the Node-API side of @ct/syscalls (parent process only; never used by the cloned child).
// Convention: a binding returns a number >= 0 on success and -errno on failure; only the TS layer builds errors.
// Paths arrive as Buffers that the TS layer has already NUL-terminated (byte-exact names, no UTF-8 round trip).
#pragma once
#include <napi.h>
#include <cerrno>
#include <cstdint>

namespace ct {

/** The result of a raw call: r when r >= 0, else -errno. */
inline Napi::Value Ret(Napi::Env env, long r) { return Napi::Number::New(env, r < 0 ? -errno : r); }

/** A NUL-terminated path from a Buffer argument, or nullptr for undefined/null. */
inline const char* PathArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsUndefined() || info[i].IsNull()) return nullptr;
  return reinterpret_cast<const char*>(info[i].As<Napi::Buffer<uint8_t>>().Data());
}

inline int IntArg(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }
inline uint32_t UintArg(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Uint32Value(); }
inline int64_t I64Arg(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int64Value(); }
inline uint64_t BigArg(const Napi::CallbackInfo& info, size_t i) {
  bool lossless = true;
  return info[i].As<Napi::BigInt>().Uint64Value(&lossless);
}
inline int64_t BigSArg(const Napi::CallbackInfo& info, size_t i) {
  bool lossless = true;
  return info[i].As<Napi::BigInt>().Int64Value(&lossless);
}

/** Registration hooks, one per source file. */
void InitFsAt(Napi::Env env, Napi::Object exports);
void InitMeta(Napi::Env env, Napi::Object exports);
void InitLocks(Napi::Env env, Napi::Object exports);
void InitProcess(Napi::Env env, Napi::Object exports);
void InitSched(Napi::Env env, Napi::Object exports);
void InitSocket(Napi::Env env, Napi::Object exports);
void InitSpawn(Napi::Env env, Napi::Object exports);
void InitForkServer(Napi::Env env, Napi::Object exports);
void InitPidfdWatch(Napi::Env env, Napi::Object exports);
void InitTty(Napi::Env env, Napi::Object exports);
void InitBpf(Napi::Env env, Napi::Object exports);

}  // namespace ct

#define CT_EXPORT(name, fn) exports.Set(name, Napi::Function::New(env, fn, name))
