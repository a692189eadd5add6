#include "util/wakeup.h"

#include <chrono>

namespace reelq {

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
  bool notified = ms > 0 ? m_cv.wait_for(lock, std::chrono::milliseconds(ms), [this] { return m_pending; }) : m_pending;
  m_pending = false;
  return notified ? Woke::notified : Woke::timed_out;
}

}  // namespace reelq
