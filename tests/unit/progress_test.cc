#include "cli/progress.h"

#include <doctest/doctest.h>

#include <sstream>

#include "support/fakes.h"

using namespace reelq;

TEST_CASE("--log-json writes one JSON object a line, with the message escaped") {
  std::ostringstream out;
  test::FakeClock clock;  // 2026-01-01T00:00:00Z
  ConsoleObserver o(out, OutputStyle::json, clock);
  o.log(LogLevel::warn, "job \"a\": failed");
  CHECK(out.str() ==
        "{\"at\":\"2026-01-01T00:00:00Z\",\"level\":\"warn\",\"event\":\"log\",\"job\":null,\"take\":null,"
        "\"task_id\":null,\"fail_code\":null,\"message\":\"job \\\"a\\\": failed\"}\n");
}

TEST_CASE("--log-json: a take's event carries job, take, task_id, event and fail_code for jq") {
  std::ostringstream out;
  test::FakeClock clock;
  ConsoleObserver o(out, OutputStyle::json, clock);
  o.event({LogLevel::warn, "failed", "subway", 1, "task_7", "CONTENT_VIOLATION", "subway: failed: CONTENT_VIOLATION x"});
  CHECK(out.str() ==
        R"({"at":"2026-01-01T00:00:00Z","level":"warn","event":"failed","job":"subway","take":1,"task_id":"task_7",)"
        R"("fail_code":"CONTENT_VIOLATION","message":"subway: failed: CONTENT_VIOLATION x"})"
        "\n");
  std::ostringstream plain;
  ConsoleObserver p(plain, OutputStyle::plain, clock);
  p.event({LogLevel::info, "done", "skyline", 1, "task_1", "", "skyline: done (1 file)"});
  CHECK(plain.str() == "2026-01-01T00:00:00Z info skyline: done (1 file)\n");
}

TEST_CASE("--quiet keeps problems and drops the rest") {
  std::ostringstream out;
  test::FakeClock clock;
  ConsoleObserver o(out, OutputStyle::quiet, clock);
  o.log(LogLevel::info, "submitted");
  o.progress({});
  o.log(LogLevel::error, "the API refused the key");
  CHECK(out.str() == "error: the API refused the key\n");
}

TEST_CASE("on a terminal the progress line is redrawn in place and log lines go above it") {
  std::ostringstream out;
  test::FakeClock clock;
  ConsoleObserver o(out, OutputStyle::terminal, clock);
  Progress p;
  p.succeeded = 1;
  p.queued = 2;
  p.request_budget = 60;
  o.progress(p);
  o.log(LogLevel::info, "done");
  o.finish();
  const std::string line = "1 done, 0 failed, 0 running, 0 downloading, 2 queued | budget 0/60 | ETA ?";
  CHECK(out.str() == line + "\r\033[K2026-01-01T00:00:00Z done\n" + line + "\n");
}

TEST_CASE("durations read as people write them") {
  CHECK(format_duration(600) == "600ms");
  CHECK(format_duration(0) == "0s");
  CHECK(format_duration(45'000) == "45s");
  CHECK(format_duration(1'800) == "1.8s");
  CHECK(format_duration(2'050) == "2s");
  CHECK(format_duration(9'999) == "9.9s");
  CHECK(format_duration(200'000) == "3m20s");
  CHECK(format_duration(7'500'000) == "2h05m");
}

TEST_CASE("overdue tasks show on the progress line, and the ETA says it does not know") {
  std::ostringstream out;
  test::FakeClock clock;
  ConsoleObserver o(out, OutputStyle::terminal, clock);
  Progress p;
  p.running = 2;
  p.overdue = 1;
  p.request_budget = 60;
  o.progress(p);
  CHECK(out.str() == "0 done, 0 failed, 2 running (1 overdue), 0 downloading, 0 queued | budget 0/60 | ETA ?");
}

TEST_CASE("an outage is said in one line: how long, why, and what the run still does") {
  Reachability r;
  r.down_for = 90'000;
  r.reason = "Connection refused";
  r.running = 3;
  CHECK(describe(r) == "API unreachable for 1m30s (Connection refused); still polling");
  r.running = 0;
  r.queued = 4;
  CHECK(describe(r) == "API unreachable for 1m30s (Connection refused); submitting resumes when it answers");
  r.reachable = true;
  r.requests_not_sent = 12;
  CHECK(describe(r) ==
        "API reachable again after 1m30s (12 requests could not be sent; no job was charged an attempt)");
}

TEST_CASE("a stop cut short by the watchdog names the request in flight and the downloads, then the resume line") {
  std::ostringstream out;
  test::FakeClock clock;
  ConsoleObserver o(out, OutputStyle::plain, clock);
  o.in_flight("the submit of shot-03");
  o.cut_short(2, "  Continue with: reelq resume --db q.db --batch b");
  CHECK(out.str() ==
        "\nstop took over 2 s; exiting with in flight: the submit of shot-03 (no answer yet; resume sorts it out); "
        "2 downloads (resume fetches again)\n  Continue with: reelq resume --db q.db --batch b\n");
  o.in_flight("");
}

TEST_CASE("an ETA of a minute or more says when on the clock too") {
  std::ostringstream out;
  test::FakeClock clock;  // 2026-01-01T00:00:00Z
  ConsoleObserver o(out, OutputStyle::terminal, clock);
  Progress p;
  p.running = 7;
  p.request_budget = 60;
  p.eta_ms = 25 * 60 * 1000;
  o.progress(p);
  CHECK(out.str() == "0 done, 0 failed, 7 running, 0 downloading, 0 queued | budget 0/60 | ETA 25m00s (done about 00:25Z)");
}
