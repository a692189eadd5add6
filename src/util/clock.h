#pragma once
// Time, behind an interface so the scheduler and the store run on a fake clock in tests.
//
// Two readings: wall time, for what is shown or stored as a date, and a monotonic reading, for
// intervals. NTP may step the wall clock back (or forward) by minutes; an interval measured on it
// then stalls whatever waits on it for that long. AnchoredClock combines the two for a run.
#include <cstdint>

namespace reelq {

using TimeMs = std::int64_t;  // Unix milliseconds (UTC), or a duration in ms

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs now_ms() = 0;                 // wall time, for dates shown and stored
  virtual TimeMs steady_ms() = 0;              // monotonic, never steps; its origin means nothing
  virtual void sleep_ms(TimeMs duration) = 0;  // blocks; a fake clock just advances
};

// The real clock: std::chrono::system_clock, steady_clock and std::this_thread::sleep_for.
Clock& system_clock();

// A run's own time: the wall time read once, when it is made, carried forward by the monotonic
// reading. Its now_ms() is a date (it starts as the wall clock does) that never steps: a step of
// the wall clock during a run neither stalls its rate window, pacing, backoffs and deadlines, nor
// reorders what it stores. Made afresh by each run, so a new run starts from the wall clock again.
class AnchoredClock final : public Clock {
 public:
  explicit AnchoredClock(Clock& base);
  TimeMs now_ms() override;
  TimeMs steady_ms() override { return m_base.steady_ms(); }
  void sleep_ms(TimeMs duration) override { m_base.sleep_ms(duration); }

 private:
  Clock& m_base;
  TimeMs m_wall_at_start;
  TimeMs m_steady_at_start;
};

}  // namespace reelq
