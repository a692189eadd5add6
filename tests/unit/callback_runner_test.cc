// The runner in callback mode, on the fake clock: hints from a fake inbox fed by the in-process
// simulator's callbacks. A hint only ever buys one status query; the status decides.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "sched/planner.h"
#include "support/fake_inbox.h"
#include "support/run_harness.h"

using namespace reelq;

namespace {

std::string batch_text(int jobs) {
  std::string m = "batch: night\njobs:\n";
  const char* sizes[] = {"1280*720", "720*1280", "1792*1024"};
  for (int i = 0; i < jobs; ++i) {
    m += fmt::format("  - id: s{:02}\n    prompt: \"scene {}\"\n    size: {}\n    duration: {}\n", i, i, sizes[i % 3],
                     (i % 3 + 1) * 4);
  }
  return m;
}

struct CallbackHarness : test::RunHarness {
  test::FakeInbox fake{clock, nullptr};
  CallbackHarness() : fake(clock, sim.get()) {
    settings.request_type = RequestType::callback;
    callback_url = "http://127.0.0.1:1/cb/token";
    inbox = &fake;
  }
  int requests(const std::string& endpoint) {
    return queue->db().execAndGet("SELECT count(*) FROM events WHERE endpoint = '" + endpoint + "'").getInt();
  }
};

}  // namespace

TEST_CASE("callback mode: every job finishes with two requests (submit, one confirming status)") {
  CallbackHarness h;
  h.enqueue(batch_text(30));
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::finished);
  CHECK(s.succeeded == 30);
  h.check_caps_and_no_duplicates();
  CHECK(h.requests("generateTask") == 30);
  CHECK(h.requests("statusTask") <= 33);  // a render slower than its late estimate may get one fallback poll
  CHECK(h.fake.delivered == 30);
  // Each body carried the callback URL.
  CHECK(
      h.count("request_body LIKE '%\"request_type\":\"callback\",\"callback_url\":\"http://127.0.0.1:1/cb/token\"%'") ==
      30);
}

TEST_CASE("callback mode: with every callback lost, sparse fallback polls still finish every job") {
  CallbackHarness h;
  h.fake.drop = [](const CallbackDelivery&) { return true; };
  h.enqueue(batch_text(20));
  RunSummary s = h.run();
  CHECK(s.succeeded == 20);
  CHECK(h.fake.delivered == 0);
  CHECK(h.requests("statusTask") <= 40);  // a poll or two each, none before the task's predicted end
  // No task was polled before its render could plausibly be over: each first poll came after the
  // task had ended at the simulator, or at least after the render model's median for it.
  SQLite::Statement q(h.queue->db(),
                      "SELECT min(e.at) - j.submitted_at, j.api_complete_time - j.api_create_time FROM events e "
                      "JOIN jobs j ON e.job = j.id WHERE e.endpoint = 'statusTask' GROUP BY j.id");
  while (q.executeStep()) {
    CHECK(q.getColumn(0).getInt64() >= q.getColumn(1).getInt64() * 9 / 10);
  }
}

TEST_CASE("forged hints for running, unknown and finished tasks change no outcome and cost a query each at most") {
  CallbackHarness h;
  h.enqueue(batch_text(10));
  int forged_rounds = 0;
  h.fake.forge = [&] {
    // Every so often: a hint for every task the simulator knows (most still rendering), and for
    // tasks nobody has.
    std::vector<std::string> ids = {"task_nobody", ""};
    if (++forged_rounds % 10 == 0) {
      SQLite::Statement q(h.queue->db(), "SELECT task_id FROM jobs WHERE task_id IS NOT NULL");
      while (q.executeStep()) {
        ids.push_back(q.getColumn(0).getString());
      }
    }
    return ids;
  };
  RunSummary s = h.run();
  CHECK(s.succeeded == 10);
  CHECK(s.failed == 0);
  h.check_caps_and_no_duplicates();
  int extra_polls = h.requests("statusTask") - 10;
  CHECK(extra_polls >= 1);  // the forgeries did cost queries...
  int forged_for_known = h.fake.forged - 2 * h.fake.takes;
  CHECK(extra_polls <= forged_for_known);  // ...at most one each
  CHECK(h.count("result_urls LIKE '%http://sim/files/%'") == 10);
}

TEST_CASE("planner: a hinted task is polled before its next poll is due, and before likelier ones") {
  std::vector<PlanJob> jobs(2);
  for (size_t i = 0; i < jobs.size(); ++i) {
    jobs[i].index = i;
    jobs[i].state = JobState::running;
    jobs[i].submitted_at = 0;
    jobs[i].predicted = 1000;
    jobs[i].last_poll_at = 0;
  }
  jobs[0].next_at = 900;   // due, and past its predicted end: a likely finish
  jobs[1].next_at = 5000;  // not due for a long time...
  PlanInput in;
  in.now = 1000;
  in.at_api = jobs;
  CHECK(plan_next(in).job == 0);
  in.at_api[1].hint = 1;  // ...but a callback says it may be done
  Action a = plan_next(in);
  CHECK(a.kind == ActionKind::poll);
  CHECK(a.job == 1);
}
