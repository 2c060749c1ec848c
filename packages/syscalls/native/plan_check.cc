// See plan_check.h. Moved out of spawn.cc so that the fork server checks a plan exactly as the addon does.
#include "plan_check.h"

#include <cstring>

namespace ct {
namespace {

bool SlotOk(const PlanHeader& h, const char* arena, uint32_t off, uint32_t len) {
  if (off == kNone) return true;
  if (off > h.arenaLen || len > h.arenaLen - off || off + len >= h.arenaLen + 1) return false;
  return off + len < h.arenaLen && arena[off + len] == 0;
}

// Builds a NULL-terminated pointer array over `count` consecutive NUL-terminated strings.
bool BuildList(const char* arena, uint32_t off, uint32_t len, int32_t count, std::vector<char*>& out) {
  out.clear();
  if (off == kNone) {
    out.push_back(nullptr);
    return count == 0;
  }
  const char* p = arena + off;
  const char* end = p + len;
  for (int32_t i = 0; i < count; i++) {
    if (p >= end + 1) return false;
    out.push_back(const_cast<char*>(p));
    p += strlen(p) + 1;
  }
  out.push_back(nullptr);
  return p <= end + 1;
}

}  // namespace

int CheckPlan(uint8_t* data, size_t size, ChildCtx& c, std::vector<char*>& argv, std::vector<char*>& envp) {
  if (size < sizeof(PlanHeader)) return -EINVAL;
  auto* h = reinterpret_cast<PlanHeader*>(data);
  if (h->magic != kPlanMagic || h->version != kPlanVersion || h->totalLen != size) return -EINVAL;
  if (h->nsteps > kMaxSteps || h->nfds > kMaxFdMap) return -EINVAL;
  if (h->stepsOff > size || h->nsteps * sizeof(StepRecord) > size - h->stepsOff) return -EINVAL;
  if (h->fdmapOff > size || h->nfds * sizeof(FdMapEntry) > size - h->fdmapOff) return -EINVAL;
  if (h->arenaOff > size || h->arenaLen > size - h->arenaOff) return -EINVAL;
  if (h->stepsOff % 8 || h->arenaOff % 8) return -EINVAL;
  c.h = h;
  c.steps = reinterpret_cast<StepRecord*>(data + h->stepsOff);
  c.fdmap = reinterpret_cast<const FdMapEntry*>(data + h->fdmapOff);
  c.arena = reinterpret_cast<const char*>(data + h->arenaOff);
  bool sawExec = false;
  for (uint32_t i = 0; i < h->nsteps; i++) {
    const StepRecord& r = c.steps[i];
    if (r.op == kOpInvalid || r.op >= kOpCount) return -EINVAL;
    for (int s = 0; s < 6; s++)
      if (!SlotOk(*h, c.arena, r.soff[s], r.slen[s])) return -EINVAL;
    if (r.op == kOpExec) {
      if (sawExec || i + 1 != h->nsteps) return -EINVAL;
      sawExec = true;
      if (r.soff[0] == kNone) return -EINVAL;
      if (!BuildList(c.arena, r.soff[1], r.slen[1], r.a[0], argv)) return -EINVAL;
      if (!BuildList(c.arena, r.soff[2], r.slen[2], r.a[1], envp)) return -EINVAL;
    }
  }
  if (!sawExec) return -EINVAL;
  c.argv = argv.data();
  c.envp = envp.data();
  return 0;
}

}  // namespace ct
