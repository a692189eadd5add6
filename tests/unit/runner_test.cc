// The runner against the simulator core in-process, on a fake clock: whole batches in
// milliseconds of real time, with the simulator's stats as the witness of caps and duplicates.
#include "sched/runner.h"

#include <Poco/JSON/Parser.h>
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>

#include "api/request.h"
#include "queue/operations.h"
#include "queue/queue.h"
#include "sim/sim_core.h"
#include "support/fake_transport.h"
#include "support/fakes.h"
#include "support/recording_observer.h"
#include "support/run_harness.h"
#include "support/scripted_run.h"
#include "support/sim_transport.h"
#include "util/time_text.h"

using namespace reelq;
namespace fs = std::filesystem;

namespace {

using Harness = test::RunHarness;
using test::k_video;

std::string manifest_text(int jobs, const std::string& extra_job = "") {
  std::string m = "batch: night\ndefaults:\n  duration: 8\njobs:\n";
  const char* sizes[] = {"1280*720", "720*1280", "1792*1024"};
  const int durations[] = {4, 8, 12};
  for (int i = 0; i < jobs; ++i) {
    m += fmt::format("  - id: shot-{:02}\n    prompt: \"scene {}\"\n    size: {}\n    duration: {}\n", i, i,
                     sizes[i % 3], durations[(i / 3) % 3]);
  }
  return m + extra_job;
}

}  // namespace

TEST_CASE("a 40-job batch completes within both caps, every file on disk, nothing submitted twice") {
  Harness h;
  h.enqueue(manifest_text(40));
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::finished);
  CHECK(s.succeeded == 40);
  CHECK(s.failed == 0);
  CHECK(s.left == 0);
  h.check_caps_and_no_duplicates();
  CHECK(h.stats()->getValue<int>("tasks_created") == 40);
  CHECK(h.stats()->getValue<int>("max_concurrent_tasks") == 10);  // the slots were kept full
  for (int i = 0; i < 40; ++i) {
    CHECK(test::read_file(h.dir / fmt::format("out/shot-{:02}-t1.mp4", i)) == k_video);
  }
  CHECK(h.count("state = 'succeeded' AND task_id IS NOT NULL AND completed_at IS NOT NULL") == 40);
  CHECK(h.queue->db().execAndGet("SELECT count(*) FROM files WHERE sha256 IS NOT NULL AND bytes = 28").getInt() == 40);
}

TEST_CASE("status polls are paced: each comes a window/rpm after the request before it, never in a burst") {
  Harness h;
  h.enqueue(manifest_text(40));
  REQUIRE(h.run().succeeded == 40);
  // Events are written as answers arrive, which is when the limiter records a request.
  const TimeMs spacing = static_cast<TimeMs>(60000 * h.settings.time_scale) / h.settings.rpm;
  SQLite::Statement q(h.queue->db(),
                      "SELECT endpoint, at FROM events WHERE endpoint IN ('generateTask', 'statusTask') ORDER BY id");
  TimeMs previous = -1;
  int polls = 0;
  int too_soon = 0;
  while (q.executeStep()) {
    TimeMs at = q.getColumn(1).getInt64();
    if (q.getColumn(0).getString() == "statusTask" && previous >= 0) {
      ++polls;
      too_soon += at - previous < spacing ? 1 : 0;
    }
    previous = at;
  }
  CHECK(polls > 40);
  CHECK(too_soon == 0);
}

TEST_CASE("the Free plan's caps hold too: 10 requests a minute, 3 tasks") {
  SimConfig c;
  c.rpm = 10;
  c.concurrency = 3;
  Harness h(c);
  h.settings.rpm = 10;
  h.settings.max_concurrent = 3;
  h.enqueue(manifest_text(12));
  RunSummary s = h.run();
  CHECK(s.succeeded == 12);
  h.check_caps_and_no_duplicates();
}

TEST_CASE("takes render separately and are named -tN") {
  Harness h;
  h.enqueue("batch: night\njobs:\n  - id: sky\n    prompt: p\n    takes: 3\n");
  CHECK(h.run().succeeded == 3);
  for (int t = 1; t <= 3; ++t) {
    CHECK(fs::exists(h.dir / fmt::format("out/sky-t{}.mp4", t)));
  }
  h.check_caps_and_no_duplicates(3);
}

TEST_CASE("API failures are recorded with their codes and not retried") {
  Harness h;
  h.enqueue(manifest_text(2,
                          "  - id: bad-word\n    prompt: \"VIOLATEME\"\n"
                          "  - id: rejected\n    prompt: \"REJECTME\"\n"
                          "  - id: bad-image\n    prompt: p\n    images: [https://x.test/unreachable.jpg]\n"));
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::finished);
  CHECK(s.succeeded == 2);
  CHECK(s.failed == 3);
  CHECK(s.failures_by_code == std::map<std::string, int>{{"CONTENT_VIOLATION", 2}, {"INVALID_IMAGE_URL", 1}});
  CHECK(h.count("job_id = 'rejected' AND fail_msg = 'Content violates provider policy, please adjust the prompt'") ==
        1);
  CHECK(h.count("job_id = 'bad-word' AND fail_msg = 'Content does not meet safety guidelines'") == 1);
  h.check_caps_and_no_duplicates();
}

TEST_CASE("with server errors, drops and slow answers nothing is lost or submitted twice except ambiguous ones") {
  SimConfig c;
  c.seed = 11;
  c.faults.server_error = 0.1;
  c.faults.drop_before = 0.05;
  c.faults.drop_after = 0.05;
  c.faults.truncate = 0.2;
  Harness h(c);
  h.settings.max_attempts = 20;
  h.enqueue(manifest_text(30));
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::finished);
  CHECK(s.succeeded == 30);
  auto stats = h.stats();
  int flagged = h.count("ambiguous = 1 AND note = 'possible duplicate charge'");
  CHECK(flagged > 0);  // the drops after create happened, and were flagged
  // Every task beyond one per job belongs to a job flagged as a possible duplicate charge.
  CHECK(stats->getValue<int>("tasks_created") - 30 <= flagged);
  CHECK(stats->getValue<int>("max_requests_in_window") <= 60);
}

TEST_CASE("--on-ambiguous=hold leaves an unanswered submit to the user") {
  SimConfig c;
  c.faults.drop_after = 1.0;
  Harness h(c);
  h.settings.on_ambiguous = OnAmbiguous::hold;
  h.enqueue(manifest_text(2));
  RunSummary s = h.run();
  CHECK(s.failed == 2);
  CHECK(s.failures_by_code.at("AMBIGUOUS_SUBMIT") == 2);
  CHECK(h.stats()->getValue<int>("tasks_created") == 2);  // created, but never resubmitted
}

TEST_CASE("credits run out: submitting stops, running tasks are collected, queued jobs stay queued") {
  SimConfig c;
  c.credits = 10.0;  // 8 s at 0.30/s = 2.40: four jobs
  Harness h(c);
  h.enqueue("batch: night\ndefaults: {duration: 8, size: 1280*720}\njobs:\n" + [] {
    std::string s;
    for (int i = 0; i < 10; ++i) {
      s += fmt::format("  - prompt: \"p{}\"\n", i);
    }
    return s;
  }());
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::credits_exhausted);
  CHECK(s.succeeded == 4);
  CHECK(s.failed == 0);
  CHECK(s.left == 6);
  CHECK(h.count("state = 'queued'") == 6);
  CHECK(h.count("state = 'queued' AND attempts = 0") == 6);  // the refused submit did not count
}

TEST_CASE("a refused key stops at once and marks nothing failed") {
  Harness h;
  h.key = "wrong";
  h.enqueue(manifest_text(5));
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::key_refused);
  CHECK(s.failed == 0);
  CHECK(h.count("state = 'queued'") == 5);
  CHECK(h.transport->requests == 1);
}

TEST_CASE("a run stopped part-way resumes and finishes with every job rendered exactly once") {
  Harness h;
  h.enqueue(manifest_text(25));
  h.observer.on_progress = [&](const Progress& p) {
    if (p.succeeded >= 8) {
      h.stop = 1;
    }
  };
  RunSummary first = h.run();
  CHECK(first.end == RunEnd::interrupted);
  CHECK(first.left > 0);
  CHECK(h.count("state = 'running'") > 0);  // tasks left at the API, to be polled, not resubmitted
  h.stop = 0;
  h.observer.on_progress = nullptr;
  RunSummary second = h.run();
  CHECK(second.end == RunEnd::finished);
  CHECK(second.succeeded == 25);
  CHECK(h.stats()->getValue<int>("tasks_created") == 25);
  h.check_caps_and_no_duplicates();
}

TEST_CASE("a full disk stops the run with the take kept downloading; with space again the next run finishes it") {
  Harness h;
  h.enqueue(manifest_text(6));
  int writes = 0;
  // Room for two results, then a full disk.
  h.write_bytes = [&](int fd, const char* data, size_t n) { return ++writes > 2 ? ENOSPC : write_all(fd, data, n); };
  RunSummary first = h.run();
  CHECK(first.end == RunEnd::disk_full);
  CHECK(first.message.ends_with(": No space left on device"));
  CHECK(first.failed == 0);
  CHECK(h.count("state = 'failed'") == 0);
  CHECK(h.count("state = 'downloading'") >= 1);
  CHECK(h.count("state = 'downloading' AND attempts = 1") == h.count("state = 'downloading'"));
  CHECK(h.observer.saw("download stopped, the disk is full: cannot write "));
  CHECK(h.queue->db().execAndGet("SELECT count(*) FROM events WHERE outcome = 'disk_full'").getInt() >= 1);
  for (const auto& e : fs::directory_iterator(h.dir / "out")) {
    CHECK_FALSE(e.path().filename().string().ends_with(".part"));
  }
  h.write_bytes = write_all;
  RunSummary second = h.run();
  CHECK(second.end == RunEnd::finished);
  CHECK(second.succeeded == 6);
  CHECK(h.stats()->getValue<int>("tasks_created") == 6);
  h.check_caps_and_no_duplicates();
}

TEST_CASE("a job found mid-submit after a crash is resubmitted and flagged as a possible duplicate charge") {
  Harness h;
  h.enqueue(manifest_text(3));
  h.queue->db().exec("UPDATE jobs SET state = 'submitting' WHERE job_id = 'shot-01'");
  RunSummary s = h.run();
  CHECK(s.succeeded == 3);
  CHECK(h.count("job_id = 'shot-01' AND ambiguous = 1 AND note = 'possible duplicate charge'") == 1);
  CHECK(h.count("ambiguous = 1") == 1);
}

TEST_CASE("tasks found running at start-up count against the cap and are polled, never resubmitted") {
  Harness h;
  h.enqueue(manifest_text(12));
  // Ten tasks the API already has, as an earlier run left them.
  h.api = std::make_unique<HttpApiClient>(*h.transport, "http://sim", "sim-key", h.clock);
  auto rows = h.store->unfinished_jobs("night").value();
  for (int i = 0; i < 10; ++i) {
    SubmitResult r =
        h.api->submit("sora-2-pro", generate_body(rows[static_cast<size_t>(i)].input_json, RequestType::async, ""));
    REQUIRE(r.answer.kind == AnswerKind::ok);
    h.queue->db().exec(fmt::format("UPDATE jobs SET state = 'running', task_id = '{}', submitted_at = {} WHERE id = {}",
                                   r.task_id, h.clock.now_ms(), rows[static_cast<size_t>(i)].id));
  }
  RunSummary s = h.run();
  CHECK(s.succeeded == 12);
  CHECK(h.stats()->getValue<int>("tasks_created") == 12);
  h.check_caps_and_no_duplicates();
}

namespace {

// A runner over a scripted transport, at time scale 1, for exact timing checks.
// The shared scripted run (support/scripted_run.h), with this file's one-job success script.
struct ScriptedHarness : test::ScriptedRun {
  void script_success() {
    transport.answer(200, R"({"code":200,"message":"success","data":{"taskId":"task_1"}})");
    transport.answer(200, R"({"code":200,"message":"success","data":{"taskId":"task_1","state":"success",)"
                          R"("resultJson":"{\"resultUrls\":[\"https://cdn.test/v.mp4\"]}","costTime":170000}})");
    transport.answer(200, k_video, {{"Content-Length", std::to_string(k_video.size())}});
  }
  int submits() const {
    return static_cast<int>(
        std::count_if(transport.requests.begin(), transport.requests.end(),
                      [](const HttpRequest& r) { return r.url.find("generateTask") != std::string::npos; }));
  }
};

}  // namespace

TEST_CASE("Retry-After is honoured as given, and a 429 does not count as an attempt") {
  ScriptedHarness h;
  h.transport.answer(429, R"({"code":429,"message":"Rate limit exceeded","data":null})", {{"Retry-After", "7"}});
  h.script_success();
  RunSummary s = h.run();
  CHECK(s.succeeded == 1);
  REQUIRE(h.transport.times.size() == 4);
  CHECK(h.transport.times[1] - h.transport.times[0] >= 7000);
  CHECK(h.transport.times[1] - h.transport.times[0] < 7100);
  CHECK(h.queue->db().execAndGet("SELECT attempts FROM jobs").getInt() == 1);
  CHECK(h.observer.saw("pausing 7000 ms as Retry-After asks"));
}

TEST_CASE("a Retry-After of a day pauses the run for five minutes at most, and says so") {
  ScriptedHarness h;
  h.transport.answer(429, R"({"code":429,"message":"Rate limit exceeded","data":null})", {{"Retry-After", "86400"}});
  h.script_success();
  RunSummary s = h.run();
  CHECK(s.succeeded == 1);
  REQUIRE(h.transport.times.size() == 4);
  CHECK(h.transport.times[1] - h.transport.times[0] == 300000);
  CHECK(h.observer.saw("Retry-After asks 86400000 ms; pausing 300000 ms, the most reelq waits"));
}

TEST_CASE("a success without a usable result is asked again, then fails with its taskId kept; retry asks again") {
  ScriptedHarness h;
  const std::string no_urls = R"({"code":200,"message":"success","data":{"taskId":"task_1","state":"success",)"
                              R"("resultJson":"not json"}})";
  h.transport.answer(200, R"({"code":200,"message":"success","data":{"taskId":"task_1"}})");
  for (int i = 0; i < 3; ++i) {
    h.transport.answer(200, no_urls);
  }
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::finished);
  CHECK(s.failures_by_code == std::map<std::string, int>{{"RESULT_UNREADABLE", 1}});
  CHECK(h.transport.requests.size() == 4);
  CHECK(h.count("task_id = 'task_1' AND state = 'failed' AND fail_msg LIKE "
                "'unusable status answer: success with a resultJson that is not a JSON object (3 times)%'") == 1);

  // retry puts it back to polling under the same task; the next run asks once and collects it.
  auto out = retry_failed(h.queue->db(), h.clock, JobSelector{});
  REQUIRE(out.ok());
  CHECK(out->to_poll == 1);
  CHECK(out->requeued == 0);
  h.transport.answer(200, R"({"code":200,"message":"success","data":{"taskId":"task_1","state":"success",)"
                          R"("resultJson":"{\"resultUrls\":[\"https://cdn.test/v.mp4\"]}","costTime":170000}})");
  h.transport.answer(200, k_video, {{"Content-Length", std::to_string(k_video.size())}});
  RunSummary again = h.run();
  CHECK(again.succeeded == 1);
  CHECK(h.transport.requests.size() == 6);
  CHECK(h.submits() == 1);
}

TEST_CASE("a status answer about another task never settles the take asked about") {
  ScriptedHarness h;
  const std::string other = R"({"code":200,"message":"success","data":{"taskId":"task_2","state":"success",)"
                            R"("resultJson":"{\"resultUrls\":[\"https://cdn.test/other.mp4\"]}"}})";
  h.transport.answer(200, R"({"code":200,"message":"success","data":{"taskId":"task_1"}})");
  h.transport.answer(200, other);
  h.transport.answer(200, other);
  h.transport.answer(200, other);
  RunSummary s = h.run();
  CHECK(s.failures_by_code == std::map<std::string, int>{{"STATUS_MISMATCH", 1}});
  CHECK(h.count("task_id = 'task_1' AND result_urls IS NULL") == 1);
  CHECK(h.observer.saw("unusable status answer: the answer is about task 'task_2'; asking again"));
  for (const auto& r : h.transport.requests) {
    CHECK(r.url.find("other.mp4") == std::string::npos);
  }
}

TEST_CASE("the first poll waits poll_initial until render times are known") {
  ScriptedHarness h;
  h.script_success();
  h.run();
  REQUIRE(h.transport.times.size() == 3);
  CHECK(h.transport.times[1] - h.transport.times[0] == 120000);
}

TEST_CASE("a restarted runner counts the requests an earlier run made in the last minute") {
  ScriptedHarness h;
  TimeMs t0 = h.clock.now_ms();
  for (int i = 0; i < 60; ++i) {
    h.queue->db().exec(fmt::format(
        "INSERT INTO events (job, at, endpoint, outcome) VALUES (NULL, {}, 'statusTask', 'ok')", t0 - 1000 + i));
  }
  h.script_success();
  h.run();
  REQUIRE_FALSE(h.transport.times.empty());
  CHECK(h.transport.times[0] >= t0 - 1000 + 60000);
}

TEST_CASE("requests an earlier run could not send do not fill the restarted runner's window") {
  ScriptedHarness h;
  TimeMs t0 = h.clock.now_ms();
  for (int i = 0; i < 60; ++i) {
    h.queue->db().exec(
        fmt::format("INSERT INTO events (job, at, endpoint, outcome) VALUES (NULL, {}, 'statusTask', 'unreachable')",
                    t0 - 1000 + i));
  }
  h.script_success();
  h.run();
  REQUIRE_FALSE(h.transport.times.empty());
  CHECK(h.transport.times[0] < t0 + 1000);
}

TEST_CASE("transient submit errors back off and give up after max attempts with the last error") {
  ScriptedHarness h;
  for (int i = 0; i < 5; ++i) {
    h.transport.answer(502, "<html><h1>502 Bad Gateway</h1></html>");
  }
  RunSummary s = h.run();
  CHECK(s.failed == 1);
  CHECK(s.failures_by_code.at("RETRIES_EXHAUSTED") == 1);
  CHECK(h.queue->db().execAndGet("SELECT fail_msg FROM jobs").getString() ==
        "after 5 attempts: HTTP 502 without an API envelope: 502 Bad Gateway");
  REQUIRE(h.transport.times.size() == 5);
  for (size_t i = 1; i < 5; ++i) {
    TimeMs gap = h.transport.times[i] - h.transport.times[i - 1];
    TimeMs full = 1000LL << (i - 1);
    CHECK(gap >= full / 2);  // jittered within [half, whole] of 1 s, 2 s, 4 s, 8 s
  }
}

TEST_CASE("a download that finishes between two looks of the runner is still collected") {
  // Workers on real threads with an in-process simulator: the last download races the loop.
  for (int round = 0; round < 20; ++round) {
    Harness h;
    h.enqueue(manifest_text(3));
    h.api = std::make_unique<HttpApiClient>(*h.transport, "http://sim", "sim-key", h.clock);
    DownloadOptions d;
    d.output_dir = h.dir / "out";
    d.workers = 2;
    Downloader downloader(*h.transport, h.clock, d);
    RunConfig rc;
    rc.batch = "night";
    rc.settings = h.settings;
    Runner runner(*h.store, *h.api, downloader, h.clock, h.observer, rc, h.stop);
    RunSummary s = runner.run();
    REQUIRE(s.end == RunEnd::finished);
    REQUIRE(s.succeeded == 3);
  }
}

TEST_CASE("a task created by a submit whose answer was lost holds its slot: the API never has to say 429") {
  SimConfig c;
  c.concurrency = 3;
  c.seed = 4;
  c.faults.drop_after = 0.3;
  Harness h(c);
  h.settings.max_concurrent = 3;
  h.settings.max_attempts = 20;
  h.enqueue(manifest_text(12));
  RunSummary s = h.run();
  CHECK(s.succeeded == 12);
  CHECK(h.count("ambiguous = 1") > 0);
  CHECK(h.stats()->getValue<int>("rate_limited_sent") == 0);
  CHECK(h.stats()->getValue<int>("max_concurrent_tasks") <= 3);
}

TEST_CASE("after a crash mid-submit, the restarted run leaves that task's slot alone") {
  SimConfig c;
  c.concurrency = 2;
  Harness h(c);
  h.settings.max_concurrent = 2;
  h.enqueue(manifest_text(4));
  // The crashed run's submit reached the API (a task exists) but its answer was never recorded.
  h.api = std::make_unique<HttpApiClient>(*h.transport, "http://sim", "sim-key", h.clock);
  auto rows = h.store->unfinished_jobs("night").value();
  REQUIRE(h.api->submit("sora-2-pro", generate_body(rows[0].input_json, RequestType::async, "")).answer.kind ==
          AnswerKind::ok);
  h.queue->db().exec(fmt::format("UPDATE jobs SET state = 'submitting' WHERE id = {}", rows[0].id));
  RunSummary s = h.run();
  CHECK(s.succeeded == 4);
  CHECK(h.stats()->getValue<int>("rate_limited_sent") == 0);
}

TEST_CASE("an API unreachable for 10 minutes mid-batch pauses the run: every job succeeds, no attempt counted") {
  Harness h;
  h.enqueue(manifest_text(30));
  const TimeMs minute = static_cast<TimeMs>(60000 * h.settings.time_scale);
  h.transport->down_from = h.clock.now_ms() + 3 * minute;  // mid-batch: tasks running, jobs queued
  h.transport->down_until = h.transport->down_from + 10 * minute;
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::finished);
  CHECK(s.succeeded == 30);
  CHECK(h.transport->refused_requests > 0);
  CHECK(h.count("attempts = 1") == 30);  // nothing that could not be sent counted
  CHECK(h.count("ambiguous = 1") == 0);
  CHECK(h.stats()->getValue<int>("tasks_created") == 30);
  h.check_caps_and_no_duplicates();
  int notes = 0;
  for (const auto& line : h.observer.lines) {
    notes += line.starts_with("API unreachable for ") && line.ends_with("(Connection refused); still polling") ? 1 : 0;
  }
  CHECK(h.observer.saw("API unreachable (Connection refused); "));  // said at once
  CHECK(notes >= 9);                                                // then about once a minute
  CHECK(notes <= 11);
  CHECK(h.observer.saw("API reachable again after 6s"));  // 10 minutes at time scale 0.01
}

TEST_CASE("a submit that cannot leave the machine is nobody's attempt; the run pauses longer each time") {
  ScriptedHarness h;
  for (int i = 0; i < 4; ++i) {
    h.transport.fail(WireOutcome::not_sent, "Connection refused");
  }
  h.script_success();
  RunSummary s = h.run();
  CHECK(s.succeeded == 1);
  CHECK(h.queue->db().execAndGet("SELECT attempts FROM jobs").getInt() == 1);
  REQUIRE(h.transport.times.size() == 7);
  for (size_t i = 1; i < 5; ++i) {
    TimeMs gap = h.transport.times[i] - h.transport.times[i - 1];
    CHECK(gap >= (1000LL << (i - 1)) / 2);   // 1 s, 2 s, 4 s, 8 s, jittered within [half, whole]
    CHECK(gap <= (1000LL << (i - 1)) + 50);  // the loop looks again at least every 50 ms
  }
  CHECK(h.observer.saw("API unreachable (Connection refused); submitting resumes when it answers"));
  CHECK(h.observer.saw("API reachable again after"));
  CHECK(h.queue->db().execAndGet("SELECT count(*) FROM events WHERE outcome = 'unreachable'").getInt() == 4);
}

TEST_CASE("only 404s in a row fail a take as TASK_NOT_FOUND: other poll errors reset the count") {
  const char* k_404 = R"({"code":404,"message":"Task not found","data":null})";
  SUBCASE("two 5xx and a 404 are no loss") {
    ScriptedHarness h;
    h.transport.answer(200, R"({"code":200,"message":"success","data":{"taskId":"task_1"}})");
    h.transport.answer(502, "<html>502 Bad Gateway</html>");
    h.transport.answer(502, "<html>502 Bad Gateway</html>");
    h.transport.answer(404, k_404);
    h.transport.answer(404, k_404);
    h.transport.answer(503, R"({"code":503,"message":"busy","data":null})");
    h.transport.answer(404, k_404);
    h.transport.answer(200, R"({"code":200,"message":"success","data":{"taskId":"task_1","state":"success",)"
                            R"("resultJson":"{\"resultUrls\":[\"https://cdn.test/v.mp4\"]}","costTime":170000}})");
    h.transport.answer(200, k_video, {{"Content-Length", std::to_string(k_video.size())}});
    RunSummary s = h.run();
    CHECK(s.succeeded == 1);
    CHECK(s.failed == 0);
  }
  SUBCASE("three quick 404s are no loss either: a replica that has not seen the task yet") {
    ScriptedHarness h;
    h.transport.answer(200, R"({"code":200,"message":"success","data":{"taskId":"task_1"}})");
    for (int i = 0; i < 5; ++i) {
      h.transport.answer(404, k_404);
    }
    h.transport.answer(200, R"({"code":200,"message":"success","data":{"taskId":"task_1","state":"success",)"
                            R"("resultJson":"{\"resultUrls\":[\"https://cdn.test/v.mp4\"]}","costTime":170000}})");
    h.transport.answer(200, k_video, {{"Content-Length", std::to_string(k_video.size())}});
    RunSummary s = h.run();
    CHECK(s.succeeded == 1);
    CHECK(s.failed == 0);
    CHECK(h.submits() == 1);
    // Asked again more slowly each time: 1 s, 2 s, 4 s, 8 s, 16 s (jittered within [half, whole]).
    REQUIRE(h.transport.times.size() == 8);
    for (size_t i = 2; i < 7; ++i) {
      CHECK(h.transport.times[i] - h.transport.times[i - 1] >= (1000LL << (i - 2)) / 2);
      CHECK(h.transport.times[i] - h.transport.times[i - 1] <= (1000LL << (i - 2)) + 50);
    }
  }
  SUBCASE("404s without a break for ten minutes are") {
    ScriptedHarness h;
    h.transport.answer(200, R"({"code":200,"message":"success","data":{"taskId":"task_1"}})");
    for (int i = 0; i < 60; ++i) {
      h.transport.answer(404, k_404);
    }
    RunSummary s = h.run();
    CHECK(s.failures_by_code == std::map<std::string, int>{{"TASK_NOT_FOUND", 1}});
    const auto& t = h.transport.times;
    const TimeMs stretch = t.back() - t[1];
    CHECK(stretch >= 600000);
    CHECK(stretch < 600000 + 60000);  // the first poll at or past the ten minutes settles it
    CHECK(t[t.size() - 2] - t[1] < 600000);
    CHECK(h.queue->db().execAndGet("SELECT fail_msg FROM jobs").getString() ==
          fmt::format("the API said it does not know task task_1 for {} ({} answers in a row)",
                      format_duration(stretch), t.size() - 1));
    CHECK(h.submits() == 1);
  }
}

TEST_CASE("a render past its deadline is given up on with its taskId kept; resume collects it when it ends late") {
  SimConfig c;
  c.mean_render_seconds = 100000;  // never, as far as one run is concerned
  Harness h(c);
  h.enqueue("batch: night\njobs:\n  - id: stuck\n    prompt: p\n");
  bool saw_overdue_eta = false;
  h.observer.on_progress = [&](const Progress& p) { saw_overdue_eta |= p.overdue == 1 && p.eta_ms == -1; };
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::finished);
  CHECK(s.failures_by_code == std::map<std::string, int>{{"RENDER_TIMEOUT", 1}});
  CHECK(h.count("job_id = 'stuck' AND state = 'failed' AND task_id IS NOT NULL AND fail_msg LIKE '%kept%'") == 1);
  CHECK(saw_overdue_eta);
  // Polled less and less often once overdue: the last half of the hour saw only a handful of polls.
  const TimeMs deadline = static_cast<TimeMs>(3600000 * h.settings.time_scale);
  SQLite::Statement q(h.queue->db(),
                      "SELECT e.at - j.submitted_at FROM events e JOIN jobs j ON e.job = j.id WHERE j.job_id = "
                      "'stuck' AND e.endpoint = 'statusTask'");
  int polls = 0;
  int late_polls = 0;
  while (q.executeStep()) {
    ++polls;
    late_polls += q.getColumn(0).getInt64() > deadline / 2 ? 1 : 0;
  }
  CHECK(polls < 150);      // every 2 s (scaled) for the hour would be 1,800
  CHECK(late_polls <= 7);  // at most one per 5 minutes, and one at the deadline
  // Long after, the render has ended at the API: resume asks again and collects it, unpaid again.
  h.clock.advance(static_cast<TimeMs>(100000 * 3 * 1000 * h.settings.time_scale));
  RunSummary again = h.run();
  CHECK(again.end == RunEnd::finished);
  CHECK(again.succeeded == 1);
  CHECK(again.failed == 0);
  CHECK(h.stats()->getValue<int>("tasks_created") == 1);
  CHECK(h.observer.saw("1 task that timed out earlier: asking the API again"));
}

TEST_CASE("renders past their deadline hold every slot: the run ends with the rest queued, not in a storm of 429s") {
  SimConfig c;
  c.mean_render_seconds = 100000;  // none ends within the run
  c.concurrency = 3;
  Harness h(c);
  h.settings.max_concurrent = 3;
  h.settings.render_deadline = 300;
  h.enqueue(manifest_text(5));
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::slots_held);
  CHECK(s.failures_by_code == std::map<std::string, int>{{"RENDER_TIMEOUT", 3}});
  CHECK(h.count("state = 'queued'") == 2);
  CHECK(h.stats()->getValue<int>("rate_limited_sent") == 0);  // never submitted into a held slot
  CHECK(h.observer.saw("2 jobs left queued: every one of the 3 slots is held by a render past its deadline"));
}

TEST_CASE("another batch's render past its deadline is polled at the overdue pace, not on every turn") {
  SimConfig c;
  c.mean_render_seconds = 100000;
  Harness h(c);
  h.settings.render_deadline = 300;
  h.enqueue(manifest_text(1));  // batch "night": its one task never ends
  RunSummary first = h.run();
  REQUIRE(first.failures_by_code.at("RENDER_TIMEOUT") == 1);
  h.queue->db().exec("UPDATE jobs SET state = 'running', fail_code = NULL, fail_msg = NULL, completed_at = NULL");
  h.enqueue("batch: day\njobs:\n  - id: quick\n    prompt: q\n");
  h.batch = "day";
  RunSummary second = h.run();  // its own render never ends either: an hour (scaled) of polling
  CHECK(second.failures_by_code == std::map<std::string, int>{{"RENDER_TIMEOUT", 1}});
  int polls = h.queue->db()
                  .execAndGet(
                      "SELECT count(*) FROM events e JOIN jobs j ON e.job = j.id WHERE j.batch = 'night' "
                      "AND e.endpoint = 'statusTask' AND e.at > (SELECT min(submitted_at) FROM jobs WHERE "
                      "batch = 'day')")
                  .getInt();
  CHECK(polls < 20);
}

TEST_CASE("the ETA is never sooner than the longest running render") {
  Harness h;
  h.enqueue(manifest_text(7));
  TimeMs smallest_eta_while_running = -1;
  h.observer.on_progress = [&](const Progress& p) {
    if (p.running == 7 && p.queued == 0 && p.eta_ms >= 0 &&
        (smallest_eta_while_running < 0 || p.eta_ms < smallest_eta_while_running)) {
      smallest_eta_while_running = p.eta_ms;
    }
  };
  h.run();
  // Seven renders of about 3 minutes (1.8 s scaled) just submitted: the old sum-over-slots said
  // well under a second; the longest running one is most of its render away.
  REQUIRE(smallest_eta_while_running >= 0);
  CHECK(smallest_eta_while_running > 900);
}

// Issue 17: a success without a usable taskId was "ambiguous" and spent every attempt, each a paid
// task; a proxy's 524 after the task was made was resubmitted silently.
TEST_CASE("a submit answered success without a usable taskId holds the take at once: paid, never resubmitted") {
  for (SimHostile kind : {SimHostile::success_no_task_id, SimHostile::bad_task_id}) {
    SimConfig c;
    c.hostile = kind;
    Harness h(c);
    h.enqueue(manifest_text(2));
    RunSummary s = h.run();
    CHECK(s.succeeded == 1);
    CHECK(s.failures_by_code.at("TASK_ID_UNUSABLE") == 1);
    CHECK(h.stats()->getValue<int>("tasks_created") == 2);
    CHECK(h.count("state = 'failed' AND attempts = 1 AND task_id IS NULL AND ambiguous = 0") == 1);
    auto renders = submitted_renders(h.queue->db(), std::string("night"));
    REQUIRE(renders.ok());
    CHECK(renders->size() == 2);
    CHECK(std::all_of(renders->begin(), renders->end(), [](const SubmittedRender& r) { return r.certain; }));
  }
}

TEST_CASE("a gateway's 524 after the task was made is an ambiguous submit: flagged and counted possible") {
  SimConfig c;
  c.hostile = SimHostile::gateway_524_after_create;
  Harness h(c);
  h.enqueue(manifest_text(2));
  RunSummary s = h.run();
  CHECK(s.succeeded == 2);
  CHECK(h.stats()->getValue<int>("tasks_created") == 3);
  CHECK(h.count("ambiguous = 1 AND note = 'possible duplicate charge'") == 1);
  auto renders = submitted_renders(h.queue->db(), std::string("night"));
  REQUIRE(renders.ok());
  CHECK(std::count_if(renders->begin(), renders->end(), [](const SubmittedRender& r) { return !r.certain; }) == 1);
}
