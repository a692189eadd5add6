#include "sched/rate_limiter.h"

#include <algorithm>

namespace reelq {

RateLimiter::RateLimiter(int cap, TimeMs window)
    : m_cap(std::max(1, cap)), m_effective(m_cap), m_window(window), m_margin(std::max<TimeMs>(2, window / 100)) {}

TimeMs RateLimiter::next_allowed(TimeMs now) const {
  auto cap = static_cast<size_t>(effective_cap());
  if (m_recent.size() < cap) {
    return now;
  }
  // The request `cap` places back must have left the window (with a margin) before we send.
  TimeMs oldest_that_matters = m_recent[m_recent.size() - cap];
  return std::max(now, oldest_that_matters + m_window + m_margin);
}

TimeMs RateLimiter::next_deferrable(TimeMs now, int reserve) const {
  int cap = std::max(1, effective_cap() - std::max(0, reserve));
  TimeMs at = now;
  if (m_recent.size() >= static_cast<size_t>(cap)) {
    at = std::max(at, m_recent[m_recent.size() - static_cast<size_t>(cap)] + m_window + m_margin);
  }
  if (!m_recent.empty()) {
    at = std::max(at, m_recent.back() + m_window / std::max(1, effective_cap()));
  }
  return at;
}

void RateLimiter::record(TimeMs at) {
  m_recent.push_back(at);
  while (m_recent.size() > static_cast<size_t>(m_cap)) {
    m_recent.pop_front();
  }
}

void RateLimiter::restore(const std::vector<TimeMs>& answered_at, TimeMs now) {
  for (TimeMs at : answered_at) {
    record(std::min(at, now));
  }
}

void RateLimiter::on_rate_limited() {
  m_effective = std::max(1.0, m_effective * 0.75);
}

void RateLimiter::on_accepted() {
  m_effective = std::min<double>(m_cap, m_effective + 0.1);
}

int RateLimiter::used(TimeMs now) const {
  return static_cast<int>(
      std::count_if(m_recent.begin(), m_recent.end(), [&](TimeMs t) { return t > now - m_window; }));
}

}  // namespace reelq
