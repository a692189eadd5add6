// The simulator's answer delays: which requests are slow depends only on the seed and the
// request's number, and every delay is in API time, multiplied by the time scale.
#include "sim/sim_latency.h"

#include <doctest/doctest.h>

using namespace reelq;

namespace {

SimLatencyConfig latency(double ms, double slow_rate = 0, double slow_seconds = 30) {
  SimLatencyConfig c;
  c.latency_ms = ms;
  c.slow_rate = slow_rate;
  c.slow_seconds = slow_seconds;
  return c;
}

int slow_among(const SimLatency& l, int n) {
  int slow = 0;
  for (int i = 1; i <= n; ++i) {
    slow += l.delay_for(static_cast<std::uint64_t>(i)).slow ? 1 : 0;
  }
  return slow;
}

}  // namespace

TEST_CASE("without a latency every answer is immediate") {
  SimLatency l(SimLatencyConfig{}, 1, 42);
  CHECK_FALSE(l.any());
  for (std::uint64_t i = 1; i <= 100; ++i) {
    CHECK(l.delay_for(i).ms == 0);
    CHECK_FALSE(l.delay_for(i).slow);
  }
}

TEST_CASE("every answer takes the latency, scaled") {
  SimLatency l(latency(300), 0.05, 42);
  CHECK(l.any());
  CHECK(l.delay_for(1).ms == 15);
  CHECK(l.delay_for(777).ms == 15);
  CHECK(SimLatency(latency(1000), 1, 42).delay_for(3).ms == 1000);
}

TEST_CASE("a slow answer takes slow_seconds in all, scaled, instead of the latency") {
  SimLatency l(latency(300, 1.0, 30), 0.05, 42);
  AnswerDelay d = l.delay_for(5);
  CHECK(d.slow);
  CHECK(d.ms == 1500);
}

TEST_CASE("the share of slow answers is the slow rate") {
  SimLatency l(latency(300, 0.02, 30), 0.05, 42);
  int slow = slow_among(l, 20'000);
  CHECK(slow > 340);  // 400 expected; a binomial sd is 20
  CHECK(slow < 460);
  CHECK(slow_among(SimLatency(latency(0, 0.5), 1, 1), 10'000) > 4'700);
  CHECK(slow_among(SimLatency(latency(0, 0.0), 1, 1), 10'000) == 0);
  CHECK(slow_among(SimLatency(latency(0, 1.0), 1, 1), 10'000) == 10'000);
}

TEST_CASE("the slow requests are fixed by the seed and the request's number") {
  SimLatency a(latency(300, 0.1), 0.05, 42);
  SimLatency b(latency(300, 0.1), 0.05, 42);
  SimLatency other(latency(300, 0.1), 0.05, 43);
  int same_as_other = 0;
  for (std::uint64_t i = 1; i <= 1000; ++i) {
    CHECK(a.delay_for(i).slow == b.delay_for(i).slow);
    same_as_other += a.delay_for(i).slow == other.delay_for(i).slow ? 1 : 0;
  }
  CHECK(same_as_other < 1000);  // another seed, other slow requests
  // Asked out of order, a request's delay is the same: no hidden state advances.
  CHECK(a.delay_for(500).slow == b.delay_for(500).slow);
}
