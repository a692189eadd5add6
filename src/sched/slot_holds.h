#pragma once
// Slots of the key held by tasks this run cannot poll: a submit whose fate is unknown (the API may
// be rendering a task we never heard of) or that made a task reelq cannot name, and tasks given up
// on at their deadline, which the API still counts while it renders them. The planner leaves them
// alone, or the API would answer the next submit with a 429, again and again.
#include <algorithm>
#include <vector>

#include "util/clock.h"

namespace reelq {

class SlotHolds {
 public:
  // An unseen task, held until `until` (when a render like it would surely be done).
  void hold_until(TimeMs until) { m_unseen_until.push_back(until); }
  void timed_out() { ++m_timed_out; }
  int timed_out_count() const { return m_timed_out; }

  // Slots held at `now`, at most `max`.
  int held(TimeMs now, int max) {
    std::erase_if(m_unseen_until, [&](TimeMs until) { return until <= now; });
    return std::min(max, static_cast<int>(m_unseen_until.size()) + m_timed_out);
  }
  // When the next unseen hold ends: the loop looks again then (k_never-like max when none).
  TimeMs next_release() const {
    return m_unseen_until.empty() ? INT64_MAX : *std::min_element(m_unseen_until.begin(), m_unseen_until.end());
  }

 private:
  std::vector<TimeMs> m_unseen_until;
  int m_timed_out = 0;
};

}  // namespace reelq
