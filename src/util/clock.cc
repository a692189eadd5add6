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

}  // namespace reelq
