#pragma once
// Exponential backoff with jitter: attempt 1 waits about `base`, each further attempt twice as
// long, never more than `cap`; the wait is drawn from [half, whole] of that so that many clients
// (or many jobs) that failed together do not retry together.
#include <random>

#include "util/clock.h"

namespace reelq {

class Backoff {
 public:
  Backoff(TimeMs base, TimeMs cap, std::uint64_t seed) : m_base(base), m_cap(cap), m_rng(seed) {}
  TimeMs delay(int attempt);

 private:
  TimeMs m_base;
  TimeMs m_cap;
  std::mt19937_64 m_rng;
};

}  // namespace reelq
