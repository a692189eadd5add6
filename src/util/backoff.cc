#include "util/backoff.h"

#include <algorithm>

namespace reelq {

TimeMs Backoff::delay(int attempt) {
  double full = static_cast<double>(m_base) * static_cast<double>(1ULL << std::clamp(attempt - 1, 0, 30));
  full = std::min(full, static_cast<double>(m_cap));
  return static_cast<TimeMs>(std::uniform_real_distribution<double>(full / 2, full)(m_rng));
}

}  // namespace reelq
