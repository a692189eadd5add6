#include "fetch/progress_floor.h"

#include <fmt/format.h>

namespace reelq {

bool ProgressFloor::on_progress(TimeMs now, std::int64_t total_bytes) {
  if (m_rule.window <= 0 || !m_why.empty()) {
    return m_why.empty();
  }
  // Judged only once a whole window has passed: a download finishing inside its first window is
  // never judged, however small it is. A longer gap (reads come only when bytes do) asks for
  // proportionally more, so the rule is a rate, not a count per arbitrary slice.
  TimeMs elapsed = now - m_window_start;
  if (elapsed < m_rule.window) {
    return true;
  }
  std::int64_t got = total_bytes - m_bytes_at_window_start;
  std::int64_t wanted = m_rule.min_bytes * elapsed / m_rule.window;
  if (got < wanted) {
    m_why = fmt::format("download too slow: {} bytes in {:g} s, under the {} reelq asks for in that time; abandoned",
                        got, static_cast<double>(elapsed) / 1000, wanted);
    return false;
  }
  m_window_start = now;
  m_bytes_at_window_start = total_bytes;
  return true;
}

}  // namespace reelq
