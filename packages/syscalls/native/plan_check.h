// The bounds check of a flat plan (plan_layout.h) made before every clone, shared by the addon (spawn.cc) and the
// fork server (forkserver.cc): every offset and string slot lies inside the buffer, the exec step comes last and
// only there, and its argv/envp pointer arrays are built. Parent side only: it allocates (the vectors).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "child.h"

namespace ct {

/** Checks every offset of the plan in data[0, size) and points c at it; returns 0 or -EINVAL. */
int CheckPlan(uint8_t* data, size_t size, ChildCtx& c, std::vector<char*>& argv, std::vector<char*>& envp);

}  // namespace ct
