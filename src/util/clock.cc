#include "util/clock.h"

#include <chrono>
#include <thread>

namespace reelq {

namespace {
class SystemClock final : public Clock {
 public:
  TimeMs now_ms() override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
  TimeMs steady_ms() override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  }
  void sleep_ms(TimeMs duration) override {
    if (duration > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(duration));
    }
  }
};
}  // namespace

Clock& system_clock() {
  static SystemClock k_clock;
  return k_clock;
}

AnchoredClock::AnchoredClock(Clock& base)
    : m_base(base), m_wall_at_start(base.now_ms()), m_steady_at_start(base.steady_ms()) {}

TimeMs AnchoredClock::now_ms() {
  return m_wall_at_start + (m_base.steady_ms() - m_steady_at_start);
}

}  // namespace reelq
