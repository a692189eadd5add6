// Issue 17 item 12: a huge or mis-scaled costTime must not stop polling. What a render teaches is
// bounded by its take's own lifetime and by the render deadline, when learned, when stored and
// when read back; the first poll is bounded by the deadline like every other.
#include "sched/render_time.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "support/scripted_run.h"

using namespace reelq;

TEST_CASE("a claimed render time is bounded by the take's lifetime and by the deadline") {
  CHECK(bound_render_time(170000, 200000, 3600000) == 170000);
  CHECK(bound_render_time(1'000'000'000'000, 200000, 3600000) == 200000);
  CHECK(bound_render_time(1'000'000'000'000, 0, 3600000) == 3600000);  // lifetime unknown
  CHECK(bound_render_time(1'000'000'000'000, 9'000'000, 3600000) == 3600000);
  CHECK(bound_render_time(0, 200000, 3600000) == std::nullopt);
  CHECK(bound_render_time(-5, 200000, 3600000) == std::nullopt);
  TaskStatus s;
  s.create_time = std::numeric_limits<std::int64_t>::min();
  s.complete_time = std::numeric_limits<std::int64_t>::max();
  LearnedRender r = learned_render(s, 200000, 3600000);
  CHECK(r.cost_time == std::nullopt);
  CHECK(r.took == 200000);  // dates whose difference overflows: the lifetime alone
  s.cost_time = 1'000'000'000'000;
  r = learned_render(s, 200000, 3600000);
  CHECK(r.cost_time == 200000);
  CHECK(r.took == 200000);
}

TEST_CASE("a costTime 1000 times too long teaches no more than the take's lifetime: later takes poll as soon") {
  test::ScriptedRun h("batch: night\njobs:\n  - id: one\n    prompt: p\n    takes: 4\n");
  h.settings.max_concurrent = 1;  // one take after the other, each learning from those before
  for (int t = 1; t <= 4; ++t) {
    h.script_success(fmt::format("task_{}", t), "170000000");  // 170 s, in microseconds
  }
  h.stop_after(10LL * 3600 * 1000);
  RunSummary s = h.run();
  CHECK(s.succeeded == 4);
  std::vector<TimeMs> submits = h.times_of("generateTask");
  std::vector<TimeMs> polls = h.times_of("statusTask");
  REQUIRE(submits.size() == 4);
  REQUIRE(polls.size() == 4);
  CHECK(polls[0] - submits[0] == 120000);        // poll_initial: nothing learned yet
  CHECK(polls[3] - submits[3] <= 120000);        // learned: at most what each take was seen to live
  CHECK(h.count("cost_time_ms > 120000") == 0);  // no impossible value kept
  CHECK(h.count("cost_time_ms IS NOT NULL") == 4);
}

TEST_CASE("a costTime of 10^12 ms does not put the next first poll years out, nor past the deadline") {
  test::ScriptedRun h("batch: night\njobs:\n  - id: one\n    prompt: p\n    takes: 4\n");
  h.settings.max_concurrent = 1;
  for (int t = 1; t <= 4; ++t) {
    h.script_success(fmt::format("task_{}", t), "1000000000000");
  }
  h.stop_after(10LL * 3600 * 1000);
  RunSummary s = h.run();
  CHECK(s.succeeded == 4);
  std::vector<TimeMs> submits = h.times_of("generateTask");
  std::vector<TimeMs> polls = h.times_of("statusTask");
  REQUIRE(polls.size() == 4);
  CHECK(polls[3] - submits[3] <= 120000);
}

TEST_CASE("the first poll never comes after the render deadline") {
  test::ScriptedRun h;
  h.settings.render_deadline = 60;  // shorter than poll_initial (120 s)
  h.script_success("task_1");
  h.stop_after(3600 * 1000);
  CHECK(h.run().succeeded == 1);
  std::vector<TimeMs> submits = h.times_of("generateTask");
  std::vector<TimeMs> polls = h.times_of("statusTask");
  REQUIRE(polls.size() == 1);
  CHECK(polls[0] - submits[0] == 60000);
}

TEST_CASE("impossible render times an earlier batch stored are bounded when read back") {
  test::ScriptedRun h;
  h.enqueue("batch: old\njobs:\n  - id: a\n    prompt: a\n  - id: b\n    prompt: b\n  - id: c\n    prompt: c\n");
  TimeMs t0 = h.clock.now_ms();
  // Three renders that lived 3 minutes from submit to end, stored with a costTime of 10^12 ms.
  h.queue->db().exec(
      fmt::format("UPDATE jobs SET state = 'succeeded', task_id = 'old_' || job_id, submitted_at = {}, "
                  "completed_at = {}, cost_time_ms = 1000000000000 WHERE batch = 'old'",
                  t0 - 400000, t0 - 220000));
  h.queue->db().exec(
      fmt::format("UPDATE batches SET api_base = '{}', time_scale = 1 WHERE name = 'old'", h.settings.api_base));
  h.script_success("task_1");
  h.stop_after(10LL * 3600 * 1000);
  CHECK(h.run().succeeded == 1);
  std::vector<TimeMs> submits = h.times_of("generateTask");
  std::vector<TimeMs> polls = h.times_of("statusTask");
  REQUIRE(polls.size() == 1);
  CHECK(polls[0] - submits[0] <= 180000);
}
