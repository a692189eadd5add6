#pragma once
// For runs with a spend cap or credits against the simulator: a batch of priced renders, and the
// run priced as `reelq run` prices it.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <string>

#include "cli/run_money.h"
#include "support/run_harness.h"

namespace reelq::test {

// `n` renders of 8 s at 1280x720: $2.40 each by the built-in table (0.30 a second).
inline std::string priced_renders(int n) {
  std::string m = "batch: night\ndefaults: {duration: 8, size: 1280*720}\njobs:\n";
  for (int i = 0; i < n; ++i) {
    m += fmt::format("  - id: shot-{:02}\n    prompt: \"scene {}\"\n", i, i);
  }
  return m;
}

// The run prices renders as `reelq run` does: the built-in table, the batch's spend so far.
inline void price_like_reelq_run(RunHarness& h) {
  h.adjust = [&h](RunConfig& rc) {
    auto pricing = spend_pricing(h.queue->db(), h.batch, "sora-2-pro", "");
    REQUIRE(pricing);
    rc.price = pricing->price;
    rc.committed_spend = pricing->committed;
  };
}

inline int tasks_created(RunHarness& h) { return h.stats()->getValue<int>("tasks_created"); }

}  // namespace reelq::test
