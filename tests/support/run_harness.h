#pragma once
// SimRun (sim_run.h) with the unit tests' checks: enqueue must succeed, and the caps and the
// no-duplicate promise as the simulator saw them.
#include <doctest/doctest.h>

#include "support/sim_run.h"

namespace reelq::test {

struct RunHarness : SimRun {
  explicit RunHarness(SimConfig c = {}) : SimRun(std::move(c)) {}

  void enqueue(const std::string& text) {
    auto m = parse(text);
    INFO((m ? "" : m.error().message));
    REQUIRE(m.ok());
    REQUIRE(enqueue_manifest(m.value()).ok());
  }

  void check_caps_and_no_duplicates(int max_per_input = 1) {
    auto s = stats();
    CHECK(s->getValue<int>("max_requests_in_window") <= settings.rpm);
    CHECK(s->getValue<int>("max_concurrent_tasks") <= settings.max_concurrent);
    CHECK(s->getValue<int>("rate_limited_sent") == 0);
    CHECK(s->getValue<int>("max_tasks_per_input") <= max_per_input);
  }
};

}  // namespace reelq::test
