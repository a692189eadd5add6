// The spend cap in a run against the simulator: it stops exactly at the cap, a resume with a
// higher cap goes on, an ambiguous submit counts, a refused one gives its price back.
#include <doctest/doctest.h>

#include "support/priced_run.h"

using namespace reelq;

namespace {

using Harness = test::RunHarness;
using test::price_like_reelq_run;
using test::tasks_created;

}  // namespace

TEST_CASE("a batch over the cap stops at it exactly, and a resume with a higher cap goes on") {
  Harness h;
  price_like_reelq_run(h);
  h.enqueue(test::priced_renders(10));
  h.settings.max_spend = 7.20;  // three renders, exactly
  RunSummary first = h.run();
  CHECK(first.end == RunEnd::spend_capped);
  CHECK(tasks_created(h) == 3);
  CHECK(first.succeeded == 3);
  CHECK(first.left == 7);
  CHECK(first.spend_committed == doctest::Approx(7.20));
  REQUIRE(first.spend_cap);
  CHECK(*first.spend_cap == doctest::Approx(7.20));
  CHECK(h.count("state = 'queued' AND attempts = 0") == 7);  // the one that did not fit was never sent
  // What was spent before counts: a cap of 12.00 buys two more, not five.
  h.settings.max_spend = 12.00;
  RunSummary second = h.run();
  CHECK(second.end == RunEnd::spend_capped);
  CHECK(tasks_created(h) == 5);
  CHECK(second.spend_committed == doctest::Approx(12.00));
  h.settings.max_spend = 24.00;
  RunSummary third = h.run();
  CHECK(third.end == RunEnd::finished);
  CHECK(tasks_created(h) == 10);
  CHECK(h.count("state = 'succeeded'") == 10);
}

TEST_CASE("without a cap the same batch runs to the end") {
  Harness h;
  price_like_reelq_run(h);
  h.enqueue(test::priced_renders(4));
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::finished);
  CHECK_FALSE(s.spend_cap);
  CHECK(tasks_created(h) == 4);
}

TEST_CASE("an ambiguous submit counts against the cap: the API may have made the task") {
  SimConfig c;
  c.hostile = SimHostile::gateway_524_after_create;  // the first submit makes a task, then a proxy's 524
  Harness h(c);
  price_like_reelq_run(h);
  h.enqueue(test::priced_renders(6));
  h.settings.max_spend = 7.20;
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::spend_capped);
  // The 524's task, its flagged resubmit and one more: three tasks, never a fourth.
  CHECK(tasks_created(h) == 3);
  CHECK(s.spend_committed == doctest::Approx(7.20));
  CHECK(s.succeeded == 2);
}

TEST_CASE("a submit refused for the task cap gives its price back, and the cap is still kept") {
  SimConfig c;
  c.concurrency = 2;  // reelq thinks 10: the rest of its first submits are refused with 429
  Harness h(c);
  price_like_reelq_run(h);
  h.enqueue(test::priced_renders(8));
  h.settings.max_spend = 9.60;  // four renders
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::spend_capped);
  CHECK(tasks_created(h) == 4);  // the 429s made nothing, and their price came back
  CHECK(s.succeeded == 4);
  CHECK(s.spend_committed == doctest::Approx(9.60));
}

TEST_CASE("under a cap a render the price table cannot price is never submitted") {
  Harness h;
  h.adjust = [](RunConfig& rc) {
    rc.price = [](const std::string&) { return std::optional<double>(); };
    rc.committed_spend = [] { return Result<double>(0.0); };
  };
  h.enqueue(test::priced_renders(2));
  h.settings.max_spend = 100;
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::spend_capped);
  CHECK(tasks_created(h) == 0);
  CHECK(h.observer.saw("price table has no price"));
}

TEST_CASE("once the cap is reached the progress line holds the queued takes apart, out of the ETA") {
  Harness h;
  price_like_reelq_run(h);
  h.enqueue(test::priced_renders(10));
  h.settings.max_spend = 7.20;  // three renders
  int held = 0;
  h.observer.on_progress = [&](const Progress& p) {
    if (!p.queued_held) {
      return;
    }
    ++held;
    CHECK(p.queued == 7);  // the ones that will not be submitted this run
    if (p.running == 0 && p.downloading == 0) {
      CHECK(p.eta_ms == 0);  // nothing left that this run will wait for (it had counted 7 renders)
    }
  };
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::spend_capped);
  CHECK(held > 0);
}
