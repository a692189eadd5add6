#pragma once
// The least progress a download must make to go on, like curl's --speed-limit/--speed-time: a
// transfer that brings fewer than `min_bytes` in any window of `window` ms (counted from its start)
// is abandoned. A stalled connection is bounded by the transport's read timeout; this bounds one
// that trickles a few bytes at a time, each read arriving just in time, forever.
#include <cstdint>
#include <string>

#include "util/clock.h"

namespace reelq {

struct ProgressRule {
  TimeMs window = 60000;               // already time-scaled; 0 = no rule
  std::int64_t min_bytes = 64 * 1024;  // about 1 KB/s: a sora-2-pro result would take hours below it
};

class ProgressFloor {
 public:
  // `start`: when the request went out.
  ProgressFloor(ProgressRule rule, TimeMs start) : m_rule(rule), m_window_start(start) {}

  // Called as bytes arrive, with the total received so far. False once a whole window has passed
  // with fewer than min_bytes in it; why() then says so.
  bool on_progress(TimeMs now, std::int64_t total_bytes);
  const std::string& why() const { return m_why; }

 private:
  ProgressRule m_rule;
  TimeMs m_window_start;
  std::int64_t m_bytes_at_window_start = 0;
  std::string m_why;
};

}  // namespace reelq
