// Placeholder for the clone engine (parent side); filled in by the spawn work.
#include "common.h"
namespace ct {
void InitSpawn(Napi::Env, Napi::Object) {}
}  // namespace ct
