// One API key, one database, several batches: what one batch's run owes to the others (issue 12,
// items 7 and 13). The runner against the simulator core in-process, on a fake clock.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "support/run_harness.h"

using namespace reelq;

namespace {

std::string batch_text(const std::string& name, int jobs) {
  std::string m = fmt::format("batch: {}\ndefaults:\n  duration: 8\njobs:\n", name);
  for (int i = 0; i < jobs; ++i) {
    m += fmt::format("  - id: {}-{:02}\n    prompt: \"{} scene {}\"\n", name, i, name, i);
  }
  return m;
}

// The least time from a batch's submit to its first status poll, from the events table.
TimeMs first_poll_delay(test::RunHarness& h, const std::string& batch) {
  return h.queue->db()
      .execAndGet(fmt::format("SELECT min(e.at - j.submitted_at) FROM events e JOIN jobs j ON e.job = j.id "
                              "WHERE j.batch = '{}' AND e.endpoint = 'statusTask'",
                              batch))
      .getInt64();
}

}  // namespace

TEST_CASE("tasks another batch left running at the same API hold slots, and are polled and collected") {
  test::RunHarness h;
  h.enqueue(batch_text("a", 3));
  h.batch = "a";
  REQUIRE(h.store->set_output_dir("a", (h.dir / "out-a").string()).ok());
  h.observer.on_progress = [&](const Progress& p) {
    if (p.running >= 3) {
      h.stop = 1;  // batch a stopped with three tasks rendering
    }
  };
  REQUIRE(h.run().end == RunEnd::interrupted);
  REQUIRE(h.count("batch = 'a' AND state = 'running'") == 3);
  h.stop = 0;
  h.observer.on_progress = nullptr;

  h.enqueue(batch_text("b", 12));
  h.batch = "b";
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::finished);
  CHECK(s.succeeded == 12);  // the summary is b's alone
  // The key's ten slots were never overrun: the API never had to answer 429.
  h.check_caps_and_no_duplicates();
  CHECK(h.stats()->getValue<int>("tasks_created") == 15);
  // a's tasks were polled to their end and collected into a's rows and a's folder.
  CHECK(h.count("batch = 'a' AND state = 'succeeded'") == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(test::read_file(h.dir / fmt::format("out-a/a-{:02}-t1.mp4", i)) == test::k_video);
  }
  CHECK(h.observer.saw("of batch a: task"));
}

TEST_CASE("another batch's tasks at a different API hold no slot here and are not polled") {
  test::RunHarness h;
  h.enqueue(batch_text("a", 3));
  h.batch = "a";
  h.observer.on_progress = [&](const Progress& p) {
    if (p.running >= 3) {
      h.stop = 1;
    }
  };
  REQUIRE(h.run().end == RunEnd::interrupted);
  h.stop = 0;
  h.observer.on_progress = nullptr;
  h.queue->db().exec("UPDATE batches SET api_base = 'http://127.0.0.1:9' WHERE name = 'a'");

  h.enqueue(batch_text("b", 4));
  h.batch = "b";
  REQUIRE(h.run().succeeded == 4);
  CHECK(h.count("batch = 'a' AND state = 'running'") == 3);  // left to their own batch's resume
  CHECK_FALSE(h.observer.saw("of batch a"));
}

TEST_CASE("render times learned from a simulator's batch do not set a real run's polls") {
  test::RunHarness h;  // the simulator at time scale 0.01: an 8 s render takes about 1.8 s
  h.enqueue(batch_text("sim", 6));
  h.batch = "sim";
  h.settings.api_base = "http://127.0.0.1:4100";
  REQUIRE(h.run().succeeded == 6);

  h.enqueue(batch_text("real", 1));
  h.batch = "real";
  h.settings.time_scale = 1;
  SUBCASE("another API: nothing learned, the first poll waits poll_initial") {
    h.settings.api_base = "https://api.apixo.ai";
    REQUIRE(h.run().succeeded == 1);
    CHECK(first_poll_delay(h, "real") >= 120000);
  }
  SUBCASE("the same API at another time scale: its renders count at this scale (about 3 minutes)") {
    REQUIRE(h.run().succeeded == 1);
    // Learned: the first poll comes when the fastest of such renders would be done, not after 2 s.
    CHECK(first_poll_delay(h, "real") >= 100000);
    CHECK(first_poll_delay(h, "real") < 180000);
  }
}

TEST_CASE("an older batch's task that this API does not know stops holding a slot and is left to its batch") {
  test::RunHarness h;
  h.enqueue(batch_text("old", 1));
  // As a reelq before schema 4 left it: running, and no API recorded for its batch.
  h.queue->db().exec(
      "UPDATE jobs SET state = 'running', task_id = 'task_elsewhere', submitted_at = 1 "
      "WHERE batch = 'old'");
  h.enqueue(batch_text("b", 12));
  h.batch = "b";
  RunSummary s = h.run();
  CHECK(s.succeeded == 12);
  CHECK(h.observer.saw("old-00 of batch old: task task_elsewhere is not at this API; not counted"));
  CHECK(h.count("batch = 'old' AND state = 'running' AND fail_code IS NULL") == 1);
  CHECK(h.stats()->getValue<int>("max_concurrent_tasks") == 10);  // its slot came back
  h.check_caps_and_no_duplicates();
}
