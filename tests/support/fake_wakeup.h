#pragma once
// The run loop's wake-up on the fake clock: a wait with no notify pending advances the clock by its
// whole length (as FakeClock::sleep_ms does); one with a notify pending returns at once. Single
// threaded, like the fake clock: whoever notifies runs on the test's thread.
#include "support/fakes.h"
#include "util/wakeup.h"

namespace reelq::test {

class FakeWakeup final : public Wakeup {
 public:
  explicit FakeWakeup(FakeClock& clock) : m_clock(clock) {}

  void notify() override {
    m_pending = true;
    ++notifies;
  }
  Woke wait_ms(TimeMs ms) override {
    ++waits;
    if (m_pending) {
      m_pending = false;
      return Woke::notified;
    }
    m_clock.sleep_ms(ms);
    return Woke::timed_out;
  }

  int notifies = 0;
  int waits = 0;

 private:
  FakeClock& m_clock;
  bool m_pending = false;
};

}  // namespace reelq::test
