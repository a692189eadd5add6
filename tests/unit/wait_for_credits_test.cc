// settings.wait_for_credits against the simulator: credits that run out mid-run stop submitting;
// with a wait the run reads the balance every minute (scaled) and a top-up puts it back to work
// in the same run; without one, or when the wait ends with nothing topped up, it ends as before
// (exit 3, what was not sent still queued).
#include <doctest/doctest.h>

#include "support/priced_run.h"

using namespace reelq;

namespace {

using Harness = test::RunHarness;
using test::price_like_reelq_run;
using test::tasks_created;

SimConfig ten_dollars() {
  SimConfig c;
  c.credits = 10.0;
  return c;
}

int balance_reads(Harness& h) {
  int n = 0;
  auto requests = h.stats()->getObject("requests");
  if (auto balance = requests->getObject("balance")) {
    for (const auto& [outcome, count] : *balance) {
      n += count.convert<int>();
    }
  }
  return n;
}

}  // namespace

TEST_CASE("a top-up while the run waits for credits puts it back to work: every job done, no resume") {
  Harness h(ten_dollars());
  price_like_reelq_run(h);
  h.settings.wait_for_credits = 1800;  // half an hour, scaled by 0.01: 18 s on the fake clock
  h.enqueue(test::priced_renders(10));
  const int reads_before = balance_reads(h);
  bool topped_up = false;
  TimeMs topped_up_at = 0;
  h.observer.on_progress = [&](const Progress&) {
    if (!topped_up && h.observer.saw("credits exhausted")) {
      REQUIRE(h.sim->add_credits(0, 20.0));  // the owner pays 20 USD more: enough for the other six
      topped_up = true;
      topped_up_at = h.clock.now_ms();
    }
  };
  RunSummary s = h.run();
  REQUIRE(topped_up);
  CHECK(s.end == RunEnd::finished);
  CHECK(s.succeeded == 10);
  CHECK(s.left == 0);
  CHECK(tasks_created(h) == 10);
  CHECK(h.observer.saw("no more submits until a top-up"));
  CHECK(h.observer.saw("credits topped up, submitting again"));
  CHECK(balance_reads(h) > reads_before);
  h.check_caps_and_no_duplicates();
  // The top-up was noticed at the first read after it: within a minute (scaled, 600 ms) and some turns.
  CHECK(h.clock.now_ms() - topped_up_at < 60'000);
}

// Unpriced here (the harness's default), so the run waits for the balance to rise above what was
// left when credits ran out ($0.40): it never does.
TEST_CASE("with no top-up the run waits as long as it was told, reading the balance once a minute, then exits 3") {
  Harness h(ten_dollars());
  h.settings.wait_for_credits = 600;  // ten minutes, scaled: 6 s
  h.enqueue(test::priced_renders(10));
  const int reads_before = balance_reads(h);
  TimeMs exhausted_at = 0;
  h.observer.on_progress = [&](const Progress&) {
    if (exhausted_at == 0 && h.observer.saw("credits exhausted")) {
      exhausted_at = h.clock.now_ms();
    }
  };
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::credits_exhausted);
  CHECK(s.succeeded == 4);
  CHECK(s.left == 6);
  CHECK(h.count("state = 'queued' AND attempts = 0") == 6);
  REQUIRE(exhausted_at > 0);
  CHECK(h.clock.now_ms() - exhausted_at >= 6'000 - 600);  // it waited (to the last read in the wait)
  const int reads = balance_reads(h) - reads_before;
  CHECK(reads >= 8);  // one a minute of the ten (scaled), not a busy loop
  CHECK(reads <= 12);  // the first at once, then one a minute
  CHECK(tasks_created(h) == 4);
  CHECK(s.message == "no top-up came in the 6s waited (wait_for_credits)");
}

TEST_CASE("a top-up too small for the next render is not enough: the wait goes on, and ends in exit 3") {
  Harness h(ten_dollars());
  price_like_reelq_run(h);
  h.settings.wait_for_credits = 600;
  h.enqueue(test::priced_renders(10));
  bool topped_up = false;
  h.observer.on_progress = [&](const Progress&) {
    if (!topped_up && h.observer.saw("credits exhausted")) {
      REQUIRE(h.sim->add_credits(0, 1.0));  // $1.40 in all: short of a $2.40 render
      topped_up = true;
    }
  };
  RunSummary s = h.run();
  REQUIRE(topped_up);
  CHECK(s.end == RunEnd::credits_exhausted);
  CHECK(tasks_created(h) == 4);
  CHECK_FALSE(h.observer.saw("credits topped up"));
  CHECK(h.count("state = 'queued' AND attempts = 0") == 6);  // no submit was tried on $1.40
}

TEST_CASE("without wait_for_credits the run reads no balance after credits run out and ends when the rest is collected") {
  Harness h(ten_dollars());
  h.enqueue(test::priced_renders(10));
  const int reads_before = balance_reads(h);
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::credits_exhausted);
  CHECK(s.succeeded == 4);
  CHECK(balance_reads(h) == reads_before);
  CHECK_FALSE(h.observer.saw("until a top-up"));
}
