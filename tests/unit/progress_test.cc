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
  CHECK(out.str() == "{\"at\":\"2026-01-01T00:00:00Z\",\"level\":\"warn\",\"message\":\"job \\\"a\\\": failed\"}\n");
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
  CHECK(format_duration(45'000) == "45s");
  CHECK(format_duration(200'000) == "3m20s");
  CHECK(format_duration(7'500'000) == "2h05m");
}
