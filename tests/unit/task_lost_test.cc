#include "sched/task_lost.h"

#include <doctest/doctest.h>

using namespace reelq;

TEST_CASE("a task is lost only after unbroken 404s over the whole stretch, never after a quick few") {
  const TimeMs ten_minutes = 600000;
  const TimeMs t0 = 1'000'000;
  struct Row {
    int count;
    TimeMs since_first;
    bool lost;
    const char* why;
  };
  const Row rows[] = {
      {3, 333, false, "three 404s in a third of a second (a replica that has not seen the task yet)"},
      {10, 60000, false, "a minute of 404s"},
      {14, ten_minutes - 1, false, "just short of the stretch"},
      {14, ten_minutes, true, "the whole stretch"},
      {20, 3 * ten_minutes, true, "well past it"},
      {1, ten_minutes, false, "one 404 after a long pause is a single look"},
      {2, 2 * ten_minutes, false, "two are not enough either"},
      {3, ten_minutes, true, "the fewest answers over the stretch"},
      {0, 2 * ten_minutes, false, "no 404 at all"},
  };
  for (const Row& r : rows) {
    CAPTURE(r.why);
    CHECK(task_lost({t0, r.count}, t0 + r.since_first, ten_minutes) == r.lost);
  }
}

TEST_CASE("the stretch is the caller's, time-scaled like the runner's other times") {
  // At a simulator's time scale 0.005 the ten minutes are 3 s.
  const TimeMs scaled = static_cast<TimeMs>(k_not_found_stretch_s * 1000 * 0.005);
  CHECK(scaled == 3000);
  CHECK_FALSE(task_lost({0, 5}, 2999, scaled));
  CHECK(task_lost({0, 5}, 3000, scaled));
}
