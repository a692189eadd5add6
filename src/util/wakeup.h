#pragma once
// The one thing the run loop sleeps on. Whoever has something for the loop (an API worker with an
// answer, the listener with a callback, the downloader with a finished file, a stop signal) calls
// notify(); the loop waits until then or until its next due time, whichever comes first.
//
// A notify is never lost: one that comes while the loop is busy (not waiting) makes its next wait
// return at once. Notifies between two waits count as one: the loop takes everything that arrived
// anyway, so one wake is enough for any number of arrivals.
#include <condition_variable>
#include <mutex>

#include "util/clock.h"

namespace reelq {

enum class Woke {
  notified,   // someone called notify() since the previous wait returned
  timed_out,  // the wait ran its whole length with no notify
};

class Wakeup {
 public:
  virtual ~Wakeup() = default;
  // Any thread, any time; never blocks for long (it takes a mutex held only for a flag).
  virtual void notify() = 0;
  // The loop's thread: returns at once when a notify came since the previous wait returned, else
  // when one comes or after `ms` (<= 0: does not wait; the real one waits at most an hour at a
  // time, so k_never is safe to pass). Clears the pending notify.
  virtual Woke wait_ms(TimeMs ms) = 0;
};

// The real one: a mutex, a flag and a condition variable, for threads on the real clock. (Tests of
// the loop on the fake clock use tests/support/fake_wakeup.h, whose wait advances that clock.)
class ThreadWakeup final : public Wakeup {
 public:
  void notify() override;
  Woke wait_ms(TimeMs ms) override;

 private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_pending = false;  // a notify the waiter has not yet seen
};

}  // namespace reelq
