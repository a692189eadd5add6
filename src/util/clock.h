#pragma once
// Time, behind an interface so the scheduler and the store run on a fake clock in tests.
#include <cstdint>

namespace reelq {

using TimeMs = std::int64_t;  // Unix milliseconds (UTC), or a duration in ms

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs now_ms() = 0;                 // wall time, for timestamps and schedules
  virtual void sleep_ms(TimeMs duration) = 0;  // blocks; a fake clock just advances
};

// The real clock: std::chrono::system_clock and std::this_thread::sleep_for.
Clock& system_clock();

}  // namespace reelq
