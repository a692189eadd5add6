#include "sched/rate_limiter.h"

#include <doctest/doctest.h>

using namespace reelq;

TEST_CASE("rate limiter: a full window waits for its oldest request to leave (plus the margin)") {
  RateLimiter r(3, 60000);
  CHECK(r.next_allowed(0) == 0);
  r.record(0);
  r.record(10);
  r.record(20);
  CHECK(r.next_allowed(30) == 60000 + 600);  // margin: 1% of the window
  CHECK(r.used(30) == 3);
  CHECK(r.used(60001) == 2);
}

TEST_CASE("rate limiter: polls are paced one window/cap apart and leave the reserve to submits") {
  RateLimiter r(60, 60000);
  CHECK(r.next_deferrable(0, 6) == 0);
  r.record(0);
  CHECK(r.next_deferrable(1, 6) == 1000);  // 60 a minute: one a second
  CHECK(r.next_allowed(1) == 1);           // a submit goes at once
  // 54 requests in the window: polls must wait for the oldest to leave; submits need not.
  for (int i = 1; i < 54; ++i) {
    r.record(i * 1000);
  }
  CHECK(r.next_deferrable(54000, 6) == 60000 + 600);
  CHECK(r.next_allowed(54000) == 54000);
}

TEST_CASE("rate limiter: after a 429 the effective cap drops and paces polls further apart") {
  RateLimiter r(60, 60000);
  r.on_rate_limited();
  CHECK(r.effective_cap() == 45);
  r.record(0);
  CHECK(r.next_deferrable(0, 0) == 60000 / 45);
}
