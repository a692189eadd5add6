#include "cli/stop_signals.h"

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>

using namespace reelq;

namespace {

// What the watchdog's callback saw, waited for without a clock.
struct Called {
  std::mutex mutex;
  std::condition_variable cv;
  int times = 0;

  void mark() {
    std::lock_guard lock(mutex);
    ++times;
    cv.notify_all();
  }
  void wait_for_one() {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return times > 0; });
  }
};

}  // namespace

TEST_CASE("the watchdog calls its callback once when a stop is asked for, so a sleeping loop can wake") {
  std::atomic<int> stops{0};
  Called called;
  {
    StopWatchdog watchdog(
        stops, [&] { called.mark(); }, std::chrono::hours(1));
    stops = 1;
    called.wait_for_one();
    stops = 2;  // a second stop is the signal handler's to act on (it exits): no second call
  }
  CHECK(called.times == 1);
}

TEST_CASE("a watchdog that sees no stop never calls back, and lets go when its run ends") {
  std::atomic<int> stops{0};
  Called called;
  {
    StopWatchdog watchdog(
        stops, [&] { called.mark(); }, std::chrono::hours(1));
  }
  CHECK(called.times == 0);
}
