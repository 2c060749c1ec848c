// Node-API entry of @ct/syscalls: registers each area's bindings (see common.h for the return convention).
#include "common.h"

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  ct::InitFsAt(env, exports);
  ct::InitMeta(env, exports);
  ct::InitLocks(env, exports);
  ct::InitProcess(env, exports);
  ct::InitSched(env, exports);
  ct::InitSocket(env, exports);
  ct::InitSpawn(env, exports);
  ct::InitForkServer(env, exports);
  ct::InitPidfdWatch(env, exports);
  ct::InitTty(env, exports);
  ct::InitBpf(env, exports);
  return exports;
}
NODE_API_MODULE(syscalls, Init)
