#pragma once
// A time that never comes: "no deadline", "nothing due", "wait until something arrives".
#include <limits>

#include "util/clock.h"

namespace reelq {

inline constexpr TimeMs k_never = std::numeric_limits<TimeMs>::max();

}  // namespace reelq
