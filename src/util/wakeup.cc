#include "util/wakeup.h"

#include <algorithm>
#include <chrono>

namespace reelq {

namespace {
// A wait for k_never (nothing due) would overflow the condition variable's deadline and return at
// once; an hour at a time is as good as forever to a loop that looks again when it returns.
constexpr TimeMs k_longest_wait_ms = 3600 * 1000;
}  // namespace

void ThreadWakeup::notify() {
  {
    std::lock_guard lock(m_mutex);
    m_pending = true;
  }
  m_cv.notify_one();
}

Woke ThreadWakeup::wait_ms(TimeMs ms) {
  std::unique_lock lock(m_mutex);
  // The flag, not the condition variable, carries the news: a notify before this wait left it set,
  // and a spurious wake-up of the condition variable finds it clear and waits on.
  auto length = std::chrono::milliseconds(std::min(ms, k_longest_wait_ms));
  bool notified = ms > 0 ? m_cv.wait_for(lock, length, [this] { return m_pending; }) : m_pending;
  m_pending = false;
  return notified ? Woke::notified : Woke::timed_out;
}

}  // namespace reelq
