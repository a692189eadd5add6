// The run loop with requests in flight at once (issue 19): answers arrive a latency after their
// send, on the fake clock (support/delayed_dispatch.h), so overlap is tested deterministically.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "sched/runner.h"
#include "support/run_harness.h"

using namespace reelq;

namespace {

using Harness = test::RunHarness;

std::string manifest_text(int jobs) {
  std::string m = "batch: night\njobs:\n";
  for (int i = 0; i < jobs; ++i) {
    m += fmt::format("  - id: shot-{:02}\n    prompt: \"scene {}\"\n    duration: {}\n", i, i, 4 + 4 * (i % 3));
  }
  return m;
}

// Scaled like the run: `seconds` of the API's time.
TimeMs scaled(const Harness& h, double seconds) {
  return static_cast<TimeMs>(seconds * 1000 * h.settings.time_scale);
}

}  // namespace

TEST_CASE("answers that take a second overlap: every job done, both caps held, nothing sent twice") {
  Harness h;
  h.enqueue(manifest_text(40));
  h.in_flight_latency = scaled(h, 1);
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::finished);
  CHECK(s.succeeded == 40);
  h.check_caps_and_no_duplicates();
  CHECK(h.stats()->getValue<int>("tasks_created") == 40);
  CHECK(h.max_in_flight > 1);  // requests did overlap
  CHECK(h.count("state = 'succeeded' AND task_id IS NOT NULL") == 40);
}

TEST_CASE("a slow answer holds only its own job: the others go on while it is out") {
  auto elapsed_with = [](bool one_slow) {
    Harness h;
    h.enqueue(manifest_text(20));
    h.in_flight_latency = scaled(h, 0.3);
    const TimeMs slow = scaled(h, 120);
    h.latency_for = [&, one_slow, slow](const ApiRequest& r, Ticket t) {
      return one_slow && t == 1 && r.kind == CallKind::submit ? slow : scaled(h, 0.3);
    };
    RunSummary s = h.run();
    CHECK(s.succeeded == 20);
    h.check_caps_and_no_duplicates();
    return std::pair{s.elapsed_ms, slow};
  };
  auto [fast, slow] = elapsed_with(false);
  auto [stalled, unused] = elapsed_with(true);
  // One at a time, every slot would wait the whole 120 s; in flight, only the slow job's start
  // moves, so the batch ends well before fast + slow.
  CHECK(stalled < fast + slow / 2);
}

TEST_CASE("a stop with submits on the wire leaves them as a killed run would, for the next run's --on-ambiguous") {
  Harness h;
  h.enqueue(manifest_text(3));
  h.in_flight_latency = scaled(h, 600);  // answers far beyond the stop's grace
  h.latency_for = [&](const ApiRequest&, Ticket t) {
    if (t == 3) {
      h.stop = 1;  // Ctrl-C once the third request has left
    }
    return scaled(h, 600);
  };
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::interrupted);
  CHECK(h.stats()->getValue<int>("tasks_created") == 3);  // they did reach the API
  CHECK(h.count("state = 'submitting' AND task_id IS NULL") == 3);
  CHECK(h.observer.saw("submit unanswered when the run stopped; the task may exist"));

  SUBCASE("resumed with --on-ambiguous hold: held, nothing paid again") {
    h.stop = 0;
    h.settings.on_ambiguous = OnAmbiguous::hold;
    h.latency_for = nullptr;
    h.in_flight_latency = scaled(h, 0.3);
    h.run();
    CHECK(h.count("state = 'failed' AND fail_code = 'AMBIGUOUS_SUBMIT'") == 3);
    CHECK(h.stats()->getValue<int>("tasks_created") == 3);
  }
  SUBCASE("resumed with the default: resubmitted, each flagged as a possible duplicate charge") {
    h.stop = 0;
    h.latency_for = nullptr;
    h.in_flight_latency = scaled(h, 0.3);
    CHECK(h.run().succeeded == 3);
    CHECK(h.count("ambiguous = 1") == 3);
  }
}

TEST_CASE("a concurrency 429 counts the submits sent before it and still unanswered: the cap learned is the API's") {
  SimConfig c;
  c.concurrency = 3;
  Harness h(c);
  h.enqueue(manifest_text(6));
  h.in_flight_latency = scaled(h, 0.3);
  // The third submit's answer is slow: when the fourth is refused, the API holds three tasks
  // though reelq has heard of two.
  h.latency_for = [&](const ApiRequest& r, Ticket t) {
    return r.kind == CallKind::submit && t == 3 ? scaled(h, 30) : scaled(h, 0.3);
  };
  RunSummary s = h.run();
  CHECK(s.succeeded == 6);
  CHECK(s.limits_note.find("max_concurrent: 3") != std::string::npos);
  CHECK_FALSE(h.observer.saw("max_concurrent: 2"));
}

TEST_CASE(
    "a Free-plan key driven with the defaults: the concurrency 429 is told apart, the cap learned once, polls never "
    "starved") {
  SimConfig c;
  c.rpm = 10;  // the Free plan; reelq is left at its defaults of 60 and 10
  c.concurrency = 3;
  Harness h(c);
  h.enqueue(manifest_text(12));
  h.in_flight_latency = scaled(h, 0.3);
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::finished);
  CHECK(s.succeeded == 12);
  CHECK(h.stats()->getValue<int>("tasks_created") == 12);
  CHECK(h.stats()->getValue<int>("max_tasks_per_input") == 1);
  CHECK(h.observer.saw("concurrent task limit (429: Concurrent task limit exceeded)"));
  int learned = 0;
  for (const auto& line : h.observer.lines) {
    learned += line.find("max_concurrent: 3") != std::string::npos ? 1 : 0;
  }
  CHECK(learned == 1);  // said once, with the setting to write
  CHECK(s.limits_note.find("max_concurrent: 3") != std::string::npos);
  // The longest a finished task waited to be seen: refused submits never kept its poll waiting.
  const double longest_unseen_s =
      h.queue->db()
          .execAndGet(
              "SELECT max(seen - j.api_complete_time) FROM (SELECT job, min(at) AS seen FROM events WHERE "
              "endpoint = 'statusTask' AND message = 'success' GROUP BY job) e JOIN jobs j ON j.id = e.job")
          .getDouble() /
      1000.0 / h.settings.time_scale;
  MESSAGE("longest finished-task-unseen: ", longest_unseen_s, " s; elapsed ",
          s.elapsed_ms / 1000.0 / h.settings.time_scale, " s");
  CHECK(longest_unseen_s < 60);
}
