// Issue 17 item 13: a backward step of the wall clock (NTP) stopped the run for as long as the
// step: nothing was sent for 10 minutes and the summary said "in 0s". A run measures intervals on
// the monotonic clock; wall time is for dates. A window stored by a clock that was ahead cannot
// stall a resume either.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "support/scripted_run.h"

using namespace reelq;

namespace {
constexpr TimeMs k_ten_minutes = 600000;
}

TEST_CASE("an anchored clock starts at the wall time and follows the monotonic clock through a step") {
  test::FakeClock base;
  AnchoredClock run(base);
  TimeMs start = base.now_ms();
  CHECK(run.now_ms() == start);
  base.advance(5000);
  base.step_wall(-k_ten_minutes);
  CHECK(base.now_ms() == start + 5000 - k_ten_minutes);
  CHECK(run.now_ms() == start + 5000);
  base.step_wall(2 * k_ten_minutes);
  CHECK(run.now_ms() == start + 5000);
}

TEST_CASE("a backward step of the wall clock mid-run does not stop the run, and the summary counts its time") {
  test::ScriptedRun h("batch: night\njobs:\n  - id: one\n    prompt: p\n    takes: 3\n");
  h.settings.max_concurrent = 1;
  for (int t = 1; t <= 3; ++t) {
    h.script_success(fmt::format("task_{}", t));
  }
  TimeMs started = h.clock.steady_ms();
  bool stepped = false;
  h.observer.on_progress = [&](const Progress&) {
    if (!stepped && h.transport.requests.size() == 1) {  // just after the first submit
      h.clock.step_wall(-k_ten_minutes);
      stepped = true;
    }
    if (h.clock.steady_ms() - started > 3600 * 1000) {
      h.stop = 1;
    }
  };
  RunSummary s = h.run();
  CHECK(stepped);
  CHECK(s.succeeded == 3);
  std::vector<TimeMs> submits = h.times_of("generateTask");
  std::vector<TimeMs> polls = h.times_of("statusTask");
  REQUIRE(submits.size() == 3);
  REQUIRE(polls.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(polls[i] - submits[i] == 120000);  // poll_initial, as without a step
  }
  const TimeMs took = h.clock.steady_ms() - started;
  CHECK(took < 3 * 121000);
  CHECK(s.elapsed_ms == took);
}

TEST_CASE("a rate window stored by a wall clock that was ahead does not stall a resume") {
  test::ScriptedRun h;
  TimeMs t0 = h.clock.now_ms();
  // A full minute of requests, stamped 10 minutes ahead of now.
  for (int i = 0; i < 60; ++i) {
    h.queue->db().exec(
        fmt::format("INSERT INTO events (job, at, endpoint, outcome) VALUES (NULL, {}, 'statusTask', 'ok')",
                    t0 + k_ten_minutes + i));
  }
  h.script_success("task_1");
  h.stop_after(3600 * 1000);
  TimeMs started = h.clock.steady_ms();
  CHECK(h.run().succeeded == 1);
  std::vector<TimeMs> submits = h.times_of("generateTask");
  REQUIRE(submits.size() == 1);
  CHECK(submits[0] - started <= 61000);  // counted as sent at start-up: one window at most
}

TEST_CASE("a backoff stored by a wall clock that was ahead is not waited out on resume") {
  test::ScriptedRun h;
  h.queue->db().exec(fmt::format("UPDATE jobs SET next_at = {}", h.clock.now_ms() + k_ten_minutes));
  h.script_success("task_1");
  h.stop_after(3600 * 1000);
  TimeMs started = h.clock.steady_ms();
  CHECK(h.run().succeeded == 1);
  std::vector<TimeMs> submits = h.times_of("generateTask");
  REQUIRE(submits.size() == 1);
  CHECK(submits[0] - started <= 60000);  // the longest backoff there is
}
