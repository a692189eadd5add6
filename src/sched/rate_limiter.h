#pragma once
// The client-side request budget: at most `cap` API requests in any rolling window.
//
// Requests are recorded by the time their answer came back. The server counts a request when it
// arrives, which is no later than that, so if the oldest of the last `cap` answers is a full window
// before a new send, the server cannot have seen more than `cap` in any of its windows either.
#include <deque>
#include <vector>

#include "util/clock.h"

namespace reelq {

class RateLimiter {
 public:
  RateLimiter(int cap, TimeMs window);

  // The earliest time a new request may be sent (`now` when there is room).
  TimeMs next_allowed(TimeMs now) const;
  // The earliest time a request that can wait (a status poll) may be sent. It leaves `reserve`
  // of the window to requests that cannot (submits), and comes at least window/cap after the
  // previous request: spent as fast as allowed, a budget goes in a burst and the burst comes
  // back a window later, leaving most of every minute with no request at all, submits included.
  TimeMs next_deferrable(TimeMs now, int reserve) const;
  // A request's answer arrived (or it failed) at `at`. Every request counts, 429s included.
  void record(TimeMs at);
  // The requests an earlier run made (as stored), at start-up. One stamped later than `now`, by a
  // wall clock that was ahead, counts as sent now: it holds the window no longer than one would.
  void restore(const std::vector<TimeMs>& answered_at, TimeMs now);

  // After a 429 the run slows down: the effective cap drops by a quarter (at least 1); each
  // accepted request wins a little back, up to the configured cap.
  void on_rate_limited();
  void on_accepted();

  int cap() const { return m_cap; }
  int effective_cap() const { return static_cast<int>(m_effective); }
  TimeMs window() const { return m_window; }
  int used(TimeMs now) const;  // requests recorded in the window ending now

 private:
  int m_cap;
  double m_effective;
  TimeMs m_window;
  TimeMs m_margin;              // slack for clock granularity between us and the server
  std::deque<TimeMs> m_recent;  // the last `m_cap` records, oldest first
};

}  // namespace reelq
