// The loop's wake-up with real threads. No assert depends on timing: a wait that should return on
// a notify is given a length no test run reaches (a lost wake-up hangs the test until ctest's
// timeout, which fails it), and a wait that should time out is given no length at all.
#include "util/wakeup.h"

#include <doctest/doctest.h>

#include <atomic>
#include <limits>
#include <thread>
#include <vector>

#include "support/fake_wakeup.h"

using namespace reelq;

namespace {
constexpr TimeMs k_forever = 24LL * 3600 * 1000;  // a day: only a notify ends such a wait
}

TEST_CASE("wakeup: a notify before the wait makes the wait return at once") {
  ThreadWakeup w;
  w.notify();
  CHECK(w.wait_ms(k_forever) == Woke::notified);
}

TEST_CASE("wakeup: notifies between two waits wake the loop once; the next wait sleeps its length") {
  ThreadWakeup w;
  w.notify();
  w.notify();
  w.notify();
  CHECK(w.wait_ms(k_forever) == Woke::notified);
  CHECK(w.wait_ms(0) == Woke::timed_out);
}

TEST_CASE("wakeup: a wait of no length with nothing pending times out") {
  ThreadWakeup w;
  CHECK(w.wait_ms(0) == Woke::timed_out);
  CHECK(w.wait_ms(-5) == Woke::timed_out);
}

TEST_CASE("wakeup: a notify from another thread ends the wait, whether it comes before or during it") {
  ThreadWakeup w;
  for (int round = 0; round < 100; ++round) {
    std::thread t([&] { w.notify(); });
    CHECK(w.wait_ms(k_forever) == Woke::notified);
    t.join();
  }
}

TEST_CASE("wakeup: many threads notifying many times: every wait the loop makes after one returns") {
  ThreadWakeup w;
  constexpr int k_threads = 4;
  constexpr int k_each = 250;
  std::atomic<int> sent{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < k_threads; ++i) {
    threads.emplace_back([&] {
      for (int n = 0; n < k_each; ++n) {
        sent.fetch_add(1);
        w.notify();
      }
    });
  }
  // The loop's pattern: read what arrived, then wait. A notify after the read is never missed, so
  // the loop sees every arrival without a timeout.
  int seen = 0;
  while (seen < k_threads * k_each) {
    int now_seen = sent.load();
    if (now_seen == seen) {
      CHECK(w.wait_ms(k_forever) == Woke::notified);
    }
    seen = now_seen;
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(seen == k_threads * k_each);
}

TEST_CASE("fake wakeup: a wait advances the fake clock unless a notify is pending") {
  test::FakeClock clock;
  test::FakeWakeup w(clock);
  TimeMs t0 = clock.now_ms();
  CHECK(w.wait_ms(500) == Woke::timed_out);
  CHECK(clock.now_ms() == t0 + 500);
  w.notify();
  CHECK(w.wait_ms(500) == Woke::notified);
  CHECK(clock.now_ms() == t0 + 500);
}

TEST_CASE("wakeup: a wait for 'never' (nothing due) waits for the notify rather than overflowing") {
  ThreadWakeup w;
  std::thread t([&] { w.notify(); });
  CHECK(w.wait_ms(std::numeric_limits<TimeMs>::max()) == Woke::notified);
  t.join();
}
